/**
 * One backtest from files to results: what `ofi-backtest backtest` runs. The inputs are read as
 * one merged stream in bounded memory (`DataReader.chunks()`), driven through the default
 * strategy and the `TradeSimulator` (`backtest/driver.ts`), and the {@link MetricsAggregator}
 * is fed as the run streams (each fill, equity sample, mark and funding payment), so the
 * metrics cost no second pass. Into `out`, when given:
 *
 * - `orders.parquet`, `fills.parquet`, `trades.parquet` (round trips), `equity.parquet`
 *   (explicit schemas, `backtest-tables.ts`);
 * - `metrics.json` (the headline metrics and the run's facts) and `layered.json` (by symbol,
 *   strategy mode, UTC hour, signal);
 * - `config.yaml`, the resolved configuration as rendered by the caller, its hash on the first
 *   line and in `metrics.json`.
 *
 * The same inputs and configuration give byte-identical files: the driver is deterministic
 * (seeded models, no wall clock), parquet-wasm writes no time or random id, the JSON has a
 * fixed key order, and nothing written depends on when or how fast the run went (elapsed time
 * is returned, never written).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceSummary } from '../io/convert.js';
import type { QuarantineSummary } from '../io/quarantine.js';
import { runBacktest, type BacktestRunConfig, type BacktestResult } from '../backtest/driver.js';
import { MetricsAggregator, type BacktestMetrics, type LayeredMetrics, type RoundTrip } from '../backtest/metrics.js';
import { DataReader } from './backtest-data.js';
import { findWorkerUrl } from './worker-url.js';
import { FILL_COLUMNS, ORDER_COLUMNS, stableJson, TRADE_COLUMNS, writeEquity, writeTable } from './backtest-tables.js';

/** Files a run writes into its folder, in the order written. */
export const BACKTEST_FILES = ['orders.parquet', 'fills.parquet', 'trades.parquet', 'equity.parquet', 'metrics.json', 'layered.json', 'config.yaml'] as const;

/** Options of {@link runBacktestJob}. */
export interface BacktestJobOptions {
  /** Market data files or folders (any io source). */
  inputs: readonly string[];
  /** The resolved configuration (its backtest, strategy, signal, risk, features … sections). */
  config: BacktestRunConfig & { dataset?: { batch_rows?: number } };
  /** Hash of the resolved configuration (written into metrics.json and config.yaml). */
  configHash: string;
  /** The resolved configuration as YAML (written as config.yaml). */
  configYaml?: string;
  /** Folder for the files; none written when absent. */
  out?: string | null;
  /** Symbol for sources that carry none (LOBSTER, dumps). */
  symbol?: string;
  /** Width of the return bins of the ratios, ms (default 1 s). */
  returnsIntervalMs?: number;
  /** Equity sampling clock of the driver, ms (default 1 s). */
  sampleMs?: number;
  /**
   * Read the data on a worker thread while the backtest runs on the chunks already read
   * (`DataReader` `worker`); the same results either way. Default: when the worker module is
   * there (`runs/read-worker.js` beside the bundle), else on this thread.
   */
  readWorker?: boolean;
}

/** The facts of a run beside its metrics. */
export interface BacktestRunFacts {
  configHash: string;
  inputs: string[];
  symbols: string[];
  events: number;
  orders: number;
  fills: number;
  signals: number;
  fundingPayments: number;
  /** Orders by final status. */
  orderStatus: Record<string, number>;
}

/** What {@link runBacktestJob} returns. */
export interface BacktestJobSummary {
  metrics: BacktestMetrics;
  layered: LayeredMetrics;
  run: BacktestRunFacts;
  /** Round trips: closed ones in the order they closed, then the open ones. */
  trades: RoundTrip[];
  result: BacktestResult;
  /** Files written (empty without `out`). */
  files: string[];
  sources: SourceSummary[];
  quarantine: QuarantineSummary | null;
  elapsedMs: number;
}

/**
 * Run a backtest of the default strategy over `inputs` and, given `out`, write its files.
 *
 * @example
 * const s = await runBacktestJob({ inputs: samplePaths(), config: defaultConfig(), configHash: fingerprint(defaultConfig()), out: 'bt' });
 * s.metrics.totalReturn; s.files; // bt/orders.parquet …
 */
export async function runBacktestJob(options: BacktestJobOptions): Promise<BacktestJobSummary> {
  const t0 = performance.now();
  const { config } = options;
  const out = options.out ?? null;
  if (out) await mkdir(out, { recursive: true });
  const reader = await DataReader.open(options.inputs, {
    ...(options.symbol ? { symbol: options.symbol } : {}),
    ...(config.dataset?.batch_rows ? { batchRows: config.dataset.batch_rows } : {}),
    quarantineDir: out,
    worker: options.readWorker ?? findWorkerUrl('read-worker') !== null,
  });
  const closed: RoundTrip[] = [];
  const agg = new MetricsAggregator({
    ...(options.returnsIntervalMs ? { returnsIntervalMs: options.returnsIntervalMs } : {}),
    ...(config.backtest?.starting_cash !== undefined ? { startValue: config.backtest.starting_cash } : {}),
    onTrade: (t) => closed.push(t),
  });
  const result = await runBacktest({
    stream: reader.chunks(),
    config,
    ...(options.sampleMs ? { sampleMs: options.sampleMs } : {}),
    hooks: agg.hooks(),
  });
  const metrics = agg.result();
  const layered = agg.layered();
  const trades = [...closed, ...agg.openTrades()];
  const orderStatus: Record<string, number> = {};
  for (const o of result.orders) orderStatus[o.status] = (orderStatus[o.status] ?? 0) + 1;
  const run: BacktestRunFacts = {
    configHash: options.configHash,
    inputs: [...options.inputs],
    symbols: result.positions.map((p) => p.symbol),
    events: result.stats.events,
    orders: result.orders.length,
    fills: result.fills.length,
    signals: result.signals.length,
    fundingPayments: result.fundings.length,
    orderStatus: Object.fromEntries(Object.entries(orderStatus).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
  const files: string[] = [];
  if (out) {
    const at = (name: string) => {
      const p = join(out, name);
      files.push(p);
      return p;
    };
    await writeTable(at('orders.parquet'), 'orders', ORDER_COLUMNS, result.orders);
    await writeTable(at('fills.parquet'), 'fills', FILL_COLUMNS, result.fills);
    await writeTable(at('trades.parquet'), 'trades', TRADE_COLUMNS, trades);
    await writeEquity(at('equity.parquet'), result.equity);
    await writeFile(at('metrics.json'), stableJson({ ...metrics, run }));
    await writeFile(at('layered.json'), stableJson(layered));
    await writeFile(at('config.yaml'), `# config hash: ${options.configHash}\n${options.configYaml ?? ''}`);
  }
  return {
    metrics,
    layered,
    run,
    trades,
    result,
    files,
    sources: reader.report.sources,
    quarantine: reader.report.quarantine,
    elapsedMs: performance.now() - t0,
  };
}
