/**
 * `ofi-backtest backtest` on the real USD-M captures: each capture alone, the July recording
 * (split at midnight) as one run, and BTCUSDT + ETHUSDT of 2024-08-08 together. The metrics are
 * checked for consistency against the files the run wrote, read back with DuckDB (an
 * independent Parquet reader): end value = start value × (1 + total return) = the last equity
 * row; trade counts = trades.parquet rows; total fees = the fills' fees; the round trips' PnL =
 * the change in equity plus funding; the by-symbol layer sums to the totals. The same run twice
 * gives the same bytes in every file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dataPath } from '../helpers/data.js';
import { cli } from '../helpers/run-cli.js';
import { shortPeriodNote } from '../../src/cli/commands/backtest.js';
import type { BacktestMetrics } from '../../src/backtest/metrics.js';
import { DAY_MS } from '../../src/core/time.js';

let dir: string;
let con: { runAndReadAll(sql: string): Promise<{ getRows(): unknown[][] }>; closeSync(): void };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bt-cli-'));
  const { DuckDBInstance } = await import('@duckdb/node-api');
  con = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => {
  con?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

/** The first row of a query, as numbers. */
async function row(q: string): Promise<number[]> {
  return (await con.runAndReadAll(q)).getRows()[0] as number[];
}

/** Fields that are null when undefined (no losing return, no trade, no drawdown …); every other number must be finite. */
const MAY_BE_NULL = new Set([
  'winRate', 'bestTrade', 'worstTrade', 'avgWinningTrade', 'avgLosingTrade', 'avgWinningTradeReturn', 'avgLosingTradeReturn',
  'avgWinningTradeDurationMs', 'avgLosingTradeDurationMs', 'avgTradeDurationMs', 'profitFactor', 'expectancy',
  'sharpe', 'sortino', 'calmar', 'omega', 'annualReturn', 'maxDrawdownPeak', 'maxDrawdownTrough', 'maxDrawdownRecovery',
]);

type Metrics = Record<string, unknown> & {
  startValue: number; endValue: number; totalReturn: number; totalFees: number; totalFunding: number; tradePnl: number;
  totalTrades: number; closedTrades: number; openTrades: number; fills: number; benchmarkReturn: number;
  run: { symbols: string[]; events: number; fills: number; orders: number };
};

async function backtest(name: string, inputs: string[]): Promise<{ m: Metrics; out: string }> {
  const out = join(dir, name);
  const r = await cli('backtest', '--data', ...inputs, '--out', out, '--json');
  expect(r.code, r.err).toBe(0);
  const m = JSON.parse(r.out) as Metrics;
  expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')), '--json prints metrics.json').toEqual(m);
  return { m, out };
}

