/** `ofi-backtest backtest`: the default strategy over market data through the simulator, with its metrics and files. */
import type { Command } from 'commander';
import { formatReject, UserInputError } from '../../core/errors.js';
import { flagLayer } from '../../core/config/resolve.js';
import { renderConfigYaml } from '../../config.js';
import { fingerprint } from '../../microstructure/fingerprint.js';
import type { BacktestMetrics } from '../../backtest/metrics.js';
import { DAY_MS } from '../../core/time.js';
import { runBacktestJob, type BacktestJobSummary } from '../../runs/backtest-run.js';
import { loadConfig } from '../config.js';
import { InvalidArgumentError } from 'commander';
import { duration, num, positiveNumber, samplePaths, table } from '../format.js';
import { sourceLine } from './convert.js';

interface BacktestFlags {
  config?: string;
  data?: string[];
  out?: string;
  symbol?: string;
  seed?: number;
  returnsInterval?: number;
  json?: boolean;
}

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description(
      'Backtest the default strategy (features → signals → risk → orders, exits on opposite signals, time stop, stop-loss, take-profit) over market data through the trade simulator (latency, fees, fills, queues, funding); prints the headline metrics and, with --out, writes orders, fills, round trips, the equity curve, metrics, layered metrics and the resolved configuration.',
    )
    .option('--config <file>', 'configuration file (YAML): backtest, strategy, signal, risk, features … sections; flags and environment variables (BACKTEST_…, STRATEGY_…) override it')
    .option('-d, --data <inputs...>', 'market data files or folders: Binance captures, dumps, LOBSTER files, datasets (default: the bundled sample)')
    .option('-o, --out <dir>', 'folder for orders.parquet, fills.parquet, trades.parquet, equity.parquet, metrics.json, layered.json and config.yaml (nothing written without it)')
    .option('--symbol <symbol>', 'symbol for sources that carry none (LOBSTER, dumps)')
    .option('--seed <n>', 'seed of the simulator\'s draws (backtest.seed)', seedArg)
    .option('--returns-interval <ms>', 'width of the equity return bins the Sharpe, Sortino, Omega and Calmar ratios are computed on, ms (default 1000)', positiveNumber)
    .option('--json', 'print all of metrics.json as one JSON object')
    .action(async (flags: BacktestFlags) => {
      const inputs = flags.data && flags.data.length > 0 ? flags.data : samplePaths();
      if (inputs.length === 0) throw new UserInputError('no --data given and the bundled sample is missing');
      const { config, origins } = await loadConfig({
        ...(flags.config ? { file: flags.config } : {}),
        flags: flagLayer({ 'backtest.seed': flags.seed }, { 'backtest.seed': '--seed' }),
      });
      const s = await runBacktestJob({
        inputs,
        config,
        configHash: fingerprint(config),
        configYaml: renderConfigYaml(config, origins),
        out: flags.out ?? null,
        ...(flags.symbol ? { symbol: flags.symbol } : {}),
        ...(flags.returnsInterval ? { returnsIntervalMs: flags.returnsInterval } : {}),
      });
      if (s.run.events === 0 && s.sources.every((x) => !x.error)) throw new UserInputError(`no market events in ${inputs.join(', ')}`);
      if (flags.json) process.stdout.write(`${JSON.stringify({ ...s.metrics, run: s.run })}\n`);
      else process.stdout.write(`${formatBacktest(s).join('\n')}\n`);
      if (s.sources.some((x) => x.error)) process.exitCode = 1;
    });
}

function seedArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 2 ** 31 - 1) throw new InvalidArgumentError(`expected an integer from 0 to 2147483647, got '${value}'`);
  return n;
}

const pct = (x: number | null, d = 3) => (x === null ? '-' : `${(x * 100).toFixed(d)}%`);
const fix = (x: number | null, d = 2) => (x === null ? '-' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));

