import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eventsToBatch } from '../../src/core/batch.js';
import type { QuoteEvent } from '../../src/core/events.js';
import { OfiCalculator, OfiState, ofi, ofiFromBatch, orderByUpdateId, type OfiColumns, type OfiOptions, type OfiQuote } from '../../src/microstructure/ofi.js';
import { readCapture } from '../../src/io/capture.js';
import { readBookTickerQuotes } from '../helpers/binance-quotes.js';
import { dataPath } from '../helpers/data.js';
import { lobsterLevel1 } from '../helpers/lobster-book.js';
import { testCalculatorContract } from './contract.js';

const q = (bidPrice: number, bidQty: number, askPrice: number, askQty: number, extra: Partial<OfiQuote> = {}): OfiQuote => ({ bidPrice, bidQty, askPrice, askQty, ...extra });

function run(options: OfiOptions, quotes: OfiQuote[]): (number | null)[] {
  const c = new OfiCalculator(options);
  return quotes.map((x) => c.update(x));
}

function columnsOf(quotes: readonly OfiQuote[]): OfiColumns {
  return {
    bidPrice: Float64Array.from(quotes, (x) => x.bidPrice),
    bidQty: Float64Array.from(quotes, (x) => x.bidQty),
    askPrice: Float64Array.from(quotes, (x) => x.askPrice),
    askQty: Float64Array.from(quotes, (x) => x.askQty),
    ts: Float64Array.from(quotes, (x) => x.ts ?? Number.NaN),
    updateId: Float64Array.from(quotes, (x) => x.updateId ?? Number.NaN),
  };
}

describe('best-level OFI: every branch of e_n, worked by hand from the formula', () => {
  // Previous quote: bid 100 × 5, ask 101 × 4.
  // Bid term 1{Pb ≥ Pb'}·qb − 1{Pb ≤ Pb'}·qb':
  const bid = [
    { name: 'bid up to 100.5 × 3 (new better level: +qb)', pb: 100.5, qb: 3, term: 3 },
    { name: 'bid unchanged, 5 → 8 (queue change: qb − qb′)', pb: 100, qb: 8, term: 3 },
    { name: 'bid unchanged, 5 → 2', pb: 100, qb: 2, term: -3 },
    { name: 'bid down to 99.5 × 2 (level gone: −qb′)', pb: 99.5, qb: 2, term: -5 },
  ];
  // Ask term −1{Pa ≤ Pa'}·qa + 1{Pa ≥ Pa'}·qa':
  const ask = [
    { name: 'ask down to 100.8 × 6 (new better level: −qa)', pa: 100.8, qa: 6, term: -6 },
    { name: 'ask unchanged, 4 → 1 (−(qa − qa′))', pa: 101, qa: 1, term: 3 },
    { name: 'ask unchanged, 4 → 7', pa: 101, qa: 7, term: -3 },
    { name: 'ask up to 101.5 × 9 (level gone: +qa′)', pa: 101.5, qa: 9, term: 4 },
  ];
  for (const b of bid) {
    for (const a of ask) {
      it(`${b.name}; ${a.name} → ${b.term + a.term}`, () => {
        expect(run({}, [q(100, 5, 101, 4), q(b.pb, b.qb, a.pa, a.qa)])).toEqual([null, b.term + a.term]);
      });
    }
  }

  it('nothing changes → 0', () => {
    expect(run({}, [q(100, 5, 101, 4), q(100, 5, 101, 4)])).toEqual([null, 0]);
  });

  it('a sequence: cumulative and per event', () => {
    const quotes = [
      q(100, 5, 101, 4), // first: no value
      q(100, 7, 101, 4), // bid +2 → 2
      q(100, 7, 101, 1), // ask queue −3 → +3
      q(99, 6, 101, 1), // bid down: −7 → −7
      q(99, 6, 100, 2), // ask down, new level 2 → −2
      q(99.5, 1, 100.5, 8), // bid up +1; ask up: +2 → 3
    ];
    expect(run({}, quotes)).toEqual([null, 2, 3, -7, -2, 3]);
    expect(run({ sum: 'cumulative' }, quotes)).toEqual([null, 2, 5, -2, -4, -1]);
    expect(run({ sum: { events: 2 } }, quotes)).toEqual([null, 2, 5, -4, -9, 1]);
  });

  it('time windows and time bars', () => {
    const quotes = [
      q(100, 5, 101, 4, { ts: 1000 }),
      q(100, 7, 101, 4, { ts: 1040 }), // +2
      q(100, 7, 101, 1, { ts: 1090 }), // +3
      q(99, 6, 101, 1, { ts: 1120 }), // −7
      q(99, 6, 100, 2, { ts: 1230 }), // −2
    ];
    // window (t − 100, t]: at 1120 it holds 1040, 1090, 1120 (1020 < 1040); at 1230: 1230 only (1130 < …)
    expect(run({ sum: { ms: 100 } }, quotes)).toEqual([null, 2, 5, -2, -2]);
    // 100 ms bars: [1000, 1100) holds +2, +3; [1100, 1200) holds −7; [1200, 1300) holds −2
    expect(run({ sum: { barMs: 100 } }, quotes)).toEqual([null, 2, 5, -7, -2]);
  });

  it('normalised by the average depth over the same updates', () => {
    const quotes = [
      q(100, 5, 101, 4),
      q(100, 7, 101, 4), // e = 2, depth (7 + 4)/2 = 5.5
      q(100, 7, 101, 1), // e = 3, depth (7 + 1)/2 = 4
    ];
    expect(run({ normalize: true }, quotes)).toEqual([null, 2 / 5.5, 3 / 4]);
    const cum = run({ sum: 'cumulative', normalize: true }, quotes);
    expect(cum[2]).toBeCloseTo(5 / ((5.5 + 4) / 2), 14);
  });

  it('an empty side is an empty queue at the worst price', () => {
    // bid side empties: bid term −qb′ = −5; then it comes back at 99 × 3: +3
    expect(run({}, [q(100, 5, 101, 4), q(Number.NaN, 0, 101, 4), q(99, 3, 101, 4)])).toEqual([null, -5, 3]);
    // LOBSTER's dummy prices act the same
    expect(run({}, [q(100, 5, 101, 4), q(-999999.9999, 0, 101, 4), q(99, 3, 101, 4)])).toEqual([null, -5, 3]);
    expect(run({}, [q(100, 5, 101, 4), q(100, 5, Number.NaN, 0), q(100, 5, 102, 1)])).toEqual([null, 4, -1]);
  });

  it('a non-finite size on a non-empty level is refused and counted', () => {
    const c = new OfiCalculator({ sum: 'cumulative' });
    expect([q(100, 5, 101, 4), q(100, 7, 101, 4), q(100, Number.NaN, 101, 4), q(100, 8, 101, 4)].map((x) => c.update(x))).toEqual([null, 2, 2, 3]);
    expect(c.state.invalid).toBe(1);
  });
});

