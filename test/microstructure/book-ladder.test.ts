import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LocalOrderBook, topLevels, type BookDiff, type BookSnapshot } from '../../src/microstructure/book.js';
import { decimalsOf, PriceGrid } from '../../src/microstructure/price-grid.js';
import { readDepthAndTickers, type DepthMessage } from '../helpers/binance-depth.js';

/** The plainest possible book: a Map per side, sorted on demand. The reference the ladder must equal. */
class MapBook {
  bids = new Map<number, number>();
  asks = new Map<number, number>();
  /** A snapshot's levels are read from its far end (it lists the best first), so of two entries for one price the first listed stands. */
  snapshot(s: BookSnapshot): void {
    this.bids.clear();
    this.asks.clear();
    const rev = (a: ArrayLike<number>) => Array.from(a).reverse();
    this.levels(this.bids, rev(s.bidPrices), rev(s.bidQtys));
    this.levels(this.asks, rev(s.askPrices), rev(s.askQtys));
  }
  diff(d: BookDiff): void {
    this.levels(this.bids, d.bidPrices, d.bidQtys);
    this.levels(this.asks, d.askPrices, d.askQtys);
  }
  private levels(side: Map<number, number>, p: ArrayLike<number>, q: ArrayLike<number>): void {
    for (let i = 0; i < p.length; i++) q[i] === 0 ? side.delete(p[i]!) : side.set(p[i]!, q[i]!);
  }
  sorted(): { bids: [number, number][]; asks: [number, number][] } {
    return { bids: [...this.bids].sort((a, b) => b[0] - a[0]), asks: [...this.asks].sort((a, b) => a[0] - b[0]) };
  }
}

/** Top k of the ladder book as [price, size] pairs per side, padding dropped. */
function top(book: LocalOrderBook, k: number): { bids: [number, number][]; asks: [number, number][] } {
  const t = topLevels(k);
  book.topK(k, t);
  const pairs = (p: Float64Array, q: Float64Array) => [...p].flatMap((x, i) => (x === x ? [[x, q[i]!] as [number, number]] : []));
  return { bids: pairs(t.bidPrices, t.bidQtys), asks: pairs(t.askPrices, t.askQtys) };
}

function expectSame(book: LocalOrderBook, ref: MapBook, why: string): void {
  const want = ref.sorted();
  const n = Math.max(want.bids.length, want.asks.length);
  expect(top(book, n + 2), why).toEqual(want);
  expect(book.depth, why).toEqual({ bids: want.bids.length, asks: want.asks.length });
  expect([book.bestBid, book.bestBidQty, book.bestAsk, book.bestAskQty], why).toEqual([
    want.bids[0]?.[0] ?? NaN,
    want.bids[0]?.[1] ?? 0,
    want.asks[0]?.[0] ?? NaN,
    want.asks[0]?.[1] ?? 0,
  ]);
  const k = 3;
  expect(top(book, k), `${why}: top ${k}`).toEqual({ bids: want.bids.slice(0, k), asks: want.asks.slice(0, k) });
}

/** A price as the edge parses it: a decimal string of `units` × 10^-dec, through `Number`. */
function decimal(units: number, dec: number): number {
  const neg = units < 0;
  const s = String(Math.abs(units)).padStart(dec + 1, '0');
  const str = dec === 0 ? s : `${s.slice(0, s.length - dec)}.${s.slice(s.length - dec)}`;
  return Number(neg ? `-${str}` : str);
}

describe('price grid', () => {
  it('counts the decimals a parsed price carries, and none for a computed value', () => {
    expect(decimalsOf(61800.2)).toBe(1);
    expect(decimalsOf(2681.63)).toBe(2);
    expect(decimalsOf(1000)).toBe(0);
    expect(decimalsOf(0.00001234)).toBe(8);
    expect(decimalsOf(0.1 + 0.2), '0.30000000000000004 is no short decimal').toBe(-1);
    expect(decimalsOf(Number.NaN)).toBe(-1);
    expect(decimalsOf(Infinity)).toBe(-1);
  });

  it('infers the tick as the gcd of the prices in units of their decimals, and only refines it', () => {
    const g = new PriceGrid();
    for (const p of [61800.2, 61800, 61799.4]) g.admit(p);
    expect(g.tick, 'gcd(618002, 618000, 617994) = 2 tenths').toBe(0.2);
    expect(g.admit(61800.1)).toBe(true);
    expect(g.tick).toBe(0.1);
    expect(g.admit(61800.6), 'already on the grid').toBe(false);
    expect(g.admit(0.1 + 0.2), 'not a short decimal: stays off the grid').toBe(false);
    expect(g.tick).toBe(0.1);
  });

  it('refuses a tick that is not a positive short decimal, and a window that is not a power of two', () => {
    expect(() => new PriceGrid(0)).toThrow(/tickSize/);
    expect(() => new PriceGrid(0.1 + 0.2)).toThrow(/tickSize/);
    expect(() => new LocalOrderBook({ maxWindow: 1000 })).toThrow(/maxWindow/);
  });
});

