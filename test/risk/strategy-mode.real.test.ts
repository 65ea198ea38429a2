/**
 * The risk layer on the real Binance USD-M captures: the activity measures against an
 * independent count over the same events, the measured distributions the defaults were chosen
 * from (`core/config/strategy-mode.ts`), the mode changes the defaults give, and the EWMA
 * volatility against a direct computation.
 */
import { describe, expect, it } from 'vitest';
import { loadCapture, type QT } from '../microstructure/real-data.js';
import { dataPath } from '../helpers/data.js';
import { StrategyModeManager, type ModeChange, type StrategyMode } from '../../src/risk/strategy-mode.js';
import { EwmaVolatility } from '../../src/risk/volatility.js';
import { checkRisk, DEFAULT_RISK_CONFIG } from '../../src/risk/check.js';

const FILES = ['btcusdt_20240808.gz', 'ethusdt_20240808.gz', 'btcusdt_20240718.gz', 'btcusdt_20240719.gz'];
const load = (f: string) => loadCapture(dataPath('binance-ws/usdm', f));
const WINDOW_MS = 30_000;
const ANN_1S = Math.sqrt(365 * 24 * 3600);

function quantile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

/** Index of the first element ≥ x in an ascending array. */
function lowerBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The window measures at each 1 s boundary, counted directly: events whose time (made
 * non-decreasing, as the manager takes a time that goes back) falls in [b − 30 s, b).
 */
function reference(events: QT[]) {
  const tradeTs: number[] = [];
  const quoteTs: number[] = [];
  const spreads: number[] = [];
  const spreadTs: number[] = [];
  const mids: number[] = [];
  let t = -Infinity;
  for (const e of events) {
    t = Math.max(t, e.ts);
    if (e.type === 'trade') tradeTs.push(t);
    else {
      quoteTs.push(t);
      if (e.bidPrice > 0 && e.askPrice >= e.bidPrice) {
        const mid = (e.bidPrice + e.askPrice) / 2;
        spreads.push(((e.askPrice - e.bidPrice) / mid) * 1e4);
        spreadTs.push(t);
        mids.push(mid);
      }
    }
  }
  /** The last mid at a time before `x`. */
  const midBefore = (x: number) => {
    const i = lowerBound(spreadTs, x) - 1;
    return i >= 0 ? mids[i]! : NaN;
  };
  return (b: number) => {
    const lo = b - WINDOW_MS;
    const n = (a: number[]) => lowerBound(a, b) - lowerBound(a, lo);
    const i0 = lowerBound(spreadTs, lo);
    const i1 = lowerBound(spreadTs, b);
    let s = 0;
    for (let i = i0; i < i1; i++) s += spreads[i]!;
    let sq = 0;
    let k = 0;
    for (let x = lo; x < b; x += 1000) {
      const r = Math.log(midBefore(x + 1000) / midBefore(x));
      if (r === r) {
        sq += r * r;
        k++;
      }
    }
    return {
      trade_rate: n(tradeTs) / 30,
      quote_rate: n(quoteTs) / 30,
      spread_bps: i1 > i0 ? s / (i1 - i0) : null,
      vol: k > 0 ? Math.sqrt(sq / k) * ANN_1S : null,
    };
  };
}

interface Run {
  changes: ModeChange[];
  timeIn: Partial<Record<StrategyMode, number>>;
  samples: { trade_rate: number; quote_rate: number; spread_bps: number | null; vol: number | null }[];
  checked: number;
}