/** The checks every run passes. */
async function consistent(m: Metrics, out: string): Promise<void> {
  for (const [k, v] of Object.entries(m)) {
    if (k === 'run' || typeof v === 'string') continue;
    if (v === null) expect(MAY_BE_NULL.has(k), `${k} is null`).toBe(true);
    else if (typeof v === 'number') expect(Number.isFinite(v), `${k} = ${v}`).toBe(true);
  }
  expect(m.startValue).toBe(10_000); // backtest.starting_cash
  expect(m.endValue).toBeCloseTo(m.startValue * (1 + m.totalReturn), 8);
  const f = (name: string) => `read_parquet('${join(out, name)}')`;
  const [firstEq, lastEq, samples] = await row(`SELECT first(equity ORDER BY ts), last(equity ORDER BY ts), count(*)::INT FROM ${f('equity.parquet')}`);
  expect(firstEq).toBe(m.startValue);
  expect(lastEq).toBe(m.endValue);
  expect(samples).toBe(m.equitySamples);
  const [trades, closed, pnl] = await row(`SELECT count(*)::INT, count(*) FILTER (status = 'closed')::INT, coalesce(sum(pnl), 0) FROM ${f('trades.parquet')}`);
  expect(trades, 'trades = rows of trades.parquet').toBe(m.totalTrades);
  expect(closed).toBe(m.closedTrades);
  expect(pnl).toBeCloseTo(m.tradePnl, 8);
  const [fills, fees] = await row(`SELECT count(*)::INT, coalesce(sum(fee), 0) FROM ${f('fills.parquet')}`);
  expect(fills).toBe(m.fills);
  expect(fees, 'fees = Σ fills.fee').toBeCloseTo(m.totalFees, 9);
  const [orders] = await row(`SELECT count(*)::INT FROM ${f('orders.parquet')}`);
  expect(orders).toBe(m.run.orders);
  // the round trips account for every change of equity: PnL − funding = end − start
  expect(m.tradePnl - m.totalFunding).toBeCloseTo(m.endValue - m.startValue, 6);
  expect(readFileSync(join(out, 'config.yaml'), 'utf8')).toMatch(/^# config hash: [0-9a-f]{16}\n/);
}

/** First and last bookTicker mid of each symbol, from the capture text with JSON.parse alone. */
function rawMids(paths: string[]): Map<string, { first: number; last: number }> {
  const out = new Map<string, { first: number; last: number }>();
  for (const p of paths) {
    for (const line of gunzipSync(readFileSync(p)).toString('utf8').split('\n')) {
      if (!line.includes('@bookTicker')) continue;
      const d = JSON.parse(line.slice(line.indexOf(' ') + 1)).data;
      const mid = (Number(d.b) + Number(d.a)) / 2;
      const s = out.get(d.s);
      if (s) s.last = mid;
      else out.set(d.s, { first: mid, last: mid });
    }
  }
  return out;
}

const usdm = (f: string) => dataPath('binance-ws/usdm', f);
const RUNS: [string, string[]][] = [
  ['btcusdt_20240808', [usdm('btcusdt_20240808.gz')]],
  ['ethusdt_20240808', [usdm('ethusdt_20240808.gz')]],
  ['btcusdt_20240718-19', [usdm('btcusdt_20240718.gz'), usdm('btcusdt_20240719.gz')]],
];

describe('backtest on each USD-M capture', () => {
  for (const [name, inputs] of RUNS) {
    it(`${name}: runs; metrics finite and consistent with its files; buy and hold from the capture's own mids`, async () => {
      const { m, out } = await backtest(name, inputs);
      await consistent(m, out);
      const mids = rawMids(inputs);
      const want = [...mids.values()].map((x) => x.last / x.first - 1)[0]!;
      // marks are taken on the 1 s clock from the first event: within a few ticks of the first and last quote
      expect(Math.abs(m.benchmarkReturn - want), `benchmark ${m.benchmarkReturn} vs ${want}`).toBeLessThan(2e-4);
      expect(m.run.symbols).toEqual([...mids.keys()]);
    });
  }
});

describe('backtest of BTCUSDT + ETHUSDT (2024-08-08)', () => {
  it('the layer by symbol sums to the totals; the benchmark is the mean of the two', async () => {
    const { m, out } = await backtest('multi', [usdm('btcusdt_20240808.gz'), usdm('ethusdt_20240808.gz')]);
    await consistent(m, out);
    expect(m.run.symbols.sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
    const layered = JSON.parse(readFileSync(join(out, 'layered.json'), 'utf8')) as Record<string, Record<string, { trades: number; closed: number; pnl: number; fees: number; funding: number; benchmarkReturn: number }>>;
    const sym = Object.values(layered.bySymbol!);
    expect(Object.keys(layered.bySymbol!)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(sym.reduce((a, g) => a + g.trades, 0)).toBe(m.totalTrades);
    expect(sym.reduce((a, g) => a + g.closed, 0)).toBe(m.closedTrades);
    expect(sym.reduce((a, g) => a + g.pnl, 0)).toBeCloseTo(m.tradePnl, 9);
    expect(sym.reduce((a, g) => a + g.fees, 0)).toBeCloseTo(m.totalFees, 9);
    expect(sym.reduce((a, g) => a + g.funding, 0)).toBeCloseTo(m.totalFunding, 9);
    expect(m.benchmarkReturn).toBeCloseTo((sym[0]!.benchmarkReturn + sym[1]!.benchmarkReturn) / 2, 12);
    for (const layer of ['byMode', 'byHour', 'bySignal']) {
      const g = Object.values(layered[layer]!);
      expect(g.reduce((a, x) => a + x.trades, 0), layer).toBe(m.totalTrades);
      expect(g.reduce((a, x) => a + x.pnl, 0), layer).toBeCloseTo(m.tradePnl, 9);
    }
    // the per-symbol fees against the fills of that symbol
    for (const [s, g] of Object.entries(layered.bySymbol!)) {
      const [fees] = await row(`SELECT coalesce(sum(fee), 0) FROM read_parquet('${join(out, 'fills.parquet')}') WHERE symbol = '${s}'`);
      expect(g.fees, s).toBeCloseTo(fees!, 9);
    }
  });
});

describe('backtest: reruns and errors', () => {
  it('the same run twice writes byte-identical files', async () => {
    const a = join(dir, 'again-a');
    const b = join(dir, 'again-b');
    expect((await cli('backtest', '--out', a)).code).toBe(0);
    expect((await cli('backtest', '--out', b)).code).toBe(0);
    const files = readdirSync(a).sort();
    expect(files).toEqual(['config.yaml', 'equity.parquet', 'fills.parquet', 'layered.json', 'metrics.json', 'orders.parquet', 'trades.parquet']);
    expect(readdirSync(b).sort()).toEqual(files);
    for (const f of files) expect(Buffer.compare(readFileSync(join(a, f)), readFileSync(join(b, f))), f).toBe(0);
  });

  it('prints the headline metrics without --out and writes nothing', async () => {
    const r = await cli('backtest');
    expect(r.code, r.err).toBe(0);
    for (const label of ['Total return', 'Benchmark return', 'Max drawdown', 'Win rate', 'Sharpe', 'Sortino', 'Calmar', 'Omega', 'Turnover']) expect(r.out).toContain(label);
    expect(r.out).not.toContain('Files:');
    // the bundled sample spans three minutes: the annualised ratios say so under the table
    expect(r.out).toMatch(/^Note: the ratios are annualised from 3m 00s of data \(180 returns of 1 s, scaled to 31,536,000 a year\)/m);
  });

  it('says nothing of annualising for a period of a day or more, or with no returns', () => {
    const m = { periodMs: DAY_MS, returnsCount: 86_400, returnsIntervalMs: 1000, periodsPerYear: 31_536_000 } as BacktestMetrics;
    expect(shortPeriodNote(m)).toEqual([]);
    expect(shortPeriodNote({ ...m, periodMs: DAY_MS - 60_000 })[0]).toMatch(/^Note: the ratios are annualised from 23h 59m of data \(86,400 returns of 1 s/);
    expect(shortPeriodNote({ ...m, periodMs: 0, returnsCount: 0 })).toEqual([]);
  });

  it('bad input: one line naming it, exit code 2', async () => {
    for (const args of [['--data', join(dir, 'missing.gz')], ['--seed', 'x'], ['--returns-interval', '0'], ['--config', join(dir, 'missing.yaml')]]) {
      const r = await cli('backtest', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/^ofi-backtest: /);
    }
  });
});
