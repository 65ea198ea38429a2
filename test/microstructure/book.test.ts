import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DepthEvent } from '../../src/core/events.js';
import { LocalOrderBook, topLevels, type BookDiff } from '../../src/microstructure/book.js';
import { MultiLevelOfiCalculator } from '../../src/microstructure/ofi-multilevel.js';
import { readDepthAndTickers, type DepthMessage } from '../helpers/binance-depth.js';

const diff = (U: number, u: number, pu: number, bids: [number, number][] = [], asks: [number, number][] = []): BookDiff => ({
  firstUpdateId: U,
  lastUpdateId: u,
  prevUpdateId: pu,
  bidPrices: bids.map((x) => x[0]),
  bidQtys: bids.map((x) => x[1]),
  askPrices: asks.map((x) => x[0]),
  askQtys: asks.map((x) => x[1]),
});

describe('local order book: Binance sync rules', () => {
  const snapshot = { lastUpdateId: 100, bidPrices: [10, 9, 8], bidQtys: [1, 2, 3], askPrices: [11, 12], askQtys: [4, 5] };

  it('futures: drops u < lastUpdateId, applies the diff with U ≤ L ≤ u, then follows pu', () => {
    const book = new LocalOrderBook(2); // small capacity: growth is exercised
    expect(book.applyDiff(diff(90, 95, 89)), 'before any snapshot').toBe('unsynced');
    book.applySnapshot(snapshot);
    expect(book.applyDiff(diff(90, 99, 89)), 'u < L').toBe('stale');
    expect(book.applyDiff(diff(99, 103, 98, [[10, 0], [9.5, 7]])), 'U ≤ L ≤ u').toBe('applied');
    expect(book.applyDiff(diff(104, 110, 103, [], [[11, 2]]))).toBe('applied');
    expect(book.applyDiff(diff(104, 110, 103)), 'a replayed diff is stale, not a gap').toBe('stale');
    expect(book.bestBid).toBe(9.5);
    expect(book.bestBidQty).toBe(7);
    expect(book.bestAsk).toBe(11);
    expect(book.bestAskQty).toBe(2);
    expect(book.applyDiff(diff(112, 115, 111)), 'pu ≠ previous u').toBe('gap');
    expect(book.synced).toBe(false);
    expect(book.applyDiff(diff(116, 120, 115))).toBe('unsynced');
    expect(book.stats).toEqual({ snapshots: 1, applied: 2, stale: 2, gaps: 1, unsynced: 2 });
  });

  it('futures: a first diff that starts after the snapshot is a gap', () => {
    const book = new LocalOrderBook();
    book.applySnapshot(snapshot);
    expect(book.applyDiff(diff(101, 105, 100))).toBe('gap');
  });

  it('spot (no pu): u ≤ L stale, first needs U ≤ L + 1 ≤ u, then U = last u + 1', () => {
    const book = new LocalOrderBook();
    book.applySnapshot(snapshot);
    expect(book.applyDiff(diff(95, 100, Number.NaN))).toBe('stale');
    expect(book.applyDiff(diff(98, 104, Number.NaN, [[10, 5]]))).toBe('applied');
    expect(book.applyDiff(diff(105, 106, Number.NaN))).toBe('applied');
    expect(book.applyDiff(diff(108, 109, Number.NaN)), 'update 107 is missing').toBe('gap');
    expect(book.bestBidQty).toBe(5);
  });

  it('topK writes the best levels first and pads with NaN / 0', () => {
    const book = new LocalOrderBook();
    book.applySnapshot(snapshot);
    const top = topLevels(4);
    book.topK(4, top);
    expect(Array.from(top.bidPrices)).toEqual([10, 9, 8, Number.NaN]);
    expect(Array.from(top.bidQtys)).toEqual([1, 2, 3, 0]);
    expect(Array.from(top.askPrices)).toEqual([11, 12, Number.NaN, Number.NaN]);
    expect(Array.from(top.askQtys)).toEqual([4, 5, 0, 0]);
  });

  it('agrees with a map-based book under random level updates', () => {
    const level = fc.tuple(fc.integer({ min: 1, max: 60 }), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 9 })));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(level, { maxLength: 8 }), fc.array(level, { maxLength: 8 })), { maxLength: 60 }), (diffs) => {
        const book = new LocalOrderBook(4);
        book.applySnapshot({ lastUpdateId: 0, bidPrices: [], bidQtys: [], askPrices: [], askQtys: [] });
        const bids = new Map<number, number>();
        const asks = new Map<number, number>();
        diffs.forEach(([b, a], i) => {
          const bb = b.map(([p, q]) => [p, q] as [number, number]);
          const aa = a.map(([p, q]) => [p + 100, q] as [number, number]);
          expect(book.applyDiff(diff(i === 0 ? 0 : i, i + 1, i === 0 ? -1 : i, bb, aa))).toBe('applied');
          for (const [p, q] of bb) q === 0 ? bids.delete(p) : bids.set(p, q);
          for (const [p, q] of aa) q === 0 ? asks.delete(p) : asks.set(p, q);
          const k = 5;
          const top = topLevels(k);
          book.topK(k, top);
          const wantB = [...bids].sort((x, y) => y[0] - x[0]);
          const wantA = [...asks].sort((x, y) => x[0] - y[0]);
          for (let m = 0; m < k; m++) {
            expect(top.bidPrices[m]).toBe(wantB[m]?.[0] ?? Number.NaN);
            expect(top.bidQtys[m]).toBe(wantB[m]?.[1] ?? 0);
            expect(top.askPrices[m]).toBe(wantA[m]?.[0] ?? Number.NaN);
            expect(top.askQtys[m]).toBe(wantA[m]?.[1] ?? 0);
          }
          expect(book.depth).toEqual({ bids: bids.size, asks: asks.size });
          // one side at a time, to its last level (what a taker walks)
          for (const [side, want] of [[1, wantB], [-1, wantA]] as const) {
            const n = book.sideSize(side);
            expect(n).toBe(want.length);
            const px = new Float64Array(n + 1).fill(-1);
            const qty = new Float64Array(n + 1).fill(-1);
            book.topSide(side, n, px, qty);
            expect(Array.from(px.subarray(0, n))).toEqual(want.map((x) => x[0]));
            expect(Array.from(qty.subarray(0, n))).toEqual(want.map((x) => x[1]));
            expect([px[n], qty[n]], 'nothing written past k').toEqual([-1, -1]);
          }
        });
      }),
    );
  });
});

