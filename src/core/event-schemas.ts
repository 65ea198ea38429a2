/**
 * zod schemas of the toolkit's own events as they travel outside a process: one JSON object
 * per event (JSONL files, the replay server, logs). They describe the JSON form, in which a
 * `NaN` is written as `null` (JSON has no NaN), and turn it back into the event interfaces of
 * `events.ts`: the inferred output types are checked against those interfaces below, so the
 * two cannot drift apart.
 *
 * As with the wire schemas, a reader checks a line with a hand-written fast path and calls
 * these only to explain a line the fast path refused, so no hot loop calls zod.
 *
 * @see https://jsonlines.org/ (the line format)
 * @see https://www.rfc-editor.org/rfc/rfc8259#section-6 (JSON numbers: no NaN, no Infinity)
 */
import * as z from 'zod';
import type { DepthEvent, MarkEvent, MarketEvent, QuoteEvent, TradeEvent } from './events.js';

/** A number, or `null` standing for `NaN` (a value the source does not carry). */
export const JsonNumber = z
  .number({ message: 'expected a number or null' })
  .nullable()
  .transform((v) => (v === null ? Number.NaN : v));
/** The exchange time: always present, a finite number of ms since the epoch. */
export const JsonTime = z.number({ message: 'expected epoch milliseconds' });
/** A list of level prices or sizes. */
export const JsonNumberList = z.array(JsonNumber, { message: 'expected an array of numbers' });

const base = {
  symbol: z.string({ message: 'expected a symbol string' }).min(1, { message: 'expected a non-empty symbol' }),
  ts: JsonTime,
  recvTs: JsonNumber,
};

/** A {@link TradeEvent} in JSON. */
export const TradeEventSchema = z.object({
  type: z.literal('trade'),
  ...base,
  price: JsonNumber,
  qty: JsonNumber,
  side: z.enum(['buy', 'sell'], { message: "expected 'buy' or 'sell'" }),
  id: JsonNumber,
  firstId: JsonNumber,
  lastId: JsonNumber,
  printKind: z.string({ message: 'expected a print kind string' }),
});

/** A {@link QuoteEvent} in JSON. */
export const QuoteEventSchema = z.object({
  type: z.literal('quote'),
  ...base,
  bidPrice: JsonNumber,
  bidQty: JsonNumber,
  askPrice: JsonNumber,
  askQty: JsonNumber,
  updateId: JsonNumber,
});

/** A {@link DepthEvent} in JSON. */
export const DepthEventSchema = z.object({
  type: z.literal('depth'),
  ...base,
  isSnapshot: z.boolean({ message: 'expected true or false' }),
  firstUpdateId: JsonNumber,
  lastUpdateId: JsonNumber,
  prevUpdateId: JsonNumber,
  bidPrices: JsonNumberList,
  bidQtys: JsonNumberList,
  askPrices: JsonNumberList,
  askQtys: JsonNumberList,
});

/** A {@link MarkEvent} in JSON. */
export const MarkEventSchema = z.object({
  type: z.literal('mark'),
  ...base,
  markPrice: JsonNumber,
  indexPrice: JsonNumber,
  fundingRate: JsonNumber,
  nextFundingTime: JsonNumber,
});

/** Any event, told apart by `type`. */
export const MarketEventSchema = z.discriminatedUnion('type', [TradeEventSchema, QuoteEventSchema, DepthEventSchema, MarkEventSchema]);

/** The schema of each kind. */
export const EVENT_SCHEMAS = {
  trade: TradeEventSchema,
  quote: QuoteEventSchema,
  depth: DepthEventSchema,
  mark: MarkEventSchema,
} as const;

// Compile-time proof that the schemas produce exactly the event interfaces.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type _TradeMatches = Assert<Same<z.infer<typeof TradeEventSchema>, TradeEvent>>;
export type _QuoteMatches = Assert<Same<z.infer<typeof QuoteEventSchema>, QuoteEvent>>;
export type _DepthMatches = Assert<Same<z.infer<typeof DepthEventSchema>, DepthEvent>>;
export type _MarkMatches = Assert<Same<z.infer<typeof MarkEventSchema>, MarkEvent>>;
export type _EventMatches = Assert<Same<z.infer<typeof MarketEventSchema>, MarketEvent>>;
