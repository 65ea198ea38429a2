import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { batchToEvents, BatchBuilder, eventsToBatch, type DepthEvent, type TradeEvent } from '../../src/core/index.js';

const trade = fc.record({
  type: fc.constant('trade' as const),
  symbol: fc.constantFrom('BTCUSDT', 'ETHUSDT', 'BTCUSD_PERP'),
  ts: fc.integer({ min: 1.5e12, max: 1.8e12 }),
  recvTs: fc.double({ min: 1.5e12, max: 1.8e12, noNaN: true }),
  price: fc.double({ min: 0.0001, max: 1e6, noNaN: true }),
  qty: fc.double({ min: 0.0001, max: 1e6, noNaN: true }),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  id: fc.integer({ min: 0, max: 2 ** 52 }),
  firstId: fc.integer({ min: 0, max: 2 ** 52 }),
  lastId: fc.integer({ min: 0, max: 2 ** 52 }),
  printKind: fc.constantFrom('MARKET', 'INSURANCE_FUND', 'ADL'),
}) satisfies fc.Arbitrary<TradeEvent>;

const levels = fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 20 });
const depth = fc.record({
  type: fc.constant('depth' as const),
  symbol: fc.constantFrom('BTCUSDT', 'ETHUSDT'),
  ts: fc.integer({ min: 1.5e12, max: 1.8e12 }),
  recvTs: fc.double({ min: 1.5e12, max: 1.8e12, noNaN: true }),
  isSnapshot: fc.boolean(),
  firstUpdateId: fc.integer({ min: 0, max: 2 ** 52 }),
  lastUpdateId: fc.integer({ min: 0, max: 2 ** 52 }),
  prevUpdateId: fc.oneof(fc.constant(Number.NaN), fc.integer({ min: 0, max: 2 ** 52 })),
  bidPrices: levels,
  bidQtys: levels,
  askPrices: levels,
  askQtys: levels,
}) satisfies fc.Arbitrary<DepthEvent>;

describe('BatchBuilder', () => {
  it('events → batch → events is the identity (trades)', () => {
    fc.assert(
      fc.property(fc.array(trade, { minLength: 1, maxLength: 50 }), (events) => {
        const batch = eventsToBatch('trade', events)!;
        expect([...batchToEvents('trade', batch)]).toEqual(events);
      }),
    );
  });

  it('events → batch → events is the identity (depth, with lists and NaN)', () => {
    fc.assert(
      fc.property(fc.array(depth, { minLength: 1, maxLength: 30 }), (events) => {
        const batch = eventsToBatch('depth', events)!;
        expect([...batchToEvents('depth', batch)]).toEqual(events);
      }),
    );
  });

  it('grows past its initial capacity and cuts at the high-water mark', () => {
    const b = new BatchBuilder('trade', 3000);
    const e: TradeEvent = { type: 'trade', symbol: 'X', ts: 1, recvTs: 2, price: 3, qty: 4, side: 'buy', id: 5, firstId: 5, lastId: 5, printKind: 'MARKET' };
    for (let i = 0; i < 3000; i++) {
      e.id = i;
      b.append(e);
    }
    expect(b.full).toBe(true);
    const batch = b.flush()!;
    expect(batch.numRows).toBe(3000);
    expect(batch.getChild('id')!.get(2999)).toBe(2999);
    expect(b.flush(), 'a flushed builder is empty').toBeNull();
  });

  it('cuts wide depth rows by their level values before their row count', () => {
    const b = new BatchBuilder('depth', 1000, 10_000);
    const levels = Array.from({ length: 500 }, (_, i) => i + 1);
    const e: DepthEvent = { type: 'depth', symbol: 'X', ts: 1, recvTs: 1, isSnapshot: true, firstUpdateId: Number.NaN, lastUpdateId: 1, prevUpdateId: Number.NaN, bidPrices: levels, bidQtys: levels, askPrices: levels, askQtys: levels };
    let rows = 0;
    while (!b.full) {
      b.append(e);
      rows++;
    }
    expect(rows, '2,000 values a row: the fifth row reaches 10,000').toBe(5);
    expect(b.flush()!.numRows).toBe(5);
    expect(b.full).toBe(false);
  });
});