describe('best-level OFI: update ids (Binance bookTicker u)', () => {
  const quotes = [
    q(100, 5, 101, 4, { updateId: 10 }),
    q(100, 7, 101, 4, { updateId: 12 }), // +2
    q(100, 9, 101, 4, { updateId: 12 }), // repeated id: skipped
    q(100, 1, 101, 4, { updateId: 11 }), // late: skipped
    q(100, 8, 101, 4, { updateId: 13 }), // against 7: +1
  ];

  it('drop-stale (default): repeated and late ids are skipped and counted; the value repeats (0 per event)', () => {
    const c = new OfiCalculator();
    expect(quotes.map((x) => c.update(x))).toEqual([null, 2, 0, 0, 1]);
    expect(c.state.duplicates).toBe(1);
    expect(c.state.outOfOrder).toBe(1);
    expect(run({ sum: 'cumulative' }, quotes)).toEqual([null, 2, 2, 2, 3]);
  });

  it('keep: every update counts, in arrival order', () => {
    // +2, then 7 → 9: +2, 9 → 1: −8, 1 → 8: +7
    expect(run({ updateIds: 'keep' }, quotes)).toEqual([null, 2, 2, -8, 7]);
  });

  it('orderByUpdateId puts a day in id order and keeps the first of each id', () => {
    const cols = orderByUpdateId(columnsOf(quotes) as OfiColumns & { updateId: Float64Array });
    expect(Array.from(cols.updateId)).toEqual([10, 11, 12, 13]);
    expect(Array.from(cols.bidQty)).toEqual([5, 1, 7, 8]);
    // 5 → 1: −4; 1 → 7: +6; 7 → 8: +1
    expect(Array.from(ofi(cols, {}))).toEqual([Number.NaN, -4, 6, 1]);
  });
});