describe('depth events as the toolkit carries them', () => {
  const base = { type: 'depth' as const, symbol: 'BTCUSDT', recvTs: Number.NaN };
  it('a DepthEvent snapshot and diff drive the book, and snapshots feed multi-level OFI directly', () => {
    const snap: DepthEvent = { ...base, ts: 1, isSnapshot: true, firstUpdateId: Number.NaN, lastUpdateId: 50, prevUpdateId: Number.NaN, bidPrices: [10, 9], bidQtys: [1, 2], askPrices: [11, 12], askQtys: [3, 4] };
    const d: DepthEvent = { ...base, ts: 2, isSnapshot: false, firstUpdateId: 49, lastUpdateId: 52, prevUpdateId: 48, bidPrices: [9], bidQtys: [5], askPrices: [], askQtys: [] };
    const book = new LocalOrderBook();
    book.applySnapshot(snap);
    expect(book.applyDiff(d)).toBe('applied');
    const top = topLevels(2);
    book.topK(2, top);
    expect(Array.from(top.bidQtys)).toEqual([1, 5]);
    const ml = new MultiLevelOfiCalculator({ levels: 2 });
    ml.update(snap);
    // level 2 bid 9: 2 → 5 is +3
    expect(Array.from(ml.update({ ...top, ts: 2 })!)).toEqual([0, 3]);
  });
});

describe('local order book on a real capture', () => {
  it('BTCUSDT USD-M: synced from the snapshot with no gap, and its top equals bookTicker at the same u', () => {
    const msgs = readDepthAndTickers('binance-ws/usdm/btcusdt_20240808.gz');
    const book = new LocalOrderBook();
    const pending: DepthMessage[] = [];
    const tops = new Map<number, [number, number, number, number]>();
    for (const m of msgs) {
      if (m.kind === 'snapshot') {
        book.applySnapshot(m);
        for (const d of pending) book.applyDiff(d);
      } else if (m.kind === 'diff') {
        if (book.stats.snapshots === 0) pending.push(m);
        else if (book.applyDiff(m) === 'applied') tops.set(m.lastUpdateId, [book.bestBid, book.bestBidQty, book.bestAsk, book.bestAskQty]);
      }
    }
    expect(book.stats.snapshots).toBe(1);
    expect(book.stats.gaps, 'the pu chain is unbroken in this file').toBe(0);
    expect(book.stats.applied).toBeGreaterThan(6000);
    let matched = 0;
    for (const m of msgs) {
      if (m.kind !== 'ticker') continue;
      const top = tops.get(m.updateId);
      if (!top) continue;
      matched++;
      expect(top, `book top after diff u=${m.updateId}`).toEqual([m.bidPrice, m.bidQty, m.askPrice, m.askQty]);
    }
    expect(matched, 'bookTicker messages whose u ends a diff').toBeGreaterThan(500);
  });
});
