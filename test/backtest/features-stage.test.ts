/**
 * Stage 1: the columnar feature rows of the merged stream equal the feature set's own rows
 * (`FeatureSet`, event by event, per symbol: the streaming engine), bit for bit, on the real
 * captures (BTCUSDT + ETHUSDT merged), whole or chunk by chunk; and on random streams whose
 * times go back (the streaming fallback) and with other feature options.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Table, type RecordBatch } from 'apache-arrow';
import { eventsToBatch } from '../../src/core/batch.js';
import type { EventKind, QuoteEvent, TradeEvent } from '../../src/core/events.js';
import { readSource } from '../../src/io/detect.js';
import { eventTableFromTables, type EventTable } from '../../src/backtest/data-reader.js';
import { computeFeatureTable, FeatureScratch, FeatureStage, type FeatureTable } from '../../src/backtest/features-stage.js';
import { DataReader } from '../../src/runs/backtest-data.js';
import { TRADE } from '../../src/backtest/data/columns.js';
import { DIVERGENCE_TYPES } from '../../src/microstructure/divergence.js';
import { StrategyModeManager } from '../../src/risk/strategy-mode.js';
import { CoreAlgorithm } from '../../src/signals/core-algorithm.js';
import { MemorySink } from '../../src/signals/types.js';
import { dataPath } from '../helpers/data.js';

const BTC = dataPath('binance-ws', 'usdm', 'btcusdt_20240808.gz');
const ETH = dataPath('binance-ws', 'usdm', 'ethusdt_20240808.gz');

async function tablesOf(path: string): Promise<Partial<Record<EventKind, Table>>> {
  const byKind: Record<string, RecordBatch[]> = {};
  for await (const { kind, batch } of readSource(path)) (byKind[kind] ??= []).push(batch);
  return Object.fromEntries(Object.entries(byKind).map(([k, b]) => [k, new Table(b)]));
}

const COLS = ['at', 'mid', 'spread', 'z_ofi', 'z_cvd', 'score', 'side', 'consistency', 'divType', 'divStrength'] as const;

/** The first column and row where two feature tables differ (Object.is: NaN equals NaN, −0 does not equal 0). */
function diff(a: FeatureTable, b: FeatureTable): string {
  if (a.length !== b.length) return `length ${a.length} ≠ ${b.length}`;
  for (const c of COLS) {
    const x = a[c];
    const y = b[c];
    for (let r = 0; r < a.length; r++) if (!Object.is(x[r], y[r])) return `${c}[${r}]: ${x[r]} ≠ ${y[r]}`;
  }
  return '';
}

/** Chunked feature tables as one, their `at` made absolute. */
function joined(parts: { table: FeatureTable; offset: number }[]): FeatureTable {
  const n = parts.reduce((s, p) => s + p.table.length, 0);
  const out = {} as Record<string, Float64Array | Int32Array | Int8Array>;
  for (const c of COLS) {
    const first = parts[0]!.table[c];
    const a = new (first.constructor as new (n: number) => Float64Array)(n);
    let o = 0;
    for (const p of parts) {
      const col = p.table[c];
      for (let r = 0; r < col.length; r++) a[o + r] = c === 'at' ? col[r]! + p.offset : col[r]!;
      o += col.length;
    }
    out[c] = a;
  }
  return { ...(out as unknown as FeatureTable), length: n, bar: null, fp: parts[0]!.table.fp };
}