describe('best-level OFI: columnar faces', () => {
  it('ofiFromBatch reads an Arrow quote batch like the columns', () => {
    const events: QuoteEvent[] = [
      { type: 'quote', symbol: 'BTCUSDT', ts: 1, recvTs: 2, bidPrice: 100, bidQty: 5, askPrice: 101, askQty: 4, updateId: 1 },
      { type: 'quote', symbol: 'BTCUSDT', ts: 2, recvTs: 3, bidPrice: 100, bidQty: 7, askPrice: 101, askQty: 4, updateId: 2 },
      { type: 'quote', symbol: 'BTCUSDT', ts: 3, recvTs: 4, bidPrice: 100, bidQty: 7, askPrice: 100.5, askQty: 2, updateId: 2 },
      { type: 'quote', symbol: 'BTCUSDT', ts: 4, recvTs: 5, bidPrice: 100, bidQty: 7, askPrice: 100.5, askQty: 2, updateId: 3 },
    ];
    const batch = eventsToBatch('quote', events)!;
    expect(Array.from(ofiFromBatch(batch, { sum: 'cumulative' })), 'the repeated id 2 is skipped; id 3 then moves the ask down: −2').toEqual([Number.NaN, 2, 2, 0]);
    expect(Array.from(ofiFromBatch(batch, { sum: 'cumulative', updateIds: 'keep' }))).toEqual([Number.NaN, 2, 0, 0]);
  });

  it('refuses mismatched columns, a missing time column and a foreign state', () => {
    const c = columnsOf([q(1, 1, 2, 1)]);
    expect(() => ofi({ ...c, askQty: new Float64Array(2) })).toThrow(/askQty/);
    expect(() => ofi({ ...c, ts: undefined }, { sum: { ms: 10 } })).toThrow(/ts/);
    expect(() => ofi(c, { sum: 'cumulative' }, undefined, new OfiState({}))).toThrow(/state/);
    expect(() => new OfiCalculator({ sum: { events: 0 } })).toThrow(/sum.events/);
  });
});

/** e_n written in the paper's piecewise form, separately from the kernel's indicator form. */
function piecewiseOfi(c: { bidPrice: Float64Array; bidQty: Float64Array; askPrice: Float64Array; askQty: Float64Array }): number[] {
  const out = [Number.NaN];
  for (let i = 1; i < c.bidPrice.length; i++) {
    let bidFlow: number;
    if (c.bidPrice[i]! > c.bidPrice[i - 1]!) bidFlow = c.bidQty[i]!;
    else if (c.bidPrice[i] === c.bidPrice[i - 1]) bidFlow = c.bidQty[i]! - c.bidQty[i - 1]!;
    else bidFlow = -c.bidQty[i - 1]!;
    let askFlow: number;
    if (c.askPrice[i]! < c.askPrice[i - 1]!) askFlow = c.askQty[i]!;
    else if (c.askPrice[i] === c.askPrice[i - 1]) askFlow = c.askQty[i]! - c.askQty[i - 1]!;
    else askFlow = -c.askQty[i - 1]!;
    out.push(bidFlow - askFlow);
  }
  return out;
}

describe('best-level OFI on real data against the piecewise form', () => {
  it('Binance USD-M BTCUSDT bookTicker (no stale ids in this capture)', () => {
    const quotes = readBookTickerQuotes('binance-ws/usdm/btcusdt_20240808.gz');
    const st = new OfiState();
    const got = ofi(quotes, {}, undefined, st);
    const want = piecewiseOfi(quotes);
    expect(st.stale, 'the README says u may repeat; this file has none').toBe(0);
    let nonZero = 0;
    for (let i = 0; i < want.length; i++) {
      if (i > 0) expect(got[i], `row ${i}`).toBeCloseTo(want[i]!, 9);
      if (want[i]) nonZero++;
    }
    expect(nonZero, 'most updates move a queue').toBeGreaterThan(want.length / 2);
  });

  it('ofiFromBatch over the capture reader’s Arrow batches, state carried, equals OFI of the independently parsed columns', async () => {
    // spot bookTicker has no event time, so the two parsers' clocks differ there: sum without time
    const cases = [
      { file: 'binance-ws/usdm/btcusdt_20240808.gz', options: { sum: { barMs: 1000 }, normalize: true } },
      { file: 'binance-ws/usdm/ethusdt_20240808.gz', options: { sum: { ms: 500 } } },
      { file: 'binance-ws/spot/btcusdt_20240808.gz', options: { sum: 'cumulative', normalize: true } },
    ] satisfies { file: string; options: OfiOptions }[];
    for (const { file, options } of cases) {
      const st = new OfiState(options);
      const got: number[] = [];
      for await (const { kind, batch } of readCapture(dataPath(file), { batchRows: 10_000 })) {
        if (kind === 'quote') got.push(...ofiFromBatch(batch, options, undefined, st));
      }
      const want = ofi(readBookTickerQuotes(file), options);
      expect(got.length, file).toBe(want.length);
      for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i]) && Math.abs(got[i]! - want[i]!) > 1e-12 * Math.abs(want[i]!)) throw new Error(`${file} row ${i}: ${got[i]} vs ${want[i]}`);
    }
  });

  it('LOBSTER AMZN level 1', () => {
    const b = lobsterLevel1();
    const cols = { bidPrice: b.bidPrices[0]!, bidQty: b.bidQtys[0]!, askPrice: b.askPrices[0]!, askQty: b.askQtys[0]! };
    const got = ofi(cols);
    const want = piecewiseOfi(cols);
    for (let i = 1; i < want.length; i++) if (got[i] !== want[i]) throw new Error(`row ${i}: ${got[i]} vs ${want[i]}`);
  });
});

