import { describe, expect, it } from 'vitest';
import { BarAggregator } from '../../src/microstructure/bars.js';
import { FeatureFusion } from '../../src/microstructure/fusion.js';
import { featureColumns, FeatureColumnsBuilder, type FeatureRow } from '../../src/microstructure/feature-columns.js';
import { FeatureSet, featureSetOptionsFromConfig, type FeatureSetOptions } from '../../src/microstructure/feature-set.js';
import { resolveConfig, envLayer } from '../../src/config.js';
import { dataPath } from '../helpers/data.js';
import { loadCapture, type QT } from './real-data.js';

const BTC = dataPath('binance-ws', 'usdm', 'btcusdt_20240808.gz');

/** Rows of a feature set over events, copied out of the reused row object. */
function rowsOf(events: readonly QT[], options: FeatureSetOptions, flush = true): Record<string, unknown>[] {
  const cols = featureColumns(options.bar ? 'bar' : 'update', options.normalize);
  const out: Record<string, unknown>[] = [];
  const fs = new FeatureSet('BTCUSDT', options, (r: FeatureRow) => out.push(Object.fromEntries(cols.map((c) => [c.name, c.get(r)]))));
  for (const e of events) fs.update(e);
  if (flush) fs.flush();
  return out;
}

describe('FeatureSet', () => {
  it('a time bar carries the fused features after its last event, and the bar of the bar calculator', async () => {
    const { merged } = await loadCapture(BTC);
    const events = merged.slice(0, 40_000);
    const rows = rowsOf(events, { bar: { ms: 1000 } });
    // independently: the fusion's value after the last event before each bar's end, and the bars alone
    const fusion = new FeatureFusion();
    const atEnd = new Map<number, number>();
    for (let i = 0; i < events.length; i++) {
      const v = fusion.update(events[i]!);
      const next = events[i + 1];
      if (!next || Math.floor(next.ts / 1000) !== Math.floor(events[i]!.ts / 1000)) atEnd.set(Math.floor(events[i]!.ts / 1000) * 1000 + 1000, v ? v.fusion.score : NaN);
    }
    const bars: Record<string, number>[] = [];
    const agg = new BarAggregator({ bar: { ms: 1000 } }, (b) => bars.push(b));
    for (const e of events) agg.update(e);
    agg.flush();
    expect(rows.length).toBe(bars.length);
    rows.forEach((r, i) => {
      expect(r.close).toBe(bars[i]!.close);
      expect(r.ofi).toBe(bars[i]!.ofi);
      const want = atEnd.get(r.end as number)!;
      if (Number.isNaN(want)) expect(r.score).toBeNaN();
      else expect(r.score).toBe(want);
    });
  });

  it('no look-ahead: the rows of a prefix are the first rows of the whole stream', async () => {
    const { merged } = await loadCapture(BTC);
    const whole = merged.slice(0, 30_000);
    for (const options of [{ bar: { ms: 1000 } }, { bar: { events: 500 } }, { bar: null }] as FeatureSetOptions[]) {
      const all = rowsOf(whole, options, false);
      const part = rowsOf(whole.slice(0, 17_321), options, false);
      expect(part.length).toBeGreaterThan(0);
      expect(all.slice(0, part.length)).toEqual(part);
    }
  });

  it('update rows: one per event, the ofi column sums to the bars’ cumulative OFI', async () => {
    const { merged } = await loadCapture(BTC);
    const events = merged.slice(0, 20_000);
    const rows = rowsOf(events, { bar: null, normalize: true });
    expect(rows.length).toBe(events.length);
    let sum = 0;
    for (const r of rows) if (Number.isFinite(r.ofi)) sum += r.ofi as number;
    const bars: Record<string, number>[] = [];
    const agg = new BarAggregator({ bar: { events: 1e9 } }, (b) => bars.push(b));
    for (const e of events) agg.update(e);
    agg.flush();
    expect(sum).toBeCloseTo(bars[0]!.ofiCum!, 6);
    const q = rows.find((r) => r.kind === 'quote' && Number.isFinite(r.ofi) && r.ofi !== 0)!;
    expect(Number.isFinite(q.ofi_norm)).toBe(true);
  });

  it('the configuration maps onto the calculators; the defaults give the fusion’s own fingerprint', () => {
    const d = featureSetOptionsFromConfig(resolveConfig().config.features);
    expect(d.bar).toBeNull();
    expect(new FeatureSet('X', d, () => undefined).fusion.fp).toBe(new FeatureFusion().fp);
    const o = featureSetOptionsFromConfig(
      resolveConfig([envLayer({ FEATURES_BAR: '500ev', FEATURES_CVD_RESET: 'sessions:00:00,08:00', FEATURES_ZSCORE_WINDOW: '2m', FEATURES_DIVERGENCE: 'false' })]).config.features,
    );
    expect(o.bar).toEqual({ events: 500 });
    expect(o.cvdReset).toEqual({ sessions: ['00:00', '08:00'] });
    expect(o.fusion!.zscore!.window).toEqual({ ms: 120_000 });
    expect(o.fusion!.divergence).toBe(false);
    expect(() => resolveConfig([envLayer({ FEATURES_BAR: '1x' })])).toThrow(/FEATURES_BAR: features\.bar: expected none or a duration/);
  });

  it('the column builder grows and hands out blocks', () => {
    const cols = featureColumns('update');
    const b = new FeatureColumnsBuilder(cols, 2);
    const rows: Record<string, unknown>[] = [];
    const fs = new FeatureSet('S', {}, (r) => {
      b.push(r);
      rows.push(Object.fromEntries(cols.map((c) => [c.name, c.get(r)])));
    });
    for (let i = 0; i < 5; i++) fs.update({ type: 'quote', ts: i, bidPrice: 10, bidQty: 1 + i, askPrice: 11, askQty: 1 });
    const block = b.take();
    expect(block.length).toBe(5);
    expect(Array.from(block.values[cols.findIndex((c) => c.name === 'ofi')] as Float64Array)).toEqual(rows.map((r) => r.ofi));
    expect(b.length).toBe(0);
  });
});
