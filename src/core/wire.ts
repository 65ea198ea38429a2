/**
 * zod schemas of every outside shape the toolkit reads: Binance websocket messages (USD-M,
 * COIN-M and spot), REST depth snapshots, Binance dump CSV rows and LOBSTER rows. They are the
 * source of the wire types and of the messages a refused line gets ("data.p: expected a decimal
 * string, got 'abc'").
 *
 * Readers check a line with a hand-written fast path first and fall back to these schemas only
 * to explain a line the fast path refused, so a hot loop never calls zod; both must accept
 * exactly the same lines, which the readers' tests check.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams
 * @see https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams
 * @see https://lobsterdata.com/info/DataStructure.php
 */
import * as z from 'zod';

/** Binance prices and quantities are decimal strings: `"61800.30"`, `"0.006"`. */
export const DECIMAL_RE = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A decimal string, parsed to a number. */
export const Decimal = z.string().regex(DECIMAL_RE, { message: 'expected a decimal string' }).transform(Number);
/** An epoch-milliseconds integer. */
export const EpochMs = z.number().int().nonnegative();
/** An update id or trade id. */
export const Id = z.number().int().nonnegative();
/** A `[price, qty]` level as Binance sends it. */
export const Level = z.tuple([Decimal, Decimal]);

/** `<symbol>@trade`: one trade. Spot has no `X`; futures have no `M`. */
export const WireTrade = z.object({
  e: z.literal('trade'),
  E: EpochMs,
  T: EpochMs,
  s: z.string().min(1),
  t: Id,
  p: Decimal,
  q: Decimal,
  m: z.boolean(),
  X: z.string().optional(),
});

/** `<symbol>@aggTrade`: trades aggregated by taker order and price. */
export const WireAggTrade = z.object({
  e: z.literal('aggTrade'),
  E: EpochMs,
  T: EpochMs,
  s: z.string().min(1),
  a: Id,
  f: Id,
  l: Id,
  p: Decimal,
  q: Decimal,
  m: z.boolean(),
});

/** `<symbol>@bookTicker`. Spot omits `e`, `E` and `T`. */
export const WireBookTicker = z.object({
  e: z.literal('bookTicker').optional(),
  E: EpochMs.optional(),
  T: EpochMs.optional(),
  u: Id,
  s: z.string().min(1),
  b: Decimal,
  B: Decimal,
  a: Decimal,
  A: Decimal,
});

/** `<symbol>@depth@<speed>`: a diff. Futures carry `pu` (previous `u`) and `T`; spot has neither. */
export const WireDepthUpdate = z.object({
  e: z.literal('depthUpdate'),
  E: EpochMs,
  T: EpochMs.optional(),
  s: z.string().min(1),
  U: Id,
  u: Id,
  pu: z.number().int().optional(),
  b: z.array(Level),
  a: z.array(Level),
});

/** REST `GET /fapi/v1/depth` (or `/api/v3/depth`) answer: a snapshot, with no symbol in it. */
export const WireDepthSnapshot = z.object({
  lastUpdateId: Id,
  E: EpochMs.optional(),
  T: EpochMs.optional(),
  bids: z.array(Level),
  asks: z.array(Level),
});

/** `<symbol>@markPrice`: mark and index price, funding rate and next funding time. */
export const WireMarkPrice = z.object({
  e: z.literal('markPriceUpdate'),
  E: EpochMs,
  s: z.string().min(1),
  p: Decimal,
  i: Decimal,
  r: z.union([Decimal, z.literal('')]).transform((v) => (v === '' ? Number.NaN : v)),
  T: EpochMs,
  P: Decimal.optional(),
});

/** The combined-stream wrapper: `{"stream":"btcusdt@trade","data":{…}}`. */
export const WireCombined = z.object({
  stream: z.string(),
  data: z.record(z.string(), z.unknown()),
});

/**
 * An unsigned integer written as CSV text (ids, epoch times, sizes). Digits only: `z.coerce`
 * would read an empty field as 0 and `1e3` as 1000, which a CSV reader must refuse.
 */
export const UIntText = z.string().regex(/^\d+$/, { message: 'expected an unsigned integer' }).transform(Number);
/** A signed integer written as CSV text (LOBSTER prices ×10000, with −9999999999 for an empty level). */
export const IntText = z.string().regex(/^-?\d+$/, { message: 'expected an integer' }).transform(Number);
/** A positive epoch time written as CSV text, in whatever unit the file uses (ms, or µs in spot dumps since 2025). */
export const EpochText = UIntText.refine((v) => v > 0, { message: 'expected a positive epoch time' });
/** A boolean as Binance dumps write it (Python-written files capitalise it). */
export const BoolText = z.enum(['true', 'false', 'True', 'False']);
/** LOBSTER's time: seconds after midnight, with a fraction of up to nanoseconds. */
export const SecondsText = z.string().regex(/^\d+(\.\d+)?$/, { message: 'expected seconds after midnight' }).transform(Number);

/**
 * Binance dump `aggTrades` row: `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker[,is_best_match]`
 * (spot adds the last).
 * @see https://github.com/binance/binance-public-data
 */
export const DumpAggTradeRow = z.union([
  z.tuple([UIntText, Decimal, Decimal, UIntText, UIntText, EpochText, BoolText]),
  z.tuple([UIntText, Decimal, Decimal, UIntText, UIntText, EpochText, BoolText, BoolText]),
]);

/** Binance dump `trades` row: `id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]` (spot adds the last). */
export const DumpTradeRow = z.union([
  z.tuple([UIntText, Decimal, Decimal, Decimal, EpochText, BoolText]),
  z.tuple([UIntText, Decimal, Decimal, Decimal, EpochText, BoolText, BoolText]),
]);

/** Binance dump `bookTicker` row: `update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time`. */
export const DumpBookTickerRow = z.tuple([UIntText, Decimal, Decimal, Decimal, Decimal, EpochText, EpochText]);

/** LOBSTER message row: `time (s after midnight), type 1–7, order id, size, price×10000, direction ±1`. */
export const LobsterMessageRow = z.tuple([
  SecondsText,
  UIntText.refine((v) => v >= 1 && v <= 7, { message: 'expected an event type from 1 to 7' }),
  UIntText,
  UIntText,
  IntText,
  z.enum(['1', '-1'], { message: 'expected direction 1 or -1' }),
]);

/** LOBSTER order-book row: `ask price, ask size, bid price, bid size` per level, prices ×10000. */
export const LobsterBookRow = z.array(IntText);

export type WireTrade = z.infer<typeof WireTrade>;
export type WireAggTrade = z.infer<typeof WireAggTrade>;
export type WireBookTicker = z.infer<typeof WireBookTicker>;
export type WireDepthUpdate = z.infer<typeof WireDepthUpdate>;
export type WireDepthSnapshot = z.infer<typeof WireDepthSnapshot>;
export type WireMarkPrice = z.infer<typeof WireMarkPrice>;

/**
 * The first problem zod finds in a value, as `{ field, message }` with the field dotted and
 * prefixed (`data.p`) — what a reject record needs.
 */
export function firstIssue(error: z.ZodError, prefix = ''): { field: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: prefix, message: 'invalid' };
  const path = issue.path.map(String).join('.');
  const field = prefix && path ? `${prefix}.${path}` : prefix || path;
  return { field, message: issue.message };
}
