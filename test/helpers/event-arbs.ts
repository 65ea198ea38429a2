/**
 * fast-check arbitraries of events of every kind, for storage round trips: values include NaN
 * (a value the source lacks), -0, huge and tiny magnitudes, empty and long level lists, and
 * strings with quotes, backslashes and non-ASCII characters. No infinities: JSON cannot hold
 * them and no reader produces them.
 */
import fc from 'fast-check';
import type { DepthEvent, EventKind, MarkEvent, MarketEvent, QuoteEvent, TradeEvent } from '../../src/core/events.js';
import { EVENT_KINDS } from '../../src/core/events.js';

/** Any finite double or NaN. */
export const value = fc.double({ noDefaultInfinity: true });
/** Exchange times within a few days around 2024-08-08, fractional ms allowed. */
export const time = (min = 1_723_000_000_000, max = 1_723_400_000_000) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
export const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BTCUSD_PERP'] as const;
const symbol = fc.constantFrom(...SYMBOLS);
const levels = fc.array(value, { maxLength: 12 });

export interface ArbOptions {
  ts?: fc.Arbitrary<number>;
  symbol?: fc.Arbitrary<string>;
}

export function trade(o: ArbOptions = {}): fc.Arbitrary<TradeEvent> {
  return fc.record({
    type: fc.constant('trade' as const),
    ts: o.ts ?? time(),
    recvTs: value,
    symbol: o.symbol ?? symbol,
    price: value,
    qty: value,
    side: fc.constantFrom('buy' as const, 'sell' as const),
    id: value,
    firstId: value,
    lastId: value,
    printKind: fc.oneof(fc.constantFrom('MARKET', 'INSURANCE_FUND', 'ADL'), fc.string({ unit: 'binary', maxLength: 8 })),
  });
}

export function quote(o: ArbOptions = {}): fc.Arbitrary<QuoteEvent> {
  return fc.record({
    type: fc.constant('quote' as const),
    ts: o.ts ?? time(),
    recvTs: value,
    symbol: o.symbol ?? symbol,
    bidPrice: value,
    bidQty: value,
    askPrice: value,
    askQty: value,
    updateId: value,
  });
}

export function depth(o: ArbOptions = {}): fc.Arbitrary<DepthEvent> {
  return fc.record({
    type: fc.constant('depth' as const),
    ts: o.ts ?? time(),
    recvTs: value,
    symbol: o.symbol ?? symbol,
    isSnapshot: fc.boolean(),
    firstUpdateId: value,
    lastUpdateId: value,
    prevUpdateId: value,
    bidPrices: levels,
    bidQtys: levels,
    askPrices: levels,
    askQtys: levels,
  });
}

export function mark(o: ArbOptions = {}): fc.Arbitrary<MarkEvent> {
  return fc.record({
    type: fc.constant('mark' as const),
    ts: o.ts ?? time(),
    recvTs: value,
    symbol: o.symbol ?? symbol,
    markPrice: value,
    indexPrice: value,
    fundingRate: value,
    nextFundingTime: value,
  });
}

export const ARBS = { trade, quote, depth, mark } as const;

/** An event of any kind. */
export function anyEvent(o: ArbOptions = {}): fc.Arbitrary<MarketEvent> {
  return fc.oneof(trade(o), quote(o), depth(o), mark(o));
}

/** Events grouped by kind, in their original order. */
export function byKind(events: readonly MarketEvent[]): Record<EventKind, MarketEvent[]> {
  const out = Object.fromEntries(EVENT_KINDS.map((k) => [k, [] as MarketEvent[]])) as Record<EventKind, MarketEvent[]>;
  for (const e of events) out[e.type].push(e);
  return out;
}