describe('FeatureStage on the real captures (BTCUSDT + ETHUSDT merged)', () => {
  let events: EventTable;
  it('columnar rows equal the feature set event by event, and a row per quote or trade in stream order', async () => {
    events = eventTableFromTables([await tablesOf(BTC), await tablesOf(ETH)]);
    const col = computeFeatureTable(events);
    const ref = computeFeatureTable(events, {}, { engine: 'streaming' });
    expect(diff(col, ref)).toBe('');
    const c = events.counts;
    expect(col.length, 'one row per quote and trade').toBe(c.quote + c.trade);
    for (let r = 1; r < col.length; r++) if (!(col.at[r]! > col.at[r - 1]!)) throw new Error(`row ${r} out of stream order`);
    // the rows carry real values: most are ready, and some pass the default buy threshold
    let ready = 0;
    let strong = 0;
    for (let r = 0; r < col.length; r++) {
      if (col.score[r] === col.score[r]) ready++;
      if (Math.abs(col.score[r]!) >= 1.5) strong++;
    }
    expect(ready / col.length).toBeGreaterThan(0.95);
    expect(strong).toBeGreaterThan(100);
  });

  it('chunk by chunk from the streaming reader (state carried) equals the whole table', async () => {
    const reader = await DataReader.open([BTC, ETH], { chunk: 3000 });
    const stage = new FeatureStage({});
    const parts: { table: FeatureTable; offset: number }[] = [];
    let offset = 0;
    for await (const chunk of reader.chunks()) {
      parts.push({ table: stage.run(chunk), offset });
      offset += chunk.length;
    }
    expect(offset).toBe(events.length);
    expect(diff(joined(parts), computeFeatureTable(events))).toBe('');
  });

  it('other feature options (robust z-scores, divergence on OFI, keep every update id) agree too', () => {
    const options = { fusion: { zscore: { window: { events: 500 }, minPeriods: 50, robust: true }, divergence: { flow: 'ofi' as const, sampleMs: 500 }, updateIds: 'keep' as const, threshold: 0.8 } };
    expect(diff(computeFeatureTable(events, options), computeFeatureTable(events, options, { engine: 'streaming' }))).toBe('');
  });

  it('stages sharing a FeatureScratch give the rows of stages with their own buffers, in the same buffers while they fit', () => {
    const robust = { fusion: { zscore: { window: { events: 500 }, minPeriods: 50, robust: true } } };
    const bars = { bar: { ms: 1000 } };
    const scratch = new FeatureScratch();
    const half = events.range(0, events.length >> 1);
    // whole, a prefix (fits: same buffers), other options, bar rows (another layout), whole again
    const steps = [
      { t: events, options: {} },
      { t: half, options: {} },
      { t: events, options: robust },
      { t: half, options: bars },
      { t: events, options: {} },
    ];
    const buffers: ArrayBufferLike[] = [];
    for (const { t, options } of steps) {
      const own = new FeatureStage(options).run(t);
      const lent = new FeatureStage(options, { scratch }).run(t);
      expect(diff(lent, own)).toBe('');
      expect(lent.bar === null).toBe(own.bar === null);
      buffers.push(lent.score.buffer);
    }
    expect(buffers[1], 'a prefix fits the whole table\'s buffers').toBe(buffers[0]);
    expect(buffers[2], 'so do other options of the same layout').toBe(buffers[0]);
    expect(buffers[3], 'bar rows have columns of their own').not.toBe(buffers[2]);
    // a stage without a scratch makes new buffers for every run
    const stage = new FeatureStage({});
    expect(stage.run(half).score.buffer).not.toBe(stage.run(half).score.buffer);
  });
});