const snap = (bids: [number, number][], asks: [number, number][], id = 100): BookSnapshot => ({
  lastUpdateId: id,
  bidPrices: bids.map((x) => x[0]),
  bidQtys: bids.map((x) => x[1]),
  askPrices: asks.map((x) => x[0]),
  askQtys: asks.map((x) => x[1]),
});
const diff = (id: number, bids: [number, number][], asks: [number, number][]): BookDiff => ({
  ...snap(bids, asks, id),
  firstUpdateId: id,
  prevUpdateId: id - 1,
});

describe('ladder book equals a Map-based book', () => {

  it('far-off levels (Binance 1000.00 bids, asks at ten times the price) sit in the sparse store, in order', () => {
    const book = new LocalOrderBook({ maxWindow: 1024 });
    const ref = new MapBook();
    const s = snap([[61800.2, 1], [61800.1, 2], [61799.5, 3]], [[61800.3, 4], [61801, 5]]);
    book.applySnapshot(s);
    ref.snapshot(s);
    expect(book.layout.tick).toBe(0.1);
    const d = diff(100, [[1000, 7], [5000, 8], [61800.2, 0]], [[621368.7, 9], [61800.3, 6]]);
    expect(book.applyDiff(d)).toBe('applied');
    ref.diff(d);
    expectSame(book, ref, 'far levels in');
    expect(book.layout.bids.sparse + book.layout.asks.sparse, 'three levels beyond a 1024-tick window').toBe(3);
    expect(book.bestBid, 'the best emptied: the next level behind it').toBe(61800.1);
  });

  it('the window follows the touch across many windows, keeping the book near the touch in the ladder', () => {
    const book = new LocalOrderBook({ maxWindow: 256 });
    const ref = new MapBook();
    const s = snap([[100, 1]], [[100.01, 1]]);
    book.applySnapshot(s);
    ref.snapshot(s);
    let id = 100;
    // the touch walks up 100 ticks a step, 30 windows in all; the bids leave a trail behind
    for (let step = 1; step <= 80; step++) {
      const b = 10_000 + step * 100;
      const d = diff(id++, [[decimal(b, 2), step]], [[decimal(b + 1, 2), step], [decimal(b - 99, 2), 0]]);
      expect(book.applyDiff(d)).toBe('applied');
      ref.diff(d);
    }
    expectSame(book, ref, 'after the walk');
    const { bids, asks } = book.layout;
    expect(bids.ladder, 'the touch and the level 100 ticks behind it in the ladder').toBe(2);
    expect(bids.sparse, 'the rest of the trail out of the window').toBe(79);
    expect([asks.ladder, asks.sparse], 'the ask followed the touch').toEqual([1, 0]);
    // and back down: the best empties level by level until the snapshot's level at 100
    for (let step = 80; step >= 1; step--) {
      const d = diff(id++, [[decimal(10_000 + step * 100, 2), 0]], []);
      book.applyDiff(d);
      ref.diff(d);
      expect(book.bestBid).toBe(step > 1 ? decimal(10_000 + (step - 1) * 100, 2) : 100);
    }
    expectSame(book, ref, 'after the way back');
  });

  it('an inferred tick refines on a finer price (every level re-placed); a given tick keeps such a price in the sparse store', () => {
    for (const tickSize of [undefined, 0.1]) {
      const book = new LocalOrderBook({ tickSize, maxWindow: 4096 });
      const ref = new MapBook();
      const s = snap([[61800.2, 1], [61799.8, 2]], [[61800.4, 3]]);
      book.applySnapshot(s);
      ref.snapshot(s);
      expect(book.layout.tick, 'gcd of the snapshot (0.2) or the given tick').toBe(tickSize ?? 0.2);
      const long = 61800.3 + 2 ** -30; // 61800.30000000093: no decimal of 12 places or fewer
      const d = diff(100, [[61800.25, 4], [61800.1, 5]], [[61800.35, 6], [long, 7]]);
      book.applyDiff(d);
      ref.diff(d);
      expectSame(book, ref, `tick ${tickSize}`);
      const { tick, bids, asks } = book.layout;
      if (tickSize === undefined) expect([tick, bids.sparse, asks.sparse], 'refined to 0.05; the long decimal fits no grid').toEqual([0.05, 0, 1]);
      else expect([tick, bids.sparse, asks.sparse], 'x.x5 off the given grid, and the long decimal').toEqual([0.1, 1, 2]);
    }
  });

  /** One random scenario: a tick, a starting touch, snapshots and diffs with levels near, far and off the grid, the touch drifting. */
  const tickArb = fc.constantFrom(
    { units: 1, dec: 1 }, // 0.1
    { units: 1, dec: 2 }, // 0.01
    { units: 5, dec: 1 }, // 0.5
    { units: 1, dec: 0 }, // 1
    { units: 25, dec: 2 }, // 0.25
    { units: 1, dec: 5 }, // 0.00001
  );
  const levelArb = fc.record({
    where: fc.constantFrom('touch', 'touch', 'touch', 'near', 'far', 'offGrid', 'longDecimal'),
    off: fc.integer({ min: -40, max: 40 }),
    farOff: fc.integer({ min: -5_000_000, max: 5_000_000 }),
    qty: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 9_999 }).map((n) => n / 1000)),
  });
  const stepArb = fc.record({
    kind: fc.constantFrom('diff', 'diff', 'diff', 'diff', 'diff', 'diff', 'stale', 'snapshot'),
    drift: fc.integer({ min: -3000, max: 3000 }),
    bids: fc.array(levelArb, { maxLength: 12 }),
    asks: fc.array(levelArb, { maxLength: 12 }),
    emptyBest: fc.boolean(),
  });

  it('after random snapshots and diffs: near, far, drifting, off-grid, best levels emptied (each book released for the next)', () => {
    fc.assert(
      fc.property(
        tickArb,
        fc.integer({ min: 2_000, max: 50_000_000 }),
        fc.constantFrom(64, 512, 2 ** 18),
        fc.boolean(),
        fc.array(stepArb, { minLength: 1, maxLength: 30 }),
        (tick, start, maxWindow, given, steps) => {
          const tickSize = decimal(tick.units, tick.dec);
          const book = new LocalOrderBook({ maxWindow, tickSize: given ? tickSize : undefined, capacity: 2 });
          const ref = new MapBook();
          let mid = start; // in ticks
          let id = 100; // the last applied u; a snapshot takes id + 1 so the next diff straddles it
          const price = (l: (typeof steps)[number]['bids'][number], side: 1 | -1): number => {
            const t = mid + side * (1 + Math.abs(l.off));
            switch (l.where) {
              case 'touch':
                return decimal((t - side * (Math.abs(l.off) % 4)) * tick.units, tick.dec);
              case 'near':
                return decimal((t + side * l.off * 50) * tick.units, tick.dec);
              case 'far':
                return decimal(Math.max(1, t + l.farOff) * tick.units, tick.dec);
              case 'offGrid':
                return decimal(t * tick.units * 10 + 3, tick.dec + 1);
              default:
                return decimal(t * tick.units, tick.dec) * (1 + 2 ** -40);
            }
          };
          const side = (ls: (typeof steps)[number]['bids'], dir: 1 | -1): [number, number][] => ls.map((l) => [price(l, -dir as 1 | -1), l.qty]);
          const first = snap(side(steps[0]!.bids, 1), side(steps[0]!.asks, -1), id + 1);
          book.applySnapshot(first);
          ref.snapshot(first);
          expectSame(book, ref, 'snapshot');
          for (const [i, st] of steps.entries()) {
            mid = Math.max(100, mid + st.drift);
            const bids = side(st.bids, 1);
            const asks = side(st.asks, -1);
            if (st.emptyBest) {
              const want = ref.sorted();
              if (want.bids[0]) bids.push([want.bids[0][0], 0]);
              if (want.asks[0]) asks.push([want.asks[0][0], 0]);
            }
            if (st.kind === 'snapshot') {
              const s = snap(bids, asks, id + 1);
              book.applySnapshot(s);
              ref.snapshot(s);
            } else if (st.kind === 'stale') {
              expect(book.applyDiff(diff(id - 5, bids, asks)), 'an old diff changes nothing').toBe('stale');
            } else {
              expect(book.applyDiff(diff(++id, bids, asks))).toBe('applied');
              ref.diff(diff(id, bids, asks));
            }
            expectSame(book, ref, `step ${i} (${st.kind})`);
          }
          // its ladders go to the next case's book, which must not see a level of this one
          book.release();
          expect(book.depth).toEqual({ bids: 0, asks: 0 });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('released books', () => {
  it('a grown ladder given back is clean for the next book that grows to its size', () => {
    const grow = (book: LocalOrderBook, at: number): void => {
      book.applySnapshot(snap([[at, 1]], [[at + 1, 2]], 11));
      // 5,000 ticks from the touch: the 4,096-tick window doubles
      expect(book.applyDiff(diff(11, [[at - 1, 3]], [[at + 5_001, 4]]))).toBe('applied');
      expect(book.layout.asks.window).toBe(8192);
    };
    const first = new LocalOrderBook({ tickSize: 1 });
    grow(first, 10_000);
    first.release();
    expect([first.synced, first.depth, first.layout.asks.window]).toEqual([false, { bids: 0, asks: 0 }, 4096]);
    for (const book of [new LocalOrderBook({ tickSize: 1 }), first]) {
      grow(book, 20_000);
      expect(top(book, 5)).toEqual({ bids: [[20_000, 1], [19_999, 3]], asks: [[20_001, 2], [25_001, 4]] });
      book.release();
    }
  });
});

describe('ladder book on the real captures', () => {
  /** Replay a capture's depth from its snapshot into the ladder book and a Map book; the best after every diff and the whole book every 500 diffs must agree. */
  function replay(file: string, book = new LocalOrderBook()): { applied: number; sparse: number } {
    const ref = new MapBook();
    const pending: DepthMessage[] = [];
    let applied = 0;
    const bestOf = (m: Map<number, number>, dir: 1 | -1) => {
      let p = NaN;
      for (const x of m.keys()) if (!(dir * (p - x) >= 0)) p = x;
      return [p, m.get(p) ?? 0];
    };
    const apply = (d: DepthMessage) => {
      if (book.applyDiff(d) !== 'applied') return;
      ref.diff(d);
      applied++;
      expect([book.bestBid, book.bestBidQty, book.bestAsk, book.bestAskQty], `${file} u=${d.lastUpdateId}`).toEqual([...bestOf(ref.bids, 1), ...bestOf(ref.asks, -1)]);
      if (applied % 500 === 0) expectSame(book, ref, `${file} u=${d.lastUpdateId}`);
    };
    for (const m of readDepthAndTickers(file)) {
      if (m.kind === 'snapshot') {
        book.applySnapshot(m);
        ref.snapshot(m);
        pending.splice(0).forEach(apply);
      } else if (m.kind === 'diff') {
        if (book.stats.snapshots === 0) pending.push(m);
        else apply(m);
      }
    }
    expectSame(book, ref, `${file}: the whole book at the end`);
    return { applied, sparse: book.layout.bids.sparse + book.layout.asks.sparse };
  }

  it('USD-M BTCUSDT and ETHUSDT, spot BTCUSDT: every diff applied, the same book as the Map book', () => {
    for (const [file, diffs] of [
      ['binance-ws/usdm/btcusdt_20240808.gz', 6000],
      ['binance-ws/usdm/ethusdt_20240808.gz', 6000],
      ['binance-ws/spot/btcusdt_20240808.gz', 3000],
    ] as const) {
      const r = replay(file);
      expect(r.applied, file).toBeGreaterThan(diffs);
      expect(r.sparse, `${file}: far-off levels only in the sparse store`).toBeLessThan(1000);
    }
  });

  it('released books hand their ladders on: BTCUSDT and ETHUSDT replayed in turn, new books and a released one, each the same as the Map book', () => {
    const released = new LocalOrderBook();
    for (const file of ['binance-ws/usdm/btcusdt_20240808.gz', 'binance-ws/usdm/ethusdt_20240808.gz', 'binance-ws/usdm/btcusdt_20240808.gz']) {
      // a new book (taking the arrays the previous one gave back) and the same released book again
      for (const book of [new LocalOrderBook(), released]) {
        expect(replay(file, book).applied, file).toBeGreaterThan(6000);
        expect(book.layout.bids.window, `${file}: the ladder grew`).toBeGreaterThan(4096);
        book.release();
        expect([book.synced, book.depth, book.layout.bids, book.layout.asks]).toEqual([false, { bids: 0, asks: 0 }, { window: 4096, ladder: 0, sparse: 0 }, { window: 4096, ladder: 0, sparse: 0 }]);
      }
    }
  });
});
