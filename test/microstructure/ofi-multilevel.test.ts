import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LocalOrderBook, topLevels } from '../../src/microstructure/book.js';
import { ofi } from '../../src/microstructure/ofi.js';
import {
  MultiLevelOfiCalculator,
  MultiLevelOfiState,
  multiLevelOfi,
  type BookLevels,
  type LevelColumns,
  type MultiLevelOfiOptions,
} from '../../src/microstructure/ofi-multilevel.js';
import { readDepthAndTickers } from '../helpers/binance-depth.js';
import { lobsterLevel5, type LobsterBook } from '../helpers/lobster-book.js';
import { testCalculatorContract } from './contract.js';

const book = (bids: [number, number][], asks: [number, number][], ts?: number): BookLevels => ({
  bidPrices: bids.map((x) => x[0]),
  bidQtys: bids.map((x) => x[1]),
  askPrices: asks.map((x) => x[0]),
  askQtys: asks.map((x) => x[1]),
  ts,
});

function run(options: MultiLevelOfiOptions, books: BookLevels[]): (number[] | null)[] {
  const c = new MultiLevelOfiCalculator(options);
  return books.map((b) => {
    const v = c.update(b);
    return v ? Array.from(v) : null;
  });
}

describe('multi-level OFI: worked by hand from the formula, per level', () => {
  // Previous book: L1 100 × 5 / 101 × 4, L2 99.5 × 8 / 101.5 × 6. Level 1 stays put in these cases.
  const prev = book([[100, 5], [99.5, 8]], [[101, 4], [101.5, 6]]);
  const l2 = [
    { name: 'L2 bid up to 99.8 × 3: +3', bid: [99.8, 3], ask: [101.5, 6], e2: 3 },
    { name: 'L2 bid queue 8 → 10: +2', bid: [99.5, 10], ask: [101.5, 6], e2: 2 },
    { name: 'L2 bid down to 99 × 1: −8', bid: [99, 1], ask: [101.5, 6], e2: -8 },
    { name: 'L2 ask down to 101.2 × 2: −2', bid: [99.5, 8], ask: [101.2, 2], e2: -2 },
    { name: 'L2 ask queue 6 → 1: +5', bid: [99.5, 8], ask: [101.5, 1], e2: 5 },
    { name: 'L2 ask up to 102 × 7: +6', bid: [99.5, 8], ask: [102, 7], e2: 6 },
    { name: 'L2 bid up 99.8 × 3 and ask up 102 × 7: +3 + 6', bid: [99.8, 3], ask: [102, 7], e2: 9 },
  ] as const;
  for (const c of l2) {
    it(c.name, () => {
      const next = book([[100, 5], [c.bid[0], c.bid[1]]], [[101, 4], [c.ask[0], c.ask[1]]]);
      expect(run({ levels: 2 }, [prev, next])).toEqual([null, [0, c.e2]]);
    });
  }

  it('the best bid is taken out: every level shifts, and each level sees its own price fall', () => {
    // L1: 100 × 5 → 99.5 × 8 (price down: −5); L2: 99.5 × 8 → 99 × 2 (price down: −8)
    const next = book([[99.5, 8], [99, 2]], [[101, 4], [101.5, 6]]);
    expect(run({ levels: 2 }, [prev, next])).toEqual([null, [-5, -8]]);
  });

  it('levels beyond a thin book are empty queues at the worst price', () => {
    // L2 bid disappears (−8); then returns at 99 × 4 (+4); k = 3: L3 stays empty on both sides (0)
    const thin = book([[100, 5]], [[101, 4], [101.5, 6]]);
    const back = book([[100, 5], [99, 4]], [[101, 4], [101.5, 6]]);
    expect(run({ levels: 3 }, [prev, thin, back])).toEqual([null, [0, -8, 0], [0, 4, 0]]);
  });

  it('normalised by the average depth across levels and updates (Q of Cont, Cucuringu & Zhang)', () => {
    const next = book([[100, 7], [99.5, 8]], [[101, 4], [101.5, 6]]); // e = [2, 0]
    // depth of `next`: (1/2)·((7 + 4)/2 + (8 + 6)/2) = (5.5 + 7)/2 = 6.25
    expect(run({ levels: 2, normalize: true }, [prev, next])[1]).toEqual([2 / 6.25, 0]);
    const third = book([[100, 7], [99.5, 9]], [[101, 2], [101.5, 6]]); // e = [2, 1], depth ((7 + 2)/2 + (9 + 6)/2)/2 = 6
    const cum = run({ levels: 2, sum: 'cumulative', normalize: true }, [prev, next, third])[2]!;
    expect(cum[0]).toBeCloseTo(4 / ((6.25 + 6) / 2), 14);
    expect(cum[1]).toBeCloseTo(1 / ((6.25 + 6) / 2), 14);
  });

  it('a non-finite size on a non-empty level refuses the update', () => {
    const c = new MultiLevelOfiCalculator({ levels: 2, sum: 'cumulative' });
    c.update(prev);
    c.update(book([[100, Number.NaN], [99.5, 8]], [[101, 4], [101.5, 6]]));
    expect(c.state.invalid).toBe(1);
    expect(c.value, 'no flow yet').toBeNull();
  });
});