function run(events: QT[], manager = new StrategyModeManager()): Run {
  const ref = reference(events);
  const timeIn: Partial<Record<StrategyMode, number>> = {};
  const samples: Run['samples'] = [];
  let checked = 0;
  let prevTs = events[0]!.ts;
  let bucket = Math.floor(prevTs / 1000);
  for (const e of events) {
    const t = Math.max(prevTs, e.ts);
    timeIn[manager.mode] = (timeIn[manager.mode] ?? 0) + (t - prevTs);
    prevTs = t;
    manager.update(e);
    const b = Math.floor(t / 1000);
    if (b > bucket && manager.isReady) {
      const got = manager.metrics;
      const want = ref(b * 1000);
      expect(got.trade_rate, `trade rate at ${b}`).toBeCloseTo(want.trade_rate, 9);
      expect(got.quote_rate, `quote rate at ${b}`).toBeCloseTo(want.quote_rate, 9);
      expect(got.spread_bps!, `spread at ${b}`).toBeCloseTo(want.spread_bps!, 9);
      expect(got.vol!, `vol at ${b}`).toBeCloseTo(want.vol!, 6);
      samples.push(got);
      checked++;
    }
    bucket = Math.max(bucket, b);
  }
  return { changes: manager.changes, timeIn, samples, checked };
}

