/**
 * The default strategy in golden scenarios worked by hand: a few quotes of one symbol every
 * 500 ms and hand-made feature rows whose score makes a signal where wanted, with the gates the
 * scenario is not about switched off, no latency, no fees, fills at the touch, and a position
 * cap of 1 so every entry is 1 lot (the volatility-target size, 10,000 × 0.2 / 0.05 / 100 × ½
 * = 200, is above it). Each scenario says which exit fires, when, and at what price.
 */
import { describe, expect, it } from 'vitest';
import { Table } from 'apache-arrow';
import { eventsToBatch } from '../../src/core/batch.js';
import type { QuoteEvent } from '../../src/core/events.js';
import { eventTableFromTables } from '../../src/backtest/data-reader.js';
import { runBacktestSync, type BacktestRunConfig } from '../../src/backtest/driver.js';
import type { FeatureTable } from '../../src/backtest/features-stage.js';
import { ConstantFeedLatency } from '../../src/backtest/feed-latency.js';

const T0 = Date.UTC(2024, 7, 8, 12, 0, 0);
const STEP = 500;

const CONFIG: BacktestRunConfig = {
  signal: { warmup_sec: 0, agree_updates: 1, min_consistency: 0.3, cooldown_sec: 0, max_spread_bps: 0, max_lag_ms: 0, stale_ms: 0, min_trade_rate: 0, min_quote_rate: 0, blocked_modes: [] },
  strategy_mode: { enabled: false },
  risk: { vol_warmup: 2, max_position_qty: 1, max_spread_bps: 0, min_notional: 0 },
  backtest: { latency_ms: 0, response_latency_ms: 0, taker_bps: 0, maker_bps: 0, fill_model: 'touch', slippage_bps: 0 },
  strategy: { time_stop_sec: 10, stop_loss_bps: 15, take_profit_bps: 20 },
};

/** Quotes `[bid, ask]` every 500 ms from T0; feature rows `{ at quote index: score }` (consistency 1 unless given). */
function run(quotes: readonly (readonly [number, number])[], rows: Record<number, number | { score: number; consistency: number }>, config: BacktestRunConfig = CONFIG) {
  const qs: QuoteEvent[] = quotes.map(([bid, ask], k) => ({ type: 'quote', symbol: 'XUSDT', ts: T0 + k * STEP, recvTs: NaN, bidPrice: bid, bidQty: 50, askPrice: ask, askQty: 50, updateId: k + 1 }));
  const stream = eventTableFromTables([{ quote: new Table([eventsToBatch('quote', qs)!]) }]);
  const ks = Object.keys(rows).map(Number).sort((a, b) => a - b);
  const n = ks.length;
  const f: FeatureTable = {
    length: n,
    at: Int32Array.from(ks),
    mid: Float64Array.from(ks, (k) => (quotes[k]![0] + quotes[k]![1]) / 2),
    spread: Float64Array.from(ks, (k) => quotes[k]![1] - quotes[k]![0]),
    z_ofi: Float64Array.from(ks, (k) => score(rows[k]!)),
    z_cvd: Float64Array.from(ks, (k) => score(rows[k]!)),
    score: Float64Array.from(ks, (k) => score(rows[k]!)),
    side: Int8Array.from(ks, (k) => Math.sign(score(rows[k]!))),
    consistency: Float64Array.from(ks, (k) => (typeof rows[k] === 'object' ? (rows[k] as { consistency: number }).consistency : 1)),
    divType: new Int8Array(n).fill(-1),
    divStrength: new Float64Array(n).fill(NaN),
    bar: null,
    fp: 'golden',
  };
  return runBacktestSync({ stream, features: f, config, feed: new ConstantFeedLatency(0) });
}

function score(r: number | { score: number }): number {
  return typeof r === 'number' ? r : r.score;
}

/** `n` quotes of bid 99.99 / ask 100.01 (mid 100, 2 bps wide). */
const flat = (n: number): [number, number][] => Array.from({ length: n }, () => [99.99, 100.01]);

const brief = (r: ReturnType<typeof run>) => r.orders.map((o) => ({ side: o.side, qty: o.qty, tag: o.tag, reduceOnly: o.reduceOnly, status: o.status, price: o.avgPrice, at: (o.submitTs - T0) / STEP }));

