/** `ofi-backtest convert`: any supported input to a Hive-partitioned dataset, with a summary. */
import { Command, Option } from 'commander';
import { relative } from 'node:path';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertSources, partitionRows, type ConvertSummary, type SourceSummary } from '../../io/convert.js';
import { SOURCE_FORMATS } from '../../io/detect.js';
import { formatReject, UserInputError } from '../../core/errors.js';
import { flagLayer } from '../../core/config/resolve.js';
import { loadConfig } from '../config.js';
import { duration, num, positiveInt, positiveNumber, samplePaths, table } from '../format.js';

/** File the data-quality report is written to inside the output folder (skipped by dataset readers). */
export const DQ_REPORT_FILE = '_dq.json';

interface ConvertFlags {
  out: string;
  config?: string;
  format?: 'parquet' | 'jsonl';
  rotateRows?: number;
  rotateSec?: number;
  symbol?: string;
  silenceSec?: number;
  json?: boolean;
}

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('Convert market data to a Hive-partitioned Parquet (or JSONL) dataset, with a data-quality report and a quarantine of refused lines.')
    .argument('[inputs...]', `files or folders (default: the bundled sample). Formats: ${Object.keys(SOURCE_FORMATS).join(', ')}`)
    .option('-o, --out <dir>', 'output dataset folder', 'ofi-dataset')
    .option('--config <file>', 'configuration file (YAML); flags and environment variables override it')
    .addOption(new Option('--format <format>', 'file format of the parts (dataset.format, default parquet)').choices(['parquet', 'jsonl']))
    .option('--rotate-rows <n>', 'start a new part after this many rows (dataset.rotate_rows)', positiveInt)
    .option('--rotate-sec <n>', 'start a new part when a part spans this many seconds of exchange time (dataset.rotate_sec)', positiveNumber)
    .option('--symbol <symbol>', 'symbol for sources that carry none (LOBSTER, dumps, REST snapshots)')
    .option('--silence-sec <n>', 'data-quality: a gap in exchange time longer than this is a silence (dq.silence_sec)', positiveNumber)
    .option('--json', 'print the summary as one JSON object')
    .action(async (inputs: string[], flags: ConvertFlags) => {
      const sources = inputs.length > 0 ? inputs : samplePaths();
      if (sources.length === 0) throw new UserInputError('no input given and the bundled sample is missing');
      const { config } = await loadConfig({
        ...(flags.config ? { file: flags.config } : {}),
        flags: flagLayer(
          { 'dataset.format': flags.format, 'dataset.rotate_rows': flags.rotateRows, 'dataset.rotate_sec': flags.rotateSec, 'dq.silence_sec': flags.silenceSec },
          { 'dataset.format': '--format', 'dataset.rotate_rows': '--rotate-rows', 'dataset.rotate_sec': '--rotate-sec', 'dq.silence_sec': '--silence-sec' },
        ),
      });
      const summary = await convertSources(sources, {
        out: flags.out,
        format: config.dataset.format,
        rotateRows: config.dataset.rotate_rows,
        rotateSec: config.dataset.rotate_sec,
        batchRows: config.dataset.batch_rows,
        ...(flags.symbol ? { symbol: flags.symbol } : {}),
        dq: { silenceMs: config.dq.silence_sec * 1000, examples: config.dq.examples },
        ...(flags.json || !process.stderr.isTTY ? {} : { onSource: (s: SourceSummary) => process.stderr.write(`  read ${sourceLine(s)}\n`) }),
      });
      writeFileSync(join(flags.out, DQ_REPORT_FILE), `${JSON.stringify(summary.dq, null, 2)}\n`);
      if (flags.json) process.stdout.write(`${JSON.stringify(toJson(summary))}\n`);
      else process.stdout.write(`${formatConvert(summary).join('\n')}\n`);
      if (summary.sources.some((s) => s.error)) process.exitCode = 1;
    });
}

/** One line per source: name, format, lines and events read, refusals, skips, error. */
export function sourceLine(s: SourceSummary): string {
  const events = Object.entries(s.events)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${num(n)}`)
    .join(', ');
  const skipped = Object.entries(s.skipped)
    .map(([r, n]) => `${r} ${num(n)}`)
    .join(', ');
  return [
    `${displayPath(s.path)} (${s.format}): ${num(s.lines)} lines → ${events || 'no events'}`,
    s.rejected ? `${num(s.rejected)} refused` : '',
    skipped ? `skipped: ${skipped}` : '',
    s.error ? `STOPPED: ${s.error}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r.startsWith('..') && r.split('/').length > 4 ? p : r || p;
}

function formatConvert(s: ConvertSummary): string[] {
  const out: string[] = [];
  const failed = s.sources.filter((x) => x.error).length;
  out.push(
    `Converted ${num(s.sources.length - failed)} of ${num(s.sources.length)} source${s.sources.length === 1 ? '' : 's'} into ${s.out} ` +
      `(${s.format}): ${num(s.written.totalRows)} rows in ${num(s.written.files.length)} file${s.written.files.length === 1 ? '' : 's'}, ${duration(s.elapsedMs)}`,
  );
  out.push('', 'Partitions');
  out.push(
    ...table(
      [['kind', 'symbol', 'date', 'rows', 'files'], ...partitionRows(s.written).map((p) => [p.kind, p.symbol, p.date, num(p.rows), num(p.files)])],
      [false, false, false, true, true],
    ),
  );
  out.push('', 'Sources');
  for (const src of s.sources) out.push(`  ${sourceLine(src)}`);
  out.push('');
  const q = s.quarantine;
  if (q.count === 0) out.push('Quarantine: no lines refused');
  else {
    const reasons = Object.entries(q.byReason)
      .map(([r, n]) => `${r} ${num(n ?? 0)}`)
      .join(', ');
    out.push(`Quarantine: ${num(q.count)} line${q.count === 1 ? '' : 's'} refused (${reasons}) → ${q.path}`);
    for (const r of q.first.slice(0, 5)) out.push(`  ${formatReject(r)}`);
  }
  out.push('', ...dqLines(s));
  return out;
}

/** The data-quality verdict and every check that found something, one line each. */
export function dqLines(s: { dq: ConvertSummary['dq'] }, reportPath?: string): string[] {
  const t = s.dq.totals;
  const lines = [`Data quality: ${s.dq.ok ? 'OK' : 'FAILED'} (${num(t.errors)} errors, ${num(t.warnings)} warnings, ${num(t.infos)} notes)`];
  for (const c of Object.values(s.dq.checks)) if (c.count > 0) lines.push(`  ${c.severity.padEnd(7)} ${c.title}: ${num(c.count)}`);
  if (reportPath) lines.push(`  full report: ${reportPath}`);
  return lines;
}

function toJson(s: ConvertSummary): unknown {
  return {
    out: s.out,
    format: s.format,
    elapsedMs: Math.round(s.elapsedMs),
    totalRows: s.written.totalRows,
    files: s.written.files.map((f) => ({ ...f, path: relative(s.out, f.path) })),
    partitions: partitionRows(s.written),
    sources: s.sources,
    quarantine: s.quarantine,
    dq: {
      ok: s.dq.ok,
      totals: s.dq.totals,
      failed: s.dq.failed,
      counts: Object.fromEntries(Object.entries(s.dq.checks).map(([id, c]) => [id, c.count])),
      report: join(s.out, DQ_REPORT_FILE),
    },
  };
}
