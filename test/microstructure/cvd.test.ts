import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { eventsToBatch, type TradeEvent } from '../../src/core/index.js';
import { cvd, CvdCalculator, type CvdOptions } from '../../src/microstructure/cvd.js';
import { marketMask, tradeColumns } from '../../src/core/columns.js';
import { dataPath } from '../helpers/data.js';
import { loadCapture } from './real-data.js';
import { testCalculatorContract } from './contract.js';

const H = 3_600_000;
const DAY0 = Date.UTC(2024, 7, 8);

function tr(ts: number, side: 'buy' | 'sell', qty: number, price: number, printKind = 'MARKET'): TradeEvent {
  return { type: 'trade', symbol: 'BTCUSDT', ts, recvTs: ts, price, qty, side, id: ts, firstId: ts, lastId: ts, printKind };
}

function stream(trades: TradeEvent[], options: CvdOptions = {}): { base: (number | null)[]; quote: (number | null)[] } {
  const c = new CvdCalculator(options);
  const base: (number | null)[] = [];
  const quote: (number | null)[] = [];
  for (const t of trades) {
    c.update(t);
    base.push(c.base);
    quote.push(c.quote);
  }
  return { base, quote };
}

function closeTo(actual: (number | null)[], expected: (number | null)[], why: string): void {
  expect(actual.length, why).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (e === null) expect(a, `${why} [${i}]`).toBeNull();
    else expect(a!, `${why} [${i}]`).toBeCloseTo(e, 9);
  });
}

