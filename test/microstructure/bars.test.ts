import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eventsToBatch, type QuoteEvent, type TradeEvent } from '../../src/core/index.js';
import { BAR_FIELDS, BarAggregator, BarColumnsBuilder, bars, barsToArrow, type Bar, type BarColumns, type BarOptions } from '../../src/microstructure/bars.js';
import { quoteColumns, tradeColumns } from '../../src/core/columns.js';
import { close } from './contract.js';
import { dataPath } from '../helpers/data.js';
import { loadCapture } from './real-data.js';

type Ev = QuoteEvent | TradeEvent;

function q(ts: number, bidPrice: number, bidQty: number, askPrice: number, askQty: number): QuoteEvent {
  return { type: 'quote', symbol: 'X', ts, recvTs: ts, bidPrice, bidQty, askPrice, askQty, updateId: ts };
}
function t(ts: number, side: 'buy' | 'sell', qty: number, price: number, printKind = 'MARKET'): TradeEvent {
  return { type: 'trade', symbol: 'X', ts, recvTs: ts, price, qty, side, id: ts, firstId: ts, lastId: ts, printKind };
}

function streamBars(events: readonly Ev[], options: BarOptions): Bar[] {
  const out: Bar[] = [];
  const agg = new BarAggregator(options, (b) => out.push(b));
  for (const e of events) agg.update(e);
  agg.flush();
  return out;
}

function columnsOf(events: readonly Ev[]) {
  const quotes = events.filter((e): e is QuoteEvent => e.type === 'quote');
  const trades = events.filter((e): e is TradeEvent => e.type === 'trade');
  const empty = { ts: new Float64Array(0), bidPrice: new Float64Array(0), bidQty: new Float64Array(0), askPrice: new Float64Array(0), askQty: new Float64Array(0) };
  const emptyT = { ts: new Float64Array(0), price: new Float64Array(0), qty: new Float64Array(0), side: new Int8Array(0), market: new Uint8Array(0) };
  return {
    quotes: quotes.length ? quoteColumns(eventsToBatch('quote', quotes)!) : empty,
    trades: trades.length ? tradeColumns(eventsToBatch('trade', trades)!) : emptyT,
  };
}

function rows(c: BarColumns): Bar[] {
  return Array.from(c.start, (_, i) => Object.fromEntries(BAR_FIELDS.map((f) => [f, c[f][i]!])) as Bar);
}

function sameBars(a: Bar[], b: Bar[], why: string): void {
  expect(a.length, `${why}: number of bars`).toBe(b.length);
  a.forEach((x, i) => {
    for (const f of BAR_FIELDS) {
      if (!close(x[f], b[i]![f])) throw new Error(`${why}: bar ${i} field ${f}: ${x[f]} vs ${b[i]![f]}`);
    }
  });
}

// A hand-worked sequence (1-second bars).
const seq: Ev[] = [
  q(100, 10, 1, 11, 2), // mid 10.5, spread 1; first quote: e = 0
  t(200, 'buy', 0.5, 11),
  q(900, 10, 3, 11, 2), // bid same price: +3 − 1; ask same: −2 + 2 → e = 2
  t(1000, 'sell', 1, 10), // ts ≥ 1000 closes [0, 1000)
  q(1500, 10.5, 1, 11, 1), // bid up: +1; ask same: −1 + 2 → e = 2; mid 10.75, spread 0.5
  q(1600, 10, 4, 10.5, 3), // bid down: −1 (previous bid qty); ask down: −3 → e = −4; mid 10.25
  t(1700, 'sell', 5, 9, 'INSURANCE_FUND'), // not order flow
  q(3500, 10, 4, 10.5, 3), // unchanged: +4 − 4 − 3 + 3 = 0; closes [1000, 2000)
];

const bar0: Bar = { start: 0, end: 1000, open: 10.5, high: 10.5, low: 10.5, close: 10.5, spread: 1, spreadMean: 1, ofi: 2, ofiCum: 2, cvdDelta: 0.5, cvd: 0.5, buyVolume: 0.5, sellVolume: 0, volume: 0.5, quoteVolume: 5.5, quotes: 2, trades: 1 };
const bar1: Bar = { start: 1000, end: 2000, open: 10.75, high: 10.75, low: 10.25, close: 10.25, spread: 0.5, spreadMean: 0.5, ofi: -2, ofiCum: 0, cvdDelta: -1, cvd: -0.5, buyVolume: 0, sellVolume: 1, volume: 1, quoteVolume: 10, quotes: 2, trades: 1 };
const empty2: Bar = { start: 2000, end: 3000, open: 10.25, high: 10.25, low: 10.25, close: 10.25, spread: 0.5, spreadMean: 0.5, ofi: 0, ofiCum: 0, cvdDelta: 0, cvd: -0.5, buyVolume: 0, sellVolume: 0, volume: 0, quoteVolume: 0, quotes: 0, trades: 0 };
const bar3: Bar = { ...empty2, start: 3000, end: 4000, quotes: 1 };