describe('risk on the real USD-M captures', () => {
  it('the activity measures equal a direct count over the same events, every second', async () => {
    for (const f of FILES) {
      const r = run((await load(f)).merged);
      expect(r.checked, f).toBeGreaterThan(100);
    }
  });

  it('measured rates behind the defaults, and the mode changes they give (few, and where the data changes)', async () => {
    const out: Record<string, unknown> = {};
    const runs: Record<string, Run> = {};
    for (const f of FILES) {
      const r = run((await load(f)).merged);
      runs[f] = r;
      const col = (k: 'trade_rate' | 'quote_rate' | 'spread_bps' | 'vol') => r.samples.map((s) => s[k] ?? NaN).filter((x) => x === x);
      const q = (xs: number[]) => [0.05, 0.5, 0.95, 1].map((p) => Number(quantile(xs, p).toPrecision(3)));
      out[f] = {
        'trades/s p5 p50 p95 max': q(col('trade_rate')),
        'quotes/s p5 p50 p95 max': q(col('quote_rate')),
        'spread bps p5 p50 p95 max': q(col('spread_bps')),
        'vol p5 p50 p95 max': q(col('vol')),
        seconds_in: Object.fromEntries(Object.entries(r.timeIn).map(([k, v]) => [k, Math.round(v / 1000)])),
        changes: r.changes.map((c) => `${new Date(c.ts).toISOString().slice(11, 19)} ${c.from}→${c.to}: ${c.reasons.join('; ')}`),
      };
    }
    console.log(JSON.stringify(out, null, 1));
    const btc = runs['btcusdt_20240808.gz']!;
    const eth = runs['ethusdt_20240808.gz']!;
    const quiet = runs['btcusdt_20240718.gz']!;
    const after = runs['btcusdt_20240719.gz']!;
    const rates = (r: Run) => r.samples.map((s) => s.trade_rate);
    // the table in core/config/strategy-mode.ts
    expect(quantile(rates(btc), 0.5)).toBeGreaterThan(40);
    expect(quantile(rates(btc), 0.5)).toBeLessThan(50);
    expect(Math.max(...rates(btc))).toBeGreaterThan(160);
    expect(Math.max(...rates(btc)), 'nothing near aggressive (250/s)').toBeLessThan(170);
    expect(Math.max(...rates(eth)), 'ETHUSDT never reaches active (80/s)').toBeLessThan(80);
    expect(Math.max(...rates(quiet)), 'the July minutes never reach the quiet exit (10/s)').toBeLessThan(10);
    expect(Math.min(...rates(after)), 'after midnight never below the quiet entry (5/s)').toBeGreaterThan(5);
    // BTCUSDT: one burst, two changes — active on 80+ trades/s and 100%+ volatility, normal again when it ends
    expect(btc.changes.map((c) => [new Date(c.ts).toISOString().slice(11, 19), c.to])).toEqual([
      ['23:57:53', 'active'],
      ['23:59:52', 'normal'],
    ]);
    expect(btc.changes[0]!.reasons.some((r) => r.startsWith('trade_rate'))).toBe(true);
    expect(eth.changes, 'ETHUSDT: a busy but even hour, no change').toHaveLength(0);
    expect(quiet.changes.map((c) => c.to), '18 July: quiet once the first window is full').toEqual(['quiet']);
    expect(after.changes).toHaveLength(0);
    // the six minutes of August are mostly normal or active
    for (const r of [btc, eth]) {
      const total = Object.values(r.timeIn).reduce((a, b) => a + b, 0);
      expect(((r.timeIn.normal ?? 0) + (r.timeIn.active ?? 0)) / total).toBe(1);
    }
  });

  it('across midnight 18→19 July (one recording in two files): quiet, then normal when trading picks up', async () => {
    const events = [...(await load('btcusdt_20240718.gz')).merged, ...(await load('btcusdt_20240719.gz')).merged];
    const r = run(events);
    expect(r.changes.map((c) => c.to)).toEqual(['quiet', 'normal']);
    expect(r.changes[1]!.ts).toBeGreaterThan(Date.UTC(2024, 6, 19));
    expect(r.changes[1]!.reasons[0]).toMatch(/^trade_rate .* >= quiet_exit_trade_rate 10$/);
  });

  it('EWMA volatility equals a direct computation on the 1 s grid, and sizes a position plausibly', async () => {
    for (const f of ['btcusdt_20240808.gz', 'ethusdt_20240808.gz']) {
      const { quotes } = await load(f);
      const v = new EwmaVolatility({ lambda: DEFAULT_RISK_CONFIG.vol_lambda, stepSec: 1, warmup: DEFAULT_RISK_CONFIG.vol_warmup });
      for (const q of quotes) v.update(q.ts, (q.bidPrice + q.askPrice) / 2);
      // direct: the mid at each whole second (last quote at or before it), closed once a later quote is seen
      let t = -Infinity;
      const ts = quotes.map((q) => (t = Math.max(t, q.ts)));
      const mids = quotes.map((q) => (q.bidPrice + q.askPrice) / 2);
      const last = ts[ts.length - 1]!;
      const grid: number[] = [];
      for (let x = Math.ceil(ts[0]! / 1000) * 1000; x < last; x += 1000) grid.push(mids[lowerBound(ts, x + 0.5) - 1]!); // ts are whole ms
      const warm = DEFAULT_RISK_CONFIG.vol_warmup;
      const lambda = DEFAULT_RISK_CONFIG.vol_lambda;
      let variance = 0;
      for (let i = 1; i < grid.length; i++) {
        const r = Math.log(grid[i]! / grid[i - 1]!);
        if (i <= warm) variance += (r * r - variance) / i;
        else variance = lambda * variance + (1 - lambda) * r * r;
      }
      expect(v.samples, f).toBe(grid.length - 1);
      expect(v.value!, f).toBeCloseTo(Math.sqrt(variance) * ANN_1S, 9);
      // 0.79 (BTCUSDT) and 0.69 (ETHUSDT) at the end of the window
      expect(v.value!, f).toBeGreaterThan(0.6);
      expect(v.value!, f).toBeLessThan(0.9);
      const mid = mids[mids.length - 1]!;
      const d = checkRisk(
        { ts_ms: last, symbol: quotes[0]!.symbol, signal_type: 'strong_buy', score: 2.5, confirm: true },
        { qty: 0, avg_price: NaN, unrealized_pnl: 0, equity: 10_000 },
        { ts: last, mid, spread_bps: 0.03, vol: v.value, mode: 'normal' },
      );
      const want = Math.floor(((10_000 * 0.2) / v.value! / mid) * 1000 + 1e-9) / 1000;
      expect(d.allow, f).toBe(true);
      expect(d.qty, f).toBeCloseTo(want, 12);
      console.log(f, 'EWMA vol', v.value!.toFixed(3), 'size for 10,000 USDT at', mid, '→', d.qty, `(${d.lev.toFixed(3)}x)`);
    }
  });
});
