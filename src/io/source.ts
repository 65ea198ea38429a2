/**
 * What every reader takes and reports. A reader is an async generator of {@link KindBatch}es
 * over one source; it never throws on a bad line (that goes to `onReject`) and never drops a
 * line silently (a line it does not turn into an event is either rejected or counted in
 * `stats.skipped` under a named reason).
 */
import type { EventKind } from '../core/events.js';
import type { RejectRecord, RejectSink } from '../core/errors.js';
import type { KindBatch } from '../core/batch.js';

/** Counts a reader keeps while it reads. */
export interface ReadStats {
  /** Source lines (or rows) seen, blank lines and headers included. */
  lines: number;
  /** Events emitted, by kind. */
  events: Record<EventKind, number>;
  /** Lines refused and handed to `onReject`. */
  rejected: number;
  /** Lines deliberately not turned into events, by reason (`'kline'`, `'header'`, `'blank'`, `'halt'` …). */
  skipped: Record<string, number>;
}

/** Options every reader accepts. */
export interface ReadOptions {
  /** Rows per emitted batch (high-water mark). */
  batchRows?: number;
  /** Where refused lines go. Without one, refused lines are still counted in `stats.rejected`. */
  onReject?: RejectSink;
  /** Name of the source in reject records and reports (defaults to the path). */
  name?: string;
  /** Symbol for sources that do not carry one (LOBSTER files, dump CSVs, REST snapshots). */
  symbol?: string;
  /** Counters to update while reading (pass one to read them afterwards). */
  stats?: ReadStats;
}

/** A reader of one source. */
export type Reader = (path: string, options?: ReadOptions) => AsyncGenerator<KindBatch>;

/** Fresh, zeroed counters. */
export function newReadStats(): ReadStats {
  return { lines: 0, events: { depth: 0, quote: 0, trade: 0, mark: 0 }, rejected: 0, skipped: {} };
}

/** Add `n` to a skip reason. */
export function countSkip(stats: ReadStats, reason: string, n = 1): void {
  stats.skipped[reason] = (stats.skipped[reason] ?? 0) + n;
}

/** Record a refused line in the stats and hand it to the sink, if any. */
export function reject(options: ReadOptions, stats: ReadStats, rec: RejectRecord): void {
  stats.rejected++;
  options.onReject?.(rec);
}

/** Sum of several read stats (for a summary over many sources). */
export function addReadStats(into: ReadStats, from: ReadStats): ReadStats {
  into.lines += from.lines;
  into.rejected += from.rejected;
  for (const k of Object.keys(from.events) as EventKind[]) into.events[k] += from.events[k];
  for (const [r, n] of Object.entries(from.skipped)) countSkip(into, r, n);
  return into;
}