function lobsterColumns(b: LobsterBook, k: number): LevelColumns {
  return { bidPrices: b.bidPrices.slice(0, k), bidQtys: b.bidQtys.slice(0, k), askPrices: b.askPrices.slice(0, k), askQtys: b.askQtys.slice(0, k), ts: b.ts };
}

describe('multi-level OFI on real data', () => {
  it('LOBSTER AMZN level 5: level 1 equals best-level OFI, and deeper levels carry flow too', async () => {
    const b = await lobsterLevel5();
    const ml = multiLevelOfi(lobsterColumns(b, 5), { levels: 5, sum: 'cumulative' });
    const best = ofi({ bidPrice: b.bidPrices[0]!, bidQty: b.bidQtys[0]!, askPrice: b.askPrices[0]!, askQty: b.askQtys[0]!, ts: b.ts }, { sum: 'cumulative' });
    expect(ml[0], 'level 1 of MLOFI is the best-level OFI').toEqual(best);
    const perEvent = multiLevelOfi(lobsterColumns(b, 5), { levels: 5 });
    for (let m = 1; m < 5; m++) expect(perEvent[m]!.some((x) => x !== 0 && !Number.isNaN(x)), `level ${m + 1} sees flow`).toBe(true);
  });
});

describe('multi-level OFI with one level is best-level OFI', () => {
  const sums = [{}, { sum: 'cumulative' }, { sum: { events: 4 }, normalize: true }, { sum: { ms: 50 } }, { sum: { barMs: 70 }, normalize: true }] as const;
  for (const o of sums) {
    it(`sum ${JSON.stringify(o)}: the two kernels agree on random books`, () => {
      fc.assert(
        fc.property(booksArb, (books) => {
          const cols = toColumns(books, 1);
          const ml = multiLevelOfi(cols, { levels: 1, ...o })[0]!;
          const best = ofi({ bidPrice: cols.bidPrices[0]!, bidQty: cols.bidQtys[0]!, askPrice: cols.askPrices[0]!, askQty: cols.askQtys[0]!, ts: cols.ts }, { ...o, updateIds: 'keep' });
          for (let i = 0; i < books.length; i++) {
            const a = ml[i]!;
            const b = best[i]!;
            if (!(Number.isNaN(a) && Number.isNaN(b)) && Math.abs(a - b) > 1e-12 * Math.max(1, Math.abs(b))) throw new Error(`row ${i}: ${a} vs ${b}`);
          }
        }),
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The calculator contract.
// ---------------------------------------------------------------------------------------------

const K = 3;
const sideArb = fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 4 });
const bookArb: fc.Arbitrary<BookLevels> = fc
  .record({ base: fc.integer({ min: -2, max: 2 }), spread: fc.integer({ min: 1, max: 2 }), bids: sideArb, asks: sideArb, dt: fc.integer({ min: -10, max: 40 }), bad: fc.integer({ min: 0, max: 40 }) })
  .map((r) => ({
    bidPrices: r.bids.map((_, m) => 100 + 0.5 * r.base - 0.5 * m),
    bidQtys: r.bids.map((q, m) => (r.bad === 0 && m === 0 ? Number.NaN : q)),
    askPrices: r.asks.map((_, m) => 100 + 0.5 * (r.base + r.spread) + 0.5 * m),
    askQtys: r.asks,
    ts: r.dt,
  }));
const booksArb = fc.array(bookArb, { maxLength: 80 }).map((xs) => {
  let t = 1_700_000_000_000;
  return xs.map((x) => ({ ...x, ts: (t += x.ts!) }));
});

function toColumns(chunk: readonly BookLevels[], k: number): LevelColumns {
  const col = (f: (b: BookLevels) => ArrayLike<number>, m: number, empty: number) => Float64Array.from(chunk, (b) => (m < f(b).length ? f(b)[m]! : empty));
  const levels = Array.from({ length: k }, (_, m) => m);
  return {
    bidPrices: levels.map((m) => col((b) => b.bidPrices, m, Number.NaN)),
    bidQtys: levels.map((m) => col((b) => b.bidQtys, m, 0)),
    askPrices: levels.map((m) => col((b) => b.askPrices, m, Number.NaN)),
    askQtys: levels.map((m) => col((b) => b.askQtys, m, 0)),
    ts: Float64Array.from(chunk, (b) => b.ts ?? Number.NaN),
  };
}

function rowsOf(out: Float64Array[], n: number): (Float64Array | null)[] {
  return Array.from({ length: n }, (_, i) => (Number.isNaN(out[0]![i]!) ? null : Float64Array.from(out, (c) => c[i]!)));
}

async function lobsterRows(): Promise<BookLevels[]> {
  const b = await lobsterLevel5();
  return Array.from({ length: b.length }, (_, i) => ({
    bidPrices: b.bidPrices.map((c) => c[i]!),
    bidQtys: b.bidQtys.map((c) => c[i]!),
    askPrices: b.askPrices.map((c) => c[i]!),
    askQtys: b.askQtys.map((c) => c[i]!),
    ts: b.ts[i]!,
  }));
}

/** Top 5 of a local book rebuilt from the real capture's diffs, after every applied diff. */
function binanceBookRows(): BookLevels[] {
  const msgs = readDepthAndTickers('binance-ws/usdm/btcusdt_20240808.gz');
  const lob = new LocalOrderBook();
  const top = topLevels(5);
  const rows: BookLevels[] = [];
  const pending: typeof msgs = [];
  const apply = (m: (typeof msgs)[number]) => {
    if (m.kind === 'diff' && lob.applyDiff(m) === 'applied') {
      lob.topK(5, top);
      rows.push({ bidPrices: top.bidPrices.slice(), bidQtys: top.bidQtys.slice(), askPrices: top.askPrices.slice(), askQtys: top.askQtys.slice(), ts: m.ts });
    }
  };
  for (const m of msgs) {
    if (m.kind === 'snapshot') {
      lob.applySnapshot(m);
      pending.forEach(apply); // diffs that arrived before the snapshot: the sync rules drop the stale ones
    } else if (lob.stats.snapshots === 0) pending.push(m);
    else apply(m);
  }
  return rows;
}

const cases: { name: string; options: MultiLevelOfiOptions; real: () => BookLevels[] | Promise<BookLevels[]> }[] = [
  { name: 'MLOFI per event (3 levels)', options: { levels: K }, real: lobsterRows },
  { name: 'MLOFI over 5 events, normalised (3 levels)', options: { levels: K, sum: { events: 5 }, normalize: true }, real: binanceBookRows },
  { name: 'MLOFI in 10 s bars, normalised (3 levels)', options: { levels: K, sum: { barMs: 10_000 }, normalize: true }, real: lobsterRows },
  { name: 'MLOFI over 1 s (3 levels)', options: { levels: K, sum: { ms: 1000 } }, real: binanceBookRows },
];
for (const c of cases) {
  testCalculatorContract<BookLevels, Float64Array, MultiLevelOfiState>(c.name, {
    make: () => new MultiLevelOfiCalculator(c.options),
    state: () => new MultiLevelOfiState(c.options),
    columnar: (chunk, st) => rowsOf(multiLevelOfi(toColumns(chunk, K), c.options, undefined, st), chunk.length),
    inputs: booksArb,
    realInputs: c.real,
    numRuns: 60,
  });
}