describe('bars golden values (worked by hand)', () => {
  it('1-second time bars, empty bars skipped', () => {
    sameBars(streamBars(seq, { bar: { ms: 1000 } }), [bar0, bar1, bar3], 'streaming');
    sameBars(rows(bars(columnsOf(seq), { bar: { ms: 1000 } })), [bar0, bar1, bar3], 'columnar');
  });

  it('1-second time bars, empty bars emitted with the mid carried and flows zero', () => {
    sameBars(streamBars(seq, { bar: { ms: 1000 }, empty: 'emit' }), [bar0, bar1, empty2, bar3], 'streaming');
  });

  it('a bar closes only when a later event reaches its end; update returns the latest completed bar', () => {
    const agg = new BarAggregator({ bar: { ms: 1000 }, empty: 'emit' });
    const got = seq.map((e) => (agg.update(e), [agg.value?.start ?? null, agg.fresh]));
    expect(got).toEqual([[null, 0], [null, 0], [null, 0], [0, 1], [0, 0], [0, 0], [0, 0], [2000, 2]]);
    expect(agg.flush()?.start).toBe(3000);
    expect(agg.flush(), 'nothing open').toBeNull();
  });

  it('event bars of 3 events; the liquidation counts as an event but not as a trade', () => {
    const a: Bar = { ...bar0, start: 100, end: 900 };
    const b: Bar = { ...bar1, start: 1000, end: 1600 };
    const c: Bar = { ...bar3, start: 1700, end: 3500 };
    sameBars(streamBars(seq, { bar: { events: 3 } }), [a, b, c], 'streaming');
    sameBars(rows(bars(columnsOf(seq), { bar: { events: 3 } })), [a, b, c], 'columnar');
  });

  it('a late event joins the open bar', () => {
    const late = { ...q(900, 12, 1, 13, 1), updateId: 1600 }; // newer book update, older exchange time
    const b = streamBars([q(1500, 10, 1, 11, 1), late, q(2100, 10, 1, 11, 1)], { bar: { ms: 1000 } });
    expect(b.map((x) => [x.start, x.quotes, x.high])).toEqual([[1000, 2, 12.5], [2000, 1, 10.5]]);
  });

  it('a quote with a stale update id is ignored altogether (the OFI rule), unless ids are kept', () => {
    const stale = { ...q(1700, 50, 1, 51, 1), updateId: 1 };
    const evs = [q(1500, 10, 1, 11, 1), stale, q(1800, 10, 2, 11, 1)];
    const [b] = streamBars(evs, { bar: { ms: 1000 } });
    expect([b!.quotes, b!.high, b!.ofi], 'e = +2 − 1 on the bid').toEqual([2, 10.5, 1]);
    const agg = new BarAggregator({ bar: { ms: 1000 } });
    evs.forEach((e) => agg.update(e));
    expect(agg.staleQuotes).toBe(1);
    const [k] = streamBars(evs, { bar: { ms: 1000 }, ofi: { updateIds: 'keep' } });
    expect([k!.quotes, k!.high]).toEqual([3, 50.5]);
  });

  it('a bar without quotes before any quote has NaN levels', () => {
    const b = streamBars([t(5, 'buy', 1, 10)], { bar: { ms: 1000 } })[0]!;
    expect(b.close).toBeNaN();
    expect(b.volume).toBe(1);
  });

  it('CVD reset per day shows in the cvd column, not in cvdDelta', () => {
    const day = 86_400_000;
    const b = streamBars([t(day - 500, 'buy', 2, 1), t(day + 100, 'buy', 1, 1)], { bar: { ms: 1000 }, cvd: { reset: 'day' } });
    expect(b.map((x) => [x.cvdDelta, x.cvd])).toEqual([[2, 2], [1, 1]]);
  });

  it('reset() forgets everything', () => {
    const agg = new BarAggregator({ bar: { ms: 1000 } });
    for (const e of seq) agg.update(e);
    agg.reset();
    expect(agg.value).toBeNull();
    expect(agg.isReady).toBe(false);
    const out: Bar[] = [];
    const fresh = new BarAggregator({ bar: { ms: 1000 } }, (b) => out.push(b));
    for (const e of seq) fresh.update(e);
    const again: Bar[] = [];
    for (const e of seq) {
      agg.update(e);
      if (agg.fresh) again.push(agg.value!);
    }
    sameBars(again, out, 'after reset');
  });

  it('refuses bad options', () => {
    expect(() => new BarAggregator({ bar: { ms: 0 } })).toThrow(/bar.ms/);
    expect(() => new BarAggregator({ bar: { events: 1.5 } })).toThrow(/bar.events/);
    expect(() => new BarAggregator({ bar: {} as never })).toThrow(/bar:/);
  });

  it('barsToArrow gives one Float64 column per field', () => {
    const table = barsToArrow(bars(columnsOf(seq), { bar: { ms: 1000 } }));
    expect(table.numRows).toBe(3);
    expect(table.schema.fields.map((f) => f.name)).toEqual([...BAR_FIELDS]);
    expect(Array.from(table.getChild('ofi')!.toArray() as Float64Array)).toEqual([2, -2, 0]);
  });
});