/** The headline metrics as label / value rows. */
export function headlineRows(m: BacktestMetrics): string[][] {
  const trade = (t: BacktestMetrics['bestTrade']) => (t ? `${fix(t.pnl)} (${pct(t.return)}, ${duration(t.durationMs)})` : '-');
  return [
    ['Start', m.start ?? '-'],
    ['End', m.end ?? '-'],
    ['Period', duration(m.periodMs)],
    ['Start value', fix(m.startValue)],
    ['End value', fix(m.endValue)],
    ['Total return', pct(m.totalReturn)],
    ['Benchmark return (buy and hold)', pct(m.benchmarkReturn)],
    ['Max gross exposure', `${fix(m.maxGrossExposure)} (${pct(m.maxGrossExposureRatio, 1)} of equity)`],
    ['Total fees', fix(m.totalFees)],
    ['Total funding', fix(m.totalFunding)],
    ['Max drawdown', `${pct(m.maxDrawdown)} (${fix(m.maxDrawdownValue)})`],
    ['Max drawdown duration', duration(m.maxDrawdownDurationMs)],
    ['Trades (closed / open)', `${num(m.totalTrades)} (${num(m.closedTrades)} / ${num(m.openTrades)})`],
    ['Win rate', pct(m.winRate, 1)],
    ['Best trade', trade(m.bestTrade)],
    ['Worst trade', trade(m.worstTrade)],
    ['Avg winning trade', m.avgWinningTrade === null ? '-' : `${fix(m.avgWinningTrade)} (${duration(m.avgWinningTradeDurationMs)})`],
    ['Avg losing trade', m.avgLosingTrade === null ? '-' : `${fix(m.avgLosingTrade)} (${duration(m.avgLosingTradeDurationMs)})`],
    ['Profit factor', fix(m.profitFactor, 3)],
    ['Expectancy', fix(m.expectancy, 4)],
    [`Sharpe (${duration(m.returnsIntervalMs)} returns, annualised)`, fix(m.sharpe)],
    ['Sortino', fix(m.sortino)],
    ['Calmar', fix(m.calmar)],
    ['Omega', fix(m.omega, 3)],
    ['Turnover (× start value)', fix(m.turnover, 3)],
  ];
}

/**
 * A line under the headline metrics when the run spans less than a day: Sharpe and Sortino are
 * scaled by √P and Calmar's CAGR is compounded over P return bins a year (empyrical's
 * conventions, `metrics/returns.ts`), so a few minutes of returns stand in for a year. Correct
 * to the formula, and easy to misread. Its lines; none for a day or more, or with no returns.
 */
export function shortPeriodNote(m: BacktestMetrics): string[] {
  if (!(m.periodMs < DAY_MS) || m.returnsCount === 0) return [];
  return [
    `Note: the ratios are annualised from ${duration(m.periodMs)} of data (${num(m.returnsCount)} returns of ${duration(m.returnsIntervalMs)}, scaled to ${num(Math.round(m.periodsPerYear))} a year);`,
    '      over so short a period they say little about a year.',
  ];
}

function formatBacktest(s: BacktestJobSummary): string[] {
  const r = s.run;
  const out = [
    `Backtest of ${r.symbols.join(' + ') || 'no symbol'}: ${num(r.events)} events, ${num(r.signals)} signals, ${num(r.orders)} orders, ${num(r.fills)} fills; config ${r.configHash}, ${duration(s.elapsedMs)}`,
    '',
    ...table(headlineRows(s.metrics), [false, true]),
  ];
  const shortNote = shortPeriodNote(s.metrics);
  if (shortNote.length > 0) out.push('', ...shortNote);
  const bySymbol = Object.entries(s.layered.bySymbol);
  if (bySymbol.length > 1) {
    out.push('', 'By symbol');
    out.push(
      ...table(
        [['symbol', 'trades', 'win rate', 'PnL', 'fees', 'buy and hold'], ...bySymbol.map(([k, g]) => [k, num(g.trades), pct(g.winRate, 1), fix(g.pnl), fix(g.fees), pct(g.benchmarkReturn)])],
        [false, true, true, true, true, true],
      ),
    );
  }
  if (s.files.length > 0) out.push('', `Files: ${s.files.join(', ')}`);
  out.push('', 'Inputs', ...s.sources.map((x) => `  ${sourceLine(x)}`));
  if (s.quarantine && s.quarantine.count > 0) {
    out.push('', `Refused lines: ${num(s.quarantine.count)}${s.quarantine.path ? ` → ${s.quarantine.path}` : ''}`);
    for (const x of s.quarantine.first) out.push(`  ${formatReject(x)}`);
  }
  return out;
}
