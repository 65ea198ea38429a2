/**
 * What `ofi-backtest signals` reads, and how each kind reaches `CoreAlgorithm`:
 *
 * - **feature rows** (JSONL as `ofi-backtest features -o x.jsonl` writes them, plain or gzip,
 *   or on standard input): one JSON object a line, checked at this boundary
 *   (`featureRowProblem`) and handed to `updateFeatures`; a line that cannot be used is refused
 *   with its file, line and field, a blank line is counted as skipped;
 * - **market data** (captures, dumps, LOBSTER, event JSONL/Parquet, datasets): read in
 *   exchange-time order across kinds (`readOrdered`) and fed quote by quote and trade by trade,
 *   receive times included (the lag gate needs them), from the batches' typed columns without
 *   an object per event.
 *
 * A feature file is told from market data by its first line: the feature writer puts `symbol`
 * first, and no market-data format starts a line with `{"symbol":`.
 */
import { gunzipSync } from 'node:zlib';
import type { RecordBatch } from 'apache-arrow';
import { f64Column } from '../core/batch.js';
import { OfiError, rejectRecord, type RejectSink } from '../core/errors.js';
import type { CoreAlgorithm } from '../signals/core-algorithm.js';
import { featureRowProblem, isFeatureRowShape, type FeatureRowInput } from '../signals/feature-input.js';
import { expandInputs, type SourceFormat } from '../io/detect.js';
import { BatchViews } from '../io/event-runs.js';
import { readHead } from '../io/lines.js';
import { readOrderedBlocks } from '../io/ordered.js';
import { countSkip, newReadStats, reject, type ReadStats } from '../io/source.js';

/** Formats `signals` reads: the market-data formats, and feature rows. */
export type SignalInputFormat = SourceFormat | 'features';

/** What was read from one input. */
export interface SignalSourceSummary extends ReadStats {
  /** The file (`-` for standard input). */
  path: string;
  format: SignalInputFormat;
  /** Feature rows judged, or quotes and trades fed. */
  rows: number;
  /** Set when the input failed part-way (what was read before still counts). */
  error?: string;
  /** `--watch`: bytes of a last line the writer had not finished when the watch ended. */
  tornBytes?: number;
}

/** A fresh summary for an input. */
export function newSourceSummary(path: string, format: SignalInputFormat): SignalSourceSummary {
  return { path, format, ...newReadStats(), rows: 0 };
}

const FEATURE_LINE_START = '{"symbol":';

/** True when text that starts a file is feature rows. */
export function looksLikeFeatures(firstBytes: string): boolean {
  const text = firstBytes.trimStart();
  if (text.startsWith(FEATURE_LINE_START)) return true;
  const nl = text.indexOf('\n');
  if (nl < 0) return false;
  try {
    return isFeatureRowShape(JSON.parse(text.slice(0, nl)));
  } catch {
    return false;
  }
}

/** The text at the start of a file, gunzipped when it is gzip (a truncated stream gives what it can). */
export async function headText(path: string, bytes = 64 * 1024): Promise<string> {
  const head = await readHead(path, bytes);
  if (head[0] === 0x1f && head[1] === 0x8b) {
    try {
      return gunzipSync(head, { finishFlush: 2 /* Z_SYNC_FLUSH: accept a truncated stream */ }).toString('utf8');
    } catch {
      return '';
    }
  }
  return new TextDecoder().decode(head);
}

/**
 * Inputs expanded (a folder of files becomes its files; datasets and LOBSTER folders stay
 * whole) with each one's format, feature files told apart. Throws a one-line error naming a
 * missing or unreadable input before anything is read.
 */
export async function expandSignalInputs(inputs: readonly string[]): Promise<{ path: string; format: SignalInputFormat }[]> {
  const out: { path: string; format: SignalInputFormat }[] = [];
  for (const e of await expandInputs(inputs)) {
    const textual = e.format === 'capture' || e.format === 'jsonl';
    out.push({ path: e.path, format: textual && looksLikeFeatures(await headText(e.path, 4096)) ? 'features' : e.format });
  }
  return out;
}