// ---------------------------------------------------------------------------------------------
// The calculator contract, for several sums.
// ---------------------------------------------------------------------------------------------

const quoteArb: fc.Arbitrary<OfiQuote> = fc
  .record({
    k: fc.integer({ min: -3, max: 3 }),
    spread: fc.integer({ min: 1, max: 3 }),
    qb: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 99_999 }).map((x) => x / 1000)),
    qa: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 99_999 }).map((x) => x / 1000)),
    emptyBid: fc.integer({ min: 0, max: 30 }),
    badQty: fc.integer({ min: 0, max: 40 }),
    dt: fc.integer({ min: -20, max: 60 }),
    du: fc.oneof(fc.integer({ min: -2, max: 4 }), fc.constant(Number.NaN)),
  })
  .map((r) => ({
    bidPrice: r.emptyBid === 0 ? Number.NaN : 100 + r.k * 0.5,
    bidQty: r.emptyBid === 0 ? 0 : r.qb,
    askPrice: 100 + r.k * 0.5 + r.spread * 0.5,
    askQty: r.badQty === 0 ? Number.NaN : r.qa,
    ts: r.dt,
    updateId: r.du,
  }));
// timestamps and ids as running sums of the generated steps
const quotesArb = fc.array(quoteArb, { maxLength: 150 }).map((xs) => {
  let t = 1_700_000_000_000;
  let u = 1000;
  return xs.map((x) => ({ ...x, ts: (t += x.ts!), updateId: Number.isNaN(x.updateId!) ? Number.NaN : (u += x.updateId!) }));
});
const cleanQuotesArb = fc.array(quoteArb, { maxLength: 150 }).map((xs) => xs.map((x, i) => ({ ...x, askQty: Number.isNaN(x.askQty) ? 1 : x.askQty, ts: 1000 + 10 * i, updateId: i })));

function realQuotes(): OfiQuote[] {
  const c = readBookTickerQuotes('binance-ws/usdm/btcusdt_20240808.gz');
  return Array.from({ length: c.length }, (_, i) => ({ bidPrice: c.bidPrice[i]!, bidQty: c.bidQty[i]!, askPrice: c.askPrice[i]!, askQty: c.askQty[i]!, ts: c.ts[i]!, updateId: c.updateId[i]! }));
}
function realLobster(): OfiQuote[] {
  const b = lobsterLevel1();
  return Array.from({ length: b.length }, (_, i) => ({ bidPrice: b.bidPrices[0]![i]!, bidQty: b.bidQtys[0]![i]!, askPrice: b.askPrices[0]![i]!, askQty: b.askQtys[0]![i]!, ts: b.ts[i]! }));
}

const contractCases: { name: string; options: OfiOptions; inputs: fc.Arbitrary<OfiQuote[]>; warmup?: number; real: () => OfiQuote[] }[] = [
  { name: 'OFI per event', options: {}, inputs: quotesArb, real: realQuotes },
  { name: 'OFI per event (clean input)', options: { updateIds: 'keep' }, inputs: cleanQuotesArb, warmup: 1, real: realLobster },
  { name: 'OFI cumulative, normalised', options: { sum: 'cumulative', normalize: true }, inputs: quotesArb, real: realQuotes },
  { name: 'OFI over 7 events, normalised', options: { sum: { events: 7 }, normalize: true }, inputs: quotesArb, real: realLobster },
  { name: 'OFI over 100 ms', options: { sum: { ms: 100 } }, inputs: quotesArb, real: realQuotes },
  { name: 'OFI in 1 s bars, normalised', options: { sum: { barMs: 1000 }, normalize: true }, inputs: quotesArb, real: realLobster },
];
for (const c of contractCases) {
  testCalculatorContract<OfiQuote, number, OfiState>(c.name, {
    make: () => new OfiCalculator(c.options),
    state: () => new OfiState(c.options),
    columnar: (chunk, st) => Array.from(ofi(columnsOf(chunk), c.options, undefined, st), (v) => (Number.isNaN(v) ? null : v)),
    inputs: c.inputs,
    realInputs: c.real,
    warmup: c.warmup,
  });
}