describe('CVD golden values (worked by hand)', () => {
  // buy 2 @100, sell 0.5 @101, a liquidation sell 9 @90 (not a market print), buy 1 @102, sell 3 @99
  const seq = [tr(1, 'buy', 2, 100), tr(2, 'sell', 0.5, 101), tr(3, 'sell', 9, 90, 'INSURANCE_FUND'), tr(4, 'buy', 1, 102), tr(5, 'sell', 3, 99)];

  it('no reset: base and quote units; the insurance-fund print adds nothing', () => {
    const { base, quote } = stream(seq);
    closeTo(base, [2, 1.5, 1.5, 2.5, -0.5], 'Σ ±qty');
    // 200; 200 − 50.5; same; + 102; − 297
    closeTo(quote, [200, 149.5, 149.5, 251.5, -45.5], 'Σ ±price·qty');
  });

  it("prints: 'all' counts the liquidation too", () => {
    closeTo(stream(seq, { prints: 'all' }).base, [2, 1.5, -7.5, -6.5, -9.5], 'all prints');
  });

  it('unit: quote makes value the quote CVD', () => {
    const c = new CvdCalculator({ unit: 'quote' });
    expect(c.update(seq[0]!)).toBe(200);
    expect(c.update(seq[1]!)).toBe(149.5);
  });

  it('value is null before the first trade, and after reset()', () => {
    const c = new CvdCalculator();
    expect(c.value).toBeNull();
    expect(c.isReady).toBe(false);
    c.update(seq[0]!);
    expect(c.isReady).toBe(true);
    c.reset();
    expect(c.value).toBeNull();
    expect(c.update(seq[1]!), 'a fresh start').toBe(-0.5);
  });

  it('per UTC day: the first trade at or after midnight starts from zero', () => {
    const t = [tr(DAY0 - 2000, 'buy', 1, 10), tr(DAY0 - 1, 'buy', 2, 10), tr(DAY0, 'sell', 0.25, 10), tr(DAY0 + 5, 'buy', 1, 10)];
    closeTo(stream(t, { reset: 'day' }).base, [1, 3, -0.25, 0.75], 'reset at 00:00:00.000');
  });

  it('per session: 00:00 / 08:00 / 16:00 UTC', () => {
    const s = { reset: { sessions: ['00:00', '08:00', '16:00'] } } as const;
    const t = [
      tr(DAY0 + 7 * H, 'buy', 1, 10), // session 00–08
      tr(DAY0 + 8 * H - 1, 'buy', 1, 10), // still 00–08 → 2
      tr(DAY0 + 8 * H, 'sell', 4, 10), // new session 08–16 → −4
      tr(DAY0 + 15 * H, 'buy', 1, 10), // −3
      tr(DAY0 + 16 * H + 1, 'buy', 1, 10), // 16–24 → 1
      tr(DAY0 + 24 * H + 1, 'buy', 5, 10), // next day 00–08 → 5
    ];
    closeTo(stream(t, s).base, [1, 2, -4, -3, 1, 5], 'three sessions a day');
  });

  it('a session list that does not start at midnight: early hours belong to yesterday’s last session', () => {
    const t = [tr(DAY0 + 21 * H, 'buy', 1, 10), tr(DAY0 + 27 * H, 'buy', 1, 10), tr(DAY0 + 32 * H, 'buy', 1, 10)];
    // sessions at 08:00 and 20:00: 21h and 27h (= 03:00 next day) share the 20:00 session; 32h (08:00) starts anew
    closeTo(stream(t, { reset: { sessions: ['20:00', '08:00'] } }).base, [1, 2, 1], 'wraps midnight');
  });

  it('rolling window of N market prints; a liquidation does not take a slot', () => {
    // window of 2 counted prints: [2], [2,−0.5], [2,−0.5] (liquidation skipped), [−0.5,1], [1,−3]
    closeTo(stream(seq, { reset: { events: 2 } }).base, [null, 1.5, 1.5, 0.5, -2], 'last 2 market prints');
  });

  it('rolling time window (t − T, t]: warm once T has elapsed since the first trade', () => {
    const t = [tr(0, 'buy', 1, 10), tr(400, 'buy', 2, 10), tr(1000, 'sell', 4, 10), tr(1400, 'buy', 8, 10), tr(5000, 'buy', 16, 10)];
    // T = 1000: at 1000 the print at 0 leaves ((0, 1000]); at 1400 the print at 400 leaves; at 5000 only itself
    closeTo(stream(t, { reset: { ms: 1000 } }).base, [null, null, -2, 4, 16], 'time window');
  });

  it('rolling time window: a late print is stamped with the latest time (monotone clock)', () => {
    const t = [tr(0, 'buy', 1, 10), tr(1000, 'buy', 2, 10), tr(500, 'buy', 4, 10), tr(2000, 'buy', 8, 10)];
    // at 1000 the print at 0 leaves; the late print counts as at 1000; at 2000 both prints at 1000 leave
    closeTo(stream(t, { reset: { ms: 1000 } }).base, [null, 2, 6, 8], 'clamped clock');
  });

  it('refuses bad options, naming them', () => {
    expect(() => new CvdCalculator({ reset: { events: 0 } })).toThrow(/reset.events/);
    expect(() => new CvdCalculator({ reset: { ms: -5 } })).toThrow(/reset.ms/);
    expect(() => new CvdCalculator({ reset: { sessions: ['25:00'] } })).toThrow(/sessions\[0\].*25:00/);
    const cols = tradeColumns(eventsToBatch('trade', seq)!);
    expect(() => cvd(cols, {}, { base: new Float64Array(2), quote: new Float64Array(5) })).toThrow(/out/);
  });
});

describe('marketMask', () => {
  it('reads the Utf8 bytes, also on a sliced batch', () => {
    const kinds = ['MARKET', 'INSURANCE_FUND', 'MARKET', 'ADL', 'NA', 'MARKEt', 'MARKETS', 'MARKET'];
    const batch = eventsToBatch('trade', kinds.map((k, i) => tr(i, 'buy', 1, 1, k)))!;
    const expected = kinds.map((k) => (k === 'MARKET' ? 1 : 0));
    expect(Array.from(marketMask(batch))).toEqual(expected);
    expect(Array.from(marketMask(batch.slice(3, 8))), 'offset into the buffers').toEqual(expected.slice(3, 8));
  });

  it('tradeColumns of a sliced batch see the slice’s rows', () => {
    const batch = eventsToBatch('trade', [0, 1, 2, 3, 4, 5].map((i) => tr(i, i % 2 ? 'buy' : 'sell', i, i)))!;
    const c = tradeColumns(batch.slice(2, 5));
    expect(Array.from(c.ts)).toEqual([2, 3, 4]);
    expect(Array.from(c.side)).toEqual([-1, 1, -1]);
  });
});