/** Random streams in time order (ties: quotes first), as the columnar merge orders them. */
const evArb = fc
  .array(
    fc.record({
      dt: fc.integer({ min: 0, max: 1500 }),
      quote: fc.boolean(),
      bid: fc.integer({ min: 95, max: 105 }),
      spread: fc.integer({ min: 1, max: 3 }),
      bq: fc.integer({ min: 1, max: 9 }),
      aq: fc.integer({ min: 1, max: 9 }),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      kind: fc.constantFrom('MARKET', 'MARKET', 'MARKET', 'INSURANCE_FUND'),
    }),
    { maxLength: 150 },
  )
  .map((xs) => {
    let ts = 1_700_000_000_000;
    const evs = xs.map((x) => {
      ts += x.dt;
      return x.quote ? q(ts, x.bid, x.bq, x.bid + x.spread, x.aq) : t(ts, x.side, x.bq / 4, x.bid + 0.5, x.kind);
    });
    return sortMerged(evs);
  });

function sortMerged(evs: Ev[]): Ev[] {
  return evs
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.ts - b.e.ts || (a.e.type === b.e.type ? a.i - b.i : a.e.type === 'quote' ? -1 : 1))
    .map((x) => x.e);
}

const optArb = fc.constantFrom<BarOptions>(
  { bar: { ms: 100 } },
  { bar: { ms: 1000 }, empty: 'emit' },
  { bar: { ms: 250 }, cvd: { reset: { events: 3 } } },
  { bar: { events: 1 } },
  { bar: { events: 5 }, cvd: { prints: 'all' } },
);

describe('bars: streaming equals columnar', () => {
  it('on random streams, in one call and in random chunks', () => {
    fc.assert(
      fc.property(evArb, optArb, fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 8 }), (evs, o, sizes) => {
        const want = streamBars(evs, o);
        sameBars(rows(bars(columnsOf(evs), o)), want, 'one call');
        const agg = new BarAggregator(o);
        const out = new BarColumnsBuilder(1);
        for (let at = 0, k = 0; at < evs.length || k === 0; k++) {
          const n = sizes[k % sizes.length]!;
          const part = columnsOf(evs.slice(at, at + n));
          at += n;
          agg.updateColumns(part.quotes, part.trades, out, at >= evs.length);
        }
        sameBars(rows(out.columns()), want, 'chunks');
      }),
      { numRuns: 300 },
    );
  });
});

describe('bars: no look-ahead', () => {
  it('the bars completed by a prefix of the stream are the first bars of the whole stream', () => {
    fc.assert(
      fc.property(evArb, optArb, fc.nat(), (evs, o, cut) => {
        const p = evs.length === 0 ? 0 : cut % (evs.length + 1);
        const whole = streamBars(evs, o);
        const done: Bar[] = [];
        const agg = new BarAggregator(o, (b) => done.push(b));
        for (const e of evs.slice(0, p)) agg.update(e);
        sameBars(done, whole.slice(0, done.length), 'prefix');
      }),
      { numRuns: 200 },
    );
  });
});

describe('bars on a real capture (BTCUSDT USD-M, 2024-08-08)', () => {
  const file = dataPath('binance-ws/usdm/btcusdt_20240808.gz');

  it('1-second bars: counts, volumes and closes match an independent bucketing; streaming equals columnar', async () => {
    const { merged, quotes } = await loadCapture(file);
    const cols = bars(columnsOf(merged), { bar: { ms: 1000 } });
    // independent: bucket by whole second
    const buckets = new Map<number, { quotes: number; trades: number; volume: number; close: number }>();
    for (const e of merged) {
      const k = Math.floor(e.ts / 1000) * 1000;
      const b = buckets.get(k) ?? { quotes: 0, trades: 0, volume: 0, close: NaN };
      if (e.type === 'quote') {
        b.quotes++;
        b.close = (e.bidPrice + e.askPrice) / 2;
      } else {
        b.trades++;
        b.volume += e.qty;
      }
      buckets.set(k, b);
    }
    expect(cols.start.length).toBe(buckets.size);
    expect(cols.quotes.reduce((a, x) => a + x, 0), 'every quote in a bar').toBe(quotes.length);
    for (let i = 0; i < cols.start.length; i++) {
      const b = buckets.get(cols.start[i]!)!;
      expect([cols.quotes[i], cols.trades[i]]).toEqual([b.quotes, b.trades]);
      expect(cols.volume[i]!).toBeCloseTo(b.volume, 9);
      if (b.quotes > 0) expect(cols.close[i]).toBe(b.close);
    }
    sameBars(rows(cols), streamBars(merged, { bar: { ms: 1000 } }), 'streaming vs columnar');
  });

  it('100 ms bars with empty bars emitted cover the span without gaps', async () => {
    const { merged } = await loadCapture(file);
    const cols = bars(columnsOf(merged), { bar: { ms: 100 }, empty: 'emit' });
    for (let i = 1; i < cols.start.length; i++) expect(cols.start[i]! - cols.start[i - 1]!).toBe(100);
    expect(cols.ofiCum[cols.ofiCum.length - 1]).toBeCloseTo(cols.ofi.reduce((a, x) => a + x, 0), 6);
  });
});