describe('FeatureStage on random streams', () => {
  it('equals the feature set when times go back within a symbol and across chunks', () => {
    const ev = fc.record({
      sym: fc.constantFrom('AAA', 'BBB'),
      trade: fc.boolean(),
      dt: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: -15, max: 0 })),
      p: fc.integer({ min: -3, max: 3 }),
      q: fc.integer({ min: 1, max: 9 }),
    });
    fc.assert(
      fc.property(fc.array(ev, { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 200 }), (xs, chunk) => {
        let ts = 1_700_000_000_000;
        let mid = 100;
        const quotes: QuoteEvent[] = [];
        const trades: TradeEvent[] = [];
        let id = 0;
        for (const x of xs) {
          ts += x.dt;
          mid += x.p * 0.5;
          if (x.trade) trades.push({ type: 'trade', symbol: x.sym, ts, recvTs: ts, price: mid, qty: x.q, side: x.p >= 0 ? 'buy' : 'sell', id, firstId: id, lastId: id, printKind: 'MARKET' });
          else quotes.push({ type: 'quote', symbol: x.sym, ts, recvTs: ts, bidPrice: mid - 0.5, bidQty: x.q, askPrice: mid + 0.5, askQty: 10 - x.q, updateId: id });
          id++;
        }
        const tables: Partial<Record<EventKind, Table>> = {};
        if (quotes.length) tables.quote = new Table([eventsToBatch('quote', quotes)!]);
        if (trades.length) tables.trade = new Table([eventsToBatch('trade', trades)!]);
        const t = eventTableFromTables([tables]);
        const options = { fusion: { flowWindow: { ms: 20 }, zscore: { window: { events: 10 }, minPeriods: 3 } } };
        const ref = computeFeatureTable(t, options, { engine: 'streaming' });
        expect(diff(computeFeatureTable(t, options), ref)).toBe('');
        const stage = new FeatureStage(options);
        const parts: { table: FeatureTable; offset: number }[] = [];
        for (let a = 0; a < t.length; a += chunk) parts.push({ table: stage.run(t.range(a, a + chunk)), offset: a });
        expect(diff(joined(parts), ref)).toBe('');
      }),
      { numRuns: 200 },
    );
  });
});

describe('the signal layer fed stage-1 rows by index', () => {
  it('CoreAlgorithm.updateRowAt gives the signals and counts updateFeatures gives for the same rows (real captures, with a mode tracker and without)', async () => {
    const events = eventTableFromTables([await tablesOf(BTC), await tablesOf(ETH)]);
    const f = computeFeatureTable(events);
    // low thresholds and a short cooldown: many signals, gated and not
    const signal = { buy_threshold: 0.8, sell_threshold: 0.8, cooldown_sec: 1, max_lag_ms: 50, warmup_sec: 5 };
    for (const withModes of [false, true]) {
      const make = () => {
        const sink = new MemorySink();
        const modes = withModes ? { create: () => new StrategyModeManager({ window_sec: 30, step_sec: 5 }) } : undefined;
        return { sink, algo: new CoreAlgorithm({ runId: 'rows', signal, modes }, sink) };
      };
      const byRow = make();
      const byIndex = make();
      for (let r = 0; r < f.length; r++) {
        const i = f.at[r]!;
        const trade = events.kind[i] === TRADE;
        const symbol = events.symbols[events.sym[i]!]!;
        const recv = (trade ? events.trade.recvTs : events.quote.recvTs)[events.row[i]!]!;
        const dt = f.divType[r]!;
        // the row object written out field by field, as `ofi-backtest features` rows read back
        byRow.algo.updateFeatures({
          symbol,
          ts: events.ts[i]!,
          kind: trade ? 'trade' : 'quote',
          recv_ts: recv,
          mid: f.mid[r]!,
          spread: f.spread[r]!,
          z_ofi: f.z_ofi[r]!,
          z_cvd: f.z_cvd[r]!,
          score: f.score[r]!,
          side: f.side[r]!,
          consistency: f.consistency[r]!,
          div_type: dt < 0 ? null : DIVERGENCE_TYPES[dt]!,
          div_strength: f.divStrength[r]!,
          fp: f.fp,
        });
        byIndex.algo.updateRowAt(symbol, trade, f, r, events.ts, i, trade ? events.trade.recvTs : events.quote.recvTs, events.row[i]!);
      }
      expect(byRow.sink.signals.length, 'signals to compare').toBeGreaterThan(100);
      expect(byRow.sink.signals.filter((s) => s.gating_blocked).length, 'gated signals among them').toBeGreaterThan(0);
      expect(JSON.stringify(byIndex.sink.signals)).toBe(JSON.stringify(byRow.sink.signals));
      expect(byIndex.algo.stats).toEqual(byRow.algo.stats);
    }
  });
});
