/** `ofi-backtest features`: OFI, CVD, fusion and divergence per symbol, per update or per bar, to Parquet or JSONL. */
import type { Command } from 'commander';
import { formatReject, UserInputError } from '../../core/errors.js';
import { flagLayer } from '../../core/config/resolve.js';
import { spanOrThrow } from '../../core/spans.js';
import { loadConfig } from '../config.js';
import type { SourceSummary } from '../../io/convert.js';
import { computeFeatures, type FeaturesSummary } from '../../runs/features-run.js';
import { featureFormatOf } from '../../runs/feature-writer.js';
import { featureSetOptionsFromConfig } from '../../microstructure/feature-set.js';
import { duration, num, samplePaths, table } from '../format.js';
import { sourceLine } from './convert.js';

interface FeaturesFlags {
  out: string;
  bar?: string;
  config?: string;
  symbol?: string;
  json?: boolean;
}

export function registerFeatures(program: Command): void {
  program
    .command('features')
    .description('Compute order-flow features per symbol — OFI, CVD, their z-scores fused into a score, side and consistency, price/flow divergence — one row per update, or per bar with the bar\'s OHLC, flows and volumes; written to Parquet or JSONL.')
    .argument('[inputs...]', 'files or folders: Binance captures, dumps, LOBSTER files, datasets (default: the bundled sample)')
    .requiredOption('-o, --out <file>', 'output file: .parquet, .jsonl or .jsonl.gz')
    .option('--bar <span>', 'one row per bar: a time bar (100ms, 1s, 1m) or an event bar (500ev); none for one row per update (features.bar, default none)')
    .option('--config <file>', 'configuration file (YAML) with a features section; flags and environment variables (FEATURES_…) override it')
    .option('--symbol <symbol>', 'symbol for sources that carry none (LOBSTER, dumps, REST snapshots)')
    .option('--json', 'print the summary as one JSON object')
    .action(async (inputs: string[], flags: FeaturesFlags) => {
      if (flags.bar !== undefined && flags.bar !== 'none') spanOrThrow(flags.bar, '--bar');
      featureFormatOf(flags.out);
      const sources = inputs.length > 0 ? inputs : samplePaths();
      if (sources.length === 0) throw new UserInputError('no input given and the bundled sample is missing');
      const { config } = await loadConfig({
        ...(flags.config ? { file: flags.config } : {}),
        flags: flagLayer({ 'features.bar': flags.bar }, { 'features.bar': '--bar' }),
      });
      const summary = await computeFeatures(sources, {
        out: flags.out,
        features: featureSetOptionsFromConfig(config.features),
        batchRows: config.dataset.batch_rows,
        ...(flags.symbol ? { symbol: flags.symbol } : {}),
        ...(flags.json || !process.stderr.isTTY ? {} : { onSource: (s: SourceSummary) => process.stderr.write(`  read ${sourceLine(s)}\n`) }),
      });
      if (flags.json) process.stdout.write(`${JSON.stringify({ ...summary, elapsedMs: Math.round(summary.elapsedMs) })}\n`);
      else process.stdout.write(`${formatFeatures(summary).join('\n')}\n`);
      if (summary.sources.some((s) => s.error)) process.exitCode = 1;
    });
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '-';
}

function formatFeatures(s: FeaturesSummary): string[] {
  const what = s.mode === 'bar' ? `bars of ${s.bar}` : 'one row per update';
  const out = [
    `Features → ${s.out} (${s.format}): ${num(s.rows)} rows, ${what}, ${num(s.symbols.length)} symbol${s.symbols.length === 1 ? '' : 's'}, fp ${s.fp}, ${duration(s.elapsedMs)}`,
    '',
  ];
  out.push(...table([['symbol', 'rows', 'from', 'to'], ...s.symbols.map((x) => [x.symbol, num(x.rows), iso(x.firstTs), iso(x.lastTs)])], [false, true, false, false]));
  out.push('', `Columns (${s.columns.length}): ${s.columns.join(', ')}`, '', 'Sources', ...s.sources.map((x) => `  ${sourceLine(x)}`));
  if (s.quarantine.count > 0) {
    out.push('', `Refused lines: ${num(s.quarantine.count)}`);
    for (const r of s.quarantine.first) out.push(`  ${formatReject(r)}`);
  }
  return out;
}
