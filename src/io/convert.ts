/**
 * Any supported sources in, a Hive-partitioned dataset out, with the data-quality report and
 * the quarantine of refused lines beside it: what `ofi-backtest convert` and `dq` run.
 *
 * Every source goes through one path: detect → read (refused lines to the quarantine) →
 * data-quality gate → dataset writer. A source that fails part-way (a truncated gzip, an
 * unreadable zip) is recorded with its error; the other sources are still converted.
 */
import { dirname, resolve } from 'node:path';
import type { EventKind } from '../core/events.js';
import { OfiError } from '../core/errors.js';
import { DataQualityGate, type DqOptions } from './dq.js';
import type { DqReport } from './dq-checks.js';
import { expandInputs, readSource, type SourceFormat } from './detect.js';
import { DatasetWriter, type DatasetFormat, type WriteSummary } from './hive.js';
import { QuarantineWriter, type QuarantineSummary } from './quarantine.js';
import { newReadStats, type ReadStats } from './source.js';

/** What happened to one input. */
export interface SourceSummary extends ReadStats {
  path: string;
  format: SourceFormat;
  /** The error that stopped this source part-way, if one did (what was read before it is kept). */
  error?: string;
}

/** Options of {@link checkSources} and {@link convertSources}. */
export interface CheckOptions {
  /** Symbol for sources that carry none (overrides file-name guesses). */
  symbol?: string;
  /** Rows per batch read. */
  batchRows?: number;
  /** Data-quality gate options. */
  dq?: DqOptions;
  /** Directory for `_quarantine.jsonl` (none: refused lines are counted, and the first kept in the summary). */
  quarantineDir?: string;
  /** Called after each source (for progress). */
  onSource?: (s: SourceSummary) => void;
}

/** What {@link checkSources} found. */
export interface CheckSummary {
  sources: SourceSummary[];
  dq: DqReport;
  quarantine: QuarantineSummary;
  elapsedMs: number;
}

/** Options of {@link convertSources}. */
export interface ConvertOptions extends CheckOptions {
  out: string;
  format?: DatasetFormat;
  rotateRows?: number;
  rotateSec?: number;
}

/** What {@link convertSources} wrote and found. */
export interface ConvertSummary extends CheckSummary {
  out: string;
  format: DatasetFormat;
  written: WriteSummary;
}

/** Rows per kind, symbol and date partition, flattened for printing. */
export interface PartitionRow {
  kind: EventKind;
  symbol: string;
  date: string;
  rows: number;
  files: number;
}

/**
 * The default data-quality setup for a mixed list of sources: files in one folder are taken
 * as one recording (a capture split at midnight continues its chains), files in different
 * folders as unrelated; LOBSTER "trade ids" are order ids, so trade-id checks skip them.
 */
function dqDefaults(formats: Map<string, SourceFormat>, given: DqOptions = {}): DqOptions {
  return {
    recordingOf: (s) => dirname(resolve(s)),
    sequentialTradeIds: (s) => formats.get(s) !== 'lobster',
    ...given,
  };
}

async function run(inputs: readonly string[], options: CheckOptions, write?: (kb: Parameters<DatasetWriter['write']>[0]) => Promise<void>): Promise<CheckSummary> {
  const t0 = performance.now();
  const sources = await expandInputs(inputs);
  const formats = new Map(sources.map((s) => [s.path, s.format]));
  const gate = new DataQualityGate(dqDefaults(formats, options.dq));
  const quarantine = new QuarantineWriter(options.quarantineDir ?? null, { keep: 20 });
  const summaries: SourceSummary[] = [];
  for (const { path, format } of sources) {
    const stats = newReadStats();
    const summary: SourceSummary = { path, format, ...stats };
    try {
      const readOptions = {
        stats,
        onReject: quarantine.sink,
        name: path,
        ...(options.symbol ? { symbol: options.symbol } : {}),
        ...(options.batchRows ? { batchRows: options.batchRows } : {}),
      };
      for await (const kb of readSource(path, readOptions, format)) {
        gate.observe(kb, path);
        if (write) await write(kb);
      }
    } catch (err) {
      if (!(err instanceof OfiError) && !(err instanceof Error)) throw err;
      summary.error = (err as Error).message;
    }
    Object.assign(summary, stats);
    summaries.push(summary);
    options.onSource?.(summary);
  }
  return { sources: summaries, dq: gate.report(), quarantine: quarantine.close(), elapsedMs: performance.now() - t0 };
}

/**
 * The data-quality report of sources, without writing anything (`ofi-backtest dq`).
 *
 * @example
 * const { dq } = await checkSources(['btcusdt_20240718.gz', 'btcusdt_20240719.gz']);
 * dq.checks.depthChain.count; // 0: the pu chain continues across midnight
 */
export function checkSources(inputs: readonly string[], options: CheckOptions = {}): Promise<CheckSummary> {
  return run(inputs, options);
}

/**
 * Convert sources to a dataset under `options.out` (`ofi-backtest convert`). Refused lines go
 * to `{out}/quarantine.jsonl`.
 *
 * @example
 * const s = await convertSources(['btcusdt_20240808.gz'], { out: 'data/btc' });
 * s.written.totalRows; // 93,954
 */
export async function convertSources(inputs: readonly string[], options: ConvertOptions): Promise<ConvertSummary> {
  const format = options.format ?? 'parquet';
  const writer = new DatasetWriter(options.out, {
    format,
    ...(options.rotateRows !== undefined ? { maxRows: options.rotateRows } : {}),
    ...(options.rotateSec !== undefined ? { maxSec: options.rotateSec } : {}),
  });
  let checked: CheckSummary;
  try {
    checked = await run(inputs, { ...options, quarantineDir: options.quarantineDir ?? options.out }, (kb) => writer.write(kb));
  } catch (err) {
    // not a bad source (those are recorded and skipped) but a failure of the run itself:
    // publish nothing half-done
    await writer.abort().catch(() => undefined);
    throw err;
  }
  const written = await writer.close();
  return { ...checked, out: options.out, format, written };
}

/** Rows and files per (kind, symbol, date), sorted, for a summary table. */
export function partitionRows(w: WriteSummary): PartitionRow[] {
  const files = new Map<string, number>();
  for (const f of w.files) {
    const k = `${f.kind}\0${f.symbol}\0${f.date}`;
    files.set(k, (files.get(k) ?? 0) + 1);
  }
  const rows: PartitionRow[] = [];
  for (const [kind, bySym] of Object.entries(w.rows) as [EventKind, Record<string, Record<string, number>>][]) {
    for (const [symbol, byDate] of Object.entries(bySym)) {
      for (const [date, n] of Object.entries(byDate)) rows.push({ kind, symbol, date, rows: n, files: files.get(`${kind}\0${symbol}\0${date}`) ?? 0 });
    }
  }
  return rows.sort((a, b) => a.symbol.localeCompare(b.symbol) || a.kind.localeCompare(b.kind) || a.date.localeCompare(b.date));
}