/**
 * Feature rows line by line into the algorithm: JSON, checked, judged. A line that cannot be
 * used is refused (`bad-json`, or `bad-row` naming the field); a blank line is skipped.
 */
export class FeatureLineFeeder {
  private readonly options: { onReject: RejectSink };

  constructor(
    private readonly algo: CoreAlgorithm,
    readonly summary: SignalSourceSummary,
    onReject: RejectSink,
  ) {
    this.options = { onReject };
  }

  /** Lines `lines[0]…` numbered from `firstLine` (1-based). */
  lines(lines: readonly string[], firstLine: number): void {
    for (let i = 0; i < lines.length; i++) this.line(lines[i]!, firstLine + i);
  }

  line(text: string, lineNo: number): void {
    const s = this.summary;
    s.lines++;
    if (text.trim() === '') {
      countSkip(s, 'blank');
      return;
    }
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (err) {
      reject(this.options, s, rejectRecord(s.path, lineNo, 'bad-json', `not JSON: ${(err as Error).message}`, text));
      return;
    }
    const problem = featureRowProblem(o);
    if (problem) {
      reject(this.options, s, rejectRecord(s.path, lineNo, 'bad-row', problem[1], text, problem[0] || undefined));
      return;
    }
    const row = o as FeatureRowInput;
    s.rows++;
    if (row.kind === 'quote' || row.kind === 'trade') s.events[row.kind]++;
    this.algo.updateFeatures(row);
  }
}

/**
 * One market-data source into the algorithm, in exchange-time order, quotes and trades with
 * their receive times. Failures part-way are recorded in the summary (what was read counts);
 * `stop()` true between batches ends the read early.
 */
export async function feedMarketData(
  algo: CoreAlgorithm,
  path: string,
  format: SourceFormat,
  options: { symbol?: string; batchRows?: number; onReject: RejectSink; stop?: () => boolean },
): Promise<SignalSourceSummary> {
  const summary = newSourceSummary(path, format);
  const stats = newReadStats();
  const views = new BatchViews();
  let recvOf: RecordBatch | null = null;
  let recv: Float64Array = new Float64Array(0);
  const readOptions = {
    stats,
    onReject: options.onReject,
    name: path,
    ...(options.symbol ? { symbol: options.symbol } : {}),
    ...(options.batchRows ? { batchRows: options.batchRows } : {}),
  };
  try {
    reading: for await (const block of readOrderedBlocks(path, format, readOptions)) {
      for (const run of block) {
        if (run.kind !== 'quote' && run.kind !== 'trade') continue;
        if (run.batch !== recvOf) {
          recvOf = run.batch;
          recv = f64Column(run.batch, 'recvTs');
        }
        if (run.kind === 'quote') {
          const v = views.quote(run.batch);
          for (let i = run.from; i < run.to; i++) {
            algo.quote(v.names[v.codes[i]!]!, v.ts[i]!, recv[i]!, v.bidPrice[i]!, v.bidQty[i]!, v.askPrice[i]!, v.askQty[i]!, v.updateId[i]!);
          }
        } else {
          const v = views.trade(run.batch);
          for (let i = run.from; i < run.to; i++) {
            algo.trade(v.names[v.codes[i]!]!, v.ts[i]!, recv[i]!, v.price[i]!, v.qty[i]!, v.side[i]!, v.market[i] === 1 ? 'MARKET' : 'OTHER');
          }
        }
        summary.rows += run.to - run.from;
        if (options.stop?.()) break reading;
      }
    }
  } catch (err) {
    if (!(err instanceof OfiError) && !(err instanceof Error)) throw err;
    summary.error = (err as Error).message;
  }
  const { rows, error } = summary;
  Object.assign(summary, stats, { rows, ...(error !== undefined ? { error } : {}) });
  return summary;
}