const tradeArb = fc.record({
  dt: fc.oneof(fc.integer({ min: 0, max: 3 * H }), fc.integer({ min: -60_000, max: 0 })),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  qty: fc.double({ min: 0.001, max: 100, noNaN: true }),
  price: fc.double({ min: 1, max: 1e5, noNaN: true }),
  kind: fc.constantFrom('MARKET', 'MARKET', 'MARKET', 'INSURANCE_FUND'),
});
const resetArb = fc.constantFrom<CvdOptions['reset']>('none', 'day', { sessions: ['00:00', '08:00', '16:00'] }, { sessions: ['13:30'] }, { events: 1 }, { events: 7 }, { ms: 1 }, { ms: 2 * H });

function toTrades(xs: { dt: number; side: 'buy' | 'sell'; qty: number; price: number; kind: string }[]): TradeEvent[] {
  let ts = DAY0 - 5 * H;
  return xs.map((x) => tr((ts += x.dt), x.side, x.qty, x.price, x.kind));
}

describe('CVD: streaming equals columnar', () => {
  it('on random input, whatever the chunk sizes', () => {
    fc.assert(
      fc.property(fc.array(tradeArb, { minLength: 1, maxLength: 200 }), resetArb, fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1 }), (xs, reset, chunks) => {
        const trades = toTrades(xs);
        const s = stream(trades, { reset });
        const batch = eventsToBatch('trade', trades)!;
        const whole = cvd(batch, { reset });
        // columnar in chunks, state carried across
        const calc = new CvdCalculator({ reset });
        const cols = tradeColumns(batch);
        const base = new Float64Array(trades.length);
        for (let at = 0, c = 0; at < trades.length; c++) {
          const n = Math.min(chunks[c % chunks.length]!, trades.length - at);
          const part = {
            ts: cols.ts.subarray(at, at + n),
            price: cols.price.subarray(at, at + n),
            qty: cols.qty.subarray(at, at + n),
            side: cols.side.subarray(at, at + n),
            market: cols.market.subarray(at, at + n),
          };
          base.set(calc.updateColumns(part).base, at);
          at += n;
        }
        for (let i = 0; i < trades.length; i++) {
          const a = s.base[i] ?? NaN;
          expect(Object.is(whole.base[i], a) || Math.abs(whole.base[i]! - a) <= 1e-12, `row ${i}`).toBe(true);
          expect(Object.is(base[i], whole.base[i]), `chunked row ${i}`).toBe(true);
          const q = s.quote[i] ?? NaN;
          expect(Object.is(whole.quote[i], q) || Math.abs(whole.quote[i]! - q) <= 1e-12, `quote row ${i}`).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a rolling sum does not drift: after the window empties it is exactly the sum of what is in it', () => {
    fc.assert(
      fc.property(fc.array(tradeArb, { minLength: 1, maxLength: 300 }), (xs) => {
        const trades = toTrades(xs);
        const c = new CvdCalculator({ reset: { events: 5 } });
        trades.forEach((t, i) => {
          c.update(t);
          if (!c.isReady) return;
          // independent sum of the last 5 market prints
          const last = trades.slice(0, i + 1).filter((x) => x.printKind === 'MARKET').slice(-5);
          const exact = last.reduce((a, x) => a + (x.side === 'buy' ? x.qty : -x.qty), 0);
          expect(c.base!).toBeCloseTo(exact, 9);
        });
      }),
      { numRuns: 100 },
    );
  });
});

/** Independent count: signed qty of `X == "MARKET"` trade lines, by regex over the raw capture. */
function rawCvd(files: string[], fromTs = -Infinity): { base: number; n: number } {
  const re = /"e":"trade","E":(\d+).*?"q":"([\d.]+)","X":"([A-Z_]+)","m":(true|false)/;
  let base = 0;
  let n = 0;
  for (const f of files) {
    for (const line of gunzipSync(readFileSync(f)).toString('utf8').split('\n')) {
      const m = re.exec(line);
      if (!m || m[3] !== 'MARKET' || Number(m[1]) < fromTs) continue;
      base += m[4] === 'true' ? -Number(m[2]) : Number(m[2]);
      n++;
    }
  }
  return { base, n };
}

describe('CVD on real Binance USD-M captures', () => {
  const file = dataPath('binance-ws/usdm/btcusdt_20240808.gz');

  it('final CVD equals the signed sum of the MARKET trade lines; streaming equals columnar row by row', async () => {
    const { trades } = await loadCapture(file);
    const raw = rawCvd([file]);
    expect(trades.length, 'README: 21,313 trade lines').toBe(21_313);
    expect(raw.n).toBe(trades.length);
    const batch = eventsToBatch('trade', trades)!;
    const col = cvd(batch);
    expect(col.base[trades.length - 1]!).toBeCloseTo(raw.base, 9);
    const s = stream(trades);
    for (let i = 0; i < trades.length; i++) expect(Math.abs(col.base[i]! - s.base[i]!)).toBeLessThanOrEqual(1e-12);
  });

  it('a liquidation print inserted into the real stream changes nothing', async () => {
    const { trades } = await loadCapture(file);
    // An insurance-fund print shaped like Binance's documented trade message ("X":"INSURANCE_FUND"),
    // far from the market as liquidations are; everything else is the real capture.
    const at = 1000;
    const ref = trades[at]!;
    const liq = tr(ref.ts, 'sell', 25, ref.price * 0.97, 'INSURANCE_FUND');
    const withLiq = [...trades.slice(0, at + 1), liq, ...trades.slice(at + 1)];
    const a = cvd(eventsToBatch('trade', trades)!);
    const b = cvd(eventsToBatch('trade', withLiq)!);
    expect(b.base[at + 1], 'the liquidation row carries the CVD unchanged').toBe(a.base[at]);
    expect(b.base[withLiq.length - 1]).toBe(a.base[trades.length - 1]);
    expect(b.quote[withLiq.length - 1]).toBe(a.quote[trades.length - 1]);
    expect(cvd(eventsToBatch('trade', withLiq)!, { prints: 'all' }).base[withLiq.length - 1]!, 'counted when asked').toBeCloseTo(a.base[trades.length - 1]! - 25, 9);
  });

  it('per UTC day across the midnight of the 2024-07-18/19 recording', async () => {
    const files = [dataPath('binance-ws/usdm/btcusdt_20240718.gz'), dataPath('binance-ws/usdm/btcusdt_20240719.gz')];
    const all = (await Promise.all(files.map(loadCapture))).flatMap((c) => c.trades);
    const midnight = Date.UTC(2024, 6, 19);
    const raw = rawCvd(files, midnight);
    expect(raw.n, 'trades after midnight exist').toBeGreaterThan(0);
    const col = cvd(eventsToBatch('trade', all)!, { reset: 'day' });
    expect(col.base[all.length - 1]!).toBeCloseTo(raw.base, 9);
  });
});

const contractConfigs: { label: string; options: CvdOptions; warmup?: number }[] = [
  { label: 'no reset', options: {}, warmup: 0 },
  { label: 'per UTC day, quote units', options: { reset: 'day', unit: 'quote' }, warmup: 0 },
  { label: 'sessions', options: { reset: { sessions: ['00:00', '08:00', '16:00'] } }, warmup: 0 },
  { label: 'last 5 market prints', options: { reset: { events: 5 } } },
  { label: 'last minute', options: { reset: { ms: 60_000 } } },
];

for (const { label, options, warmup } of contractConfigs) {
  testCalculatorContract<TradeEvent, number, CvdCalculator>(`CvdCalculator (${label})`, {
    make: () => new CvdCalculator(options),
    state: () => new CvdCalculator(options),
    columnar: (chunk, state) => {
      if (chunk.length === 0) return [];
      const r = state.updateColumns(tradeColumns(eventsToBatch('trade', chunk)!));
      return Array.from(options.unit === 'quote' ? r.quote : r.base, (x) => (x === x ? x : null));
    },
    inputs: fc.array(tradeArb, { maxLength: 120 }).map(toTrades),
    realInputs: async () => (await loadCapture(dataPath('binance-ws/usdm/btcusdt_20240808.gz'))).trades,
    ...(warmup === undefined ? {} : { warmup }),
  });
}
