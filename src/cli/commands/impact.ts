/** `ofi-backtest impact`: the price-impact regression of OFI (Cont, Kukanov & Stoikov 2014) over files. */
import { Command, Option } from 'commander';
import { formatReject, UserInputError } from '../../core/errors.js';
import { flagLayer } from '../../core/config/resolve.js';
import { durationOrThrow, formatDuration } from '../../core/spans.js';
import { loadConfig } from '../config.js';
import { priceImpact, type ImpactResult, type ImpactSummary } from '../../runs/impact-run.js';
import type { SourceSummary } from '../../io/convert.js';
import { duration, num, positiveInt, positiveNumber, samplePaths } from '../format.js';
import { sourceLine } from './convert.js';

interface ImpactFlags {
  interval: string;
  levels?: number;
  excludeOpenClose: string;
  tick?: number;
  se: 'classical' | 'hac';
  hacLags?: number;
  symbol?: string;
  config?: string;
  json?: boolean;
}

export function registerImpact(program: Command): void {
  program
    .command('impact')
    .description('Price impact of order flow: mid change per interval (in ticks) regressed on the interval\'s OFI by OLS (Cont, Kukanov & Stoikov 2014), or on OFI of book levels 1..k (Xu, Gould & Howison 2019). Prints n, alpha, beta, t-statistics and R² per symbol.')
    .argument('[inputs...]', 'files or folders: Binance captures, dumps, LOBSTER files, datasets (default: the bundled sample)')
    .option('--interval <span>', 'interval length, e.g. 1s, 10s, 1m (the paper uses 10s)', '10s')
    .option('--levels <k>', 'regress on OFI of book levels 1..k (needs depth: LOBSTER level-k files or Binance depth diffs); default features.ofi_levels, 1 = best level from the quotes', positiveInt)
    .option('--exclude-open-close <span>', 'drop intervals this close to the session open or close (LOBSTER/NASDAQ 09:30–16:00 New York; nothing on 24/7 markets)', '0s')
    .option('--tick <size>', 'tick size in price units (default: inferred per symbol from the quotes)', positiveNumber)
    .addOption(new Option('--se <kind>', 'standard errors: classical OLS, or hac (Newey–West)').choices(['classical', 'hac']).default('classical'))
    .option('--hac-lags <L>', 'lags of the Newey–West errors (default ⌊4·(n/100)^(2/9)⌋)', positiveInt)
    .option('--symbol <symbol>', 'symbol for sources that carry none (LOBSTER, dumps, REST snapshots)')
    .option('--config <file>', 'configuration file (YAML); flags and environment variables override it')
    .option('--json', 'print the result as one JSON object')
    .action(async (inputs: string[], flags: ImpactFlags) => {
      const intervalMs = durationOrThrow(flags.interval, '--interval');
      const excludeMs = durationOrThrow(flags.excludeOpenClose, '--exclude-open-close', true);
      if (flags.hacLags !== undefined && flags.se !== 'hac') throw new UserInputError('--hac-lags: only with --se hac', 'E_OPTION');
      const sources = inputs.length > 0 ? inputs : samplePaths();
      if (sources.length === 0) throw new UserInputError('no input given and the bundled sample is missing');
      const { config } = await loadConfig({
        ...(flags.config ? { file: flags.config } : {}),
        flags: flagLayer({ 'features.ofi_levels': flags.levels }, { 'features.ofi_levels': '--levels' }),
      });
      const summary = await priceImpact(sources, {
        intervalMs,
        levels: config.features.ofi_levels,
        excludeOpenCloseMs: excludeMs,
        ...(flags.tick !== undefined ? { tick: flags.tick } : {}),
        se: flags.se === 'hac' ? (flags.hacLags !== undefined ? { hac: flags.hacLags } : 'hac') : 'classical',
        updateIds: config.features.ofi_update_ids,
        batchRows: config.dataset.batch_rows,
        ...(flags.symbol ? { symbol: flags.symbol } : {}),
        ...(flags.json || !process.stderr.isTTY ? {} : { onSource: (s: SourceSummary) => process.stderr.write(`  read ${sourceLine(s)}\n`) }),
      });
      if (summary.results.length === 0) {
        const why = summary.failed.map((f) => `${f.symbol}: ${f.error.replace(new RegExp(`^${f.symbol}: `), '')}`).join('; ') || summary.notes.join('; ') || 'nothing to regress';
        throw new UserInputError(`no regression: ${why}`, 'E_INPUT');
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(toJson(summary))}\n`);
      else process.stdout.write(`${formatImpact(summary).join('\n')}\n`);
      if (summary.sources.some((s) => s.error) || summary.failed.length > 0) process.exitCode = 1;
    });
}

function fixed(x: number, d = 4): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? x.toExponential(d - 1) : x.toFixed(d);
}

function resultLines(r: ImpactResult, intervalMs: number): string[] {
  const out: string[] = [];
  const src = r.ofiSource === 'quotes' ? 'best-level OFI from the quotes' : `OFI of book levels 1..${r.levels}`;
  out.push(`${r.symbol} (${r.formats.join(', ')}; ${src}; tick ${r.tick} ${r.tickSource})`);
  out.push(
    `  ${num(r.n)} intervals of ${formatDuration(intervalMs)} from ${new Date(r.firstInterval).toISOString()} to ${new Date(r.lastInterval + intervalMs).toISOString()}` +
      ` (${num(r.empty)} empty${r.excluded ? `, ${num(r.excluded)} dropped near the open and close` : ''})`,
  );
  const se = r.se === 'hac' ? `Newey–West, ${r.hacLags} lags` : 'classical';
  out.push(`  ΔP [ticks] = α + ${r.beta.map((_, j) => (r.beta.length > 1 ? `β${j + 1}·OFI${j + 1}` : 'β·OFI')).join(' + ')} + ε   (t-statistics: ${se})`);
  out.push(`    α  ${fixed(r.alpha).padStart(11)}   t ${r.tAlpha.toFixed(2)}`);
  r.beta.forEach((b, j) => out.push(`    β${r.beta.length > 1 ? String(j + 1) : ' '} ${fixed(b).padStart(11)}   t ${r.tBeta[j]!.toFixed(2)}`));
  out.push(`  R² ${r.r2.toFixed(4)} (adjusted ${r.adjR2.toFixed(4)})`);
  if (r.r2ByLevels) out.push(`  R² with levels 1..j, j = 1..${r.levels}: ${r.r2ByLevels.map((x) => x.toFixed(4)).join('  ')}`);
  return out;
}

function formatImpact(s: ImpactSummary): string[] {
  const out = [`Price impact of order flow imbalance (Cont, Kukanov & Stoikov 2014), OLS per symbol, ${duration(s.elapsedMs)}`, ''];
  for (const r of s.results) out.push(...resultLines(r, s.intervalMs), '');
  for (const f of s.failed) out.push(`${f.symbol}: NOT REGRESSED: ${f.error}`);
  for (const n of s.notes) out.push(`Note: ${n}`);
  out.push('Sources', ...s.sources.map((x) => `  ${sourceLine(x)}`));
  if (s.quarantine.count > 0) {
    out.push(`Refused lines: ${num(s.quarantine.count)}`);
    for (const r of s.quarantine.first) out.push(`  ${formatReject(r)}`);
  }
  return out;
}

function toJson(s: ImpactSummary): unknown {
  return {
    interval: formatDuration(s.intervalMs),
    intervalMs: s.intervalMs,
    levels: s.levels,
    excludeOpenCloseMs: s.excludeOpenCloseMs,
    se: s.se,
    results: s.results,
    failed: s.failed,
    notes: s.notes,
    sources: s.sources,
    quarantine: s.quarantine,
    elapsedMs: Math.round(s.elapsedMs),
  };
}