describe('DefaultStrategy, golden scenarios', () => {
  it('opens on a confirmed buy at the ask and closes on the opposite signal at the bid', () => {
    const r = run(flat(20), { 10: 2, 14: -2 });
    expect(brief(r)).toEqual([
      { side: 'buy', qty: 1, tag: 'buy', reduceOnly: false, status: 'FILLED', price: 100.01, at: 10 },
      { side: 'sell', qty: 1, tag: 'exit:signal', reduceOnly: true, status: 'FILLED', price: 99.99, at: 14 },
    ]);
    expect(r.signals.map((s) => [s.signal_type, s.action, s.orderId])).toEqual([
      ['buy', 'open', 1],
      ['sell', 'close', 2],
    ]);
    expect(r.positions[0]!.qty).toBe(0);
    expect(r.positions[0]!.realizedPnl).toBeCloseTo(-0.02, 12);
  });

  it('a strong sell opens a short at the bid; the time stop closes it at the first quote 10 s later, at the ask', () => {
    const r = run(flat(40), { 10: -3 });
    // opened at quote 10 (T0 + 5 s); quote 30 is the first at or after T0 + 15 s
    expect(brief(r)).toEqual([
      { side: 'sell', qty: 1, tag: 'strong_sell', reduceOnly: false, status: 'FILLED', price: 99.99, at: 10 },
      { side: 'buy', qty: 1, tag: 'exit:time_stop', reduceOnly: true, status: 'FILLED', price: 100.01, at: 30 },
    ]);
  });

  it('stop-loss: a long exits when its bid is 15 bps or more under the entry price, not before', () => {
    // entry 100.01; bid 99.90 is −11.0 bps (stays), bid 99.85 is −16.0 bps (exits there)
    const q = flat(20);
    q[11] = [99.9, 99.92];
    q[12] = [99.85, 99.87];
    for (let k = 13; k < 20; k++) q[k] = [99.85, 99.87];
    const r = run(q, { 10: 2 });
    expect(brief(r)).toEqual([
      { side: 'buy', qty: 1, tag: 'buy', reduceOnly: false, status: 'FILLED', price: 100.01, at: 10 },
      { side: 'sell', qty: 1, tag: 'exit:stop_loss', reduceOnly: true, status: 'FILLED', price: 99.85, at: 12 },
    ]);
  });

  it('take-profit: a short exits when its ask is 20 bps or more under the entry price', () => {
    // entry at the bid 99.99; ask 99.81 is +18.0 bps (stays), ask 99.78 is +21.0 bps (exits there)
    const q = flat(20);
    q[11] = [99.79, 99.81];
    for (let k = 12; k < 20; k++) q[k] = [99.76, 99.78];
    const r = run(q, { 10: -2 });
    expect(brief(r)).toEqual([
      { side: 'sell', qty: 1, tag: 'sell', reduceOnly: false, status: 'FILLED', price: 99.99, at: 10 },
      { side: 'buy', qty: 1, tag: 'exit:take_profit', reduceOnly: true, status: 'FILLED', price: 99.78, at: 12 },
    ]);
  });

  it('an unconfirmed signal is left alone unless confirmed_only is off; a gated one opens nothing', () => {
    const rows = { 10: { score: 2, consistency: 0 } };
    const skipped = run(flat(20), rows);
    expect(skipped.orders).toEqual([]);
    expect(skipped.signals.map((s) => [s.confirm, s.action, s.reason])).toEqual([[false, 'skip', 'not confirmed']]);
    const taken = run(flat(20), rows, { ...CONFIG, strategy: { ...CONFIG.strategy, confirmed_only: false } });
    expect(brief(taken)[0]).toMatchObject({ side: 'buy', tag: 'buy', at: 10 });
    const gated = run(flat(20), { 10: 2 }, { ...CONFIG, signal: { ...CONFIG.signal, warmup_sec: 60 } });
    expect(gated.orders).toEqual([]);
    expect(gated.signals.map((s) => [s.gating_blocked, s.action, s.reason])).toEqual([[true, 'skip', 'gated: warmup']]);
  });

  it('a marketable limit entry crosses the touch by limit_offset_bps, rounded to the tick away from it, and fills at the touch', () => {
    const config = { ...CONFIG, strategy: { ...CONFIG.strategy, entry_order: 'limit' as const, limit_offset_bps: 2 }, symbols: { XUSDT: { tick_size: 0.01, lot_step: 0.001, min_qty: 0.001, min_notional: 0 } } };
    const r = run(flat(20), { 10: 2 }, config);
    // 100.01 × 1.0002 = 100.030002 → up to the tick: 100.04
    expect(r.orders[0]).toMatchObject({ type: 'limit', timeInForce: 'IOC', price: 100.04, avgPrice: 100.01, status: 'FILLED' });
  });
});

describe('DefaultStrategy through either face of the stage-1 rows', () => {
  it('rows by index (onFeatureRow) and row objects (onFeatures) give the same run on the real captures (and with time bars, which come as objects to both)', async () => {
    const { DataReader } = await import('../../src/runs/backtest-data.js');
    const { DefaultStrategy } = await import('../../src/backtest/strategies/default.js');
    const { dataPath } = await import('../helpers/data.js');
    const events = await (await DataReader.open([dataPath('binance-ws', 'usdm', 'btcusdt_20240808.gz'), dataPath('binance-ws', 'usdm', 'ethusdt_20240808.gz')])).table();
    for (const config of [{ signal: { warmup_sec: 10, cooldown_sec: 2 } }, { features: { bar: '1s' }, signal: { warmup_sec: 10, cooldown_sec: 2 } }] as BacktestRunConfig[]) {
      const byIndex = new DefaultStrategy(config);
      // the same strategy with its by-index face hidden: every row comes as an object
      const byObject = new DefaultStrategy(config);
      const objectsOnly = new Proxy(byObject, { get: (s, k) => (k === 'onFeatureRow' ? undefined : Reflect.get(s, k, s)), has: (s, k) => k !== 'onFeatureRow' && Reflect.has(s, k) });
      const a = runBacktestSync({ stream: events, config, strategy: byIndex, seed: 1 });
      const b = runBacktestSync({ stream: events, config, strategy: objectsOnly, seed: 1 });
      expect(a.signals.length, 'signals to compare').toBeGreaterThan(20);
      expect(a.stats.featureRows).toBe(b.stats.featureRows);
      expect(JSON.stringify({ ...a, equity: Array.from(a.equity.equity) })).toBe(JSON.stringify({ ...b, equity: Array.from(b.equity.equity) }));
    }
  });
});
