/**
 * What the data-quality gate checks, how serious each finding is, and the shape of its report.
 *
 * The checks are the same for every source, so a Binance capture, a dump CSV, a LOBSTER file
 * and a Parquet dataset are judged by one standard. Each check has a fixed default severity:
 * `error` means an analysis on this data is wrong unless the finding is handled (a broken
 * depth chain, a missing trade, a crossed book), `warning` means it deserves a look (a duplicate,
 * a clock step back, a silence) and `info` records a known, documented habit of a venue
 * (Binance bookTicker `u` may repeat and arrive out of order; stale diffs before a depth sync).
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/How-to-manage-a-local-order-book-correctly
 * @see https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#how-to-manage-a-local-order-book-correctly
 */
import type { EventKind } from '../core/events.js';

/** How serious a finding is. */
export type Severity = 'error' | 'warning' | 'info';

/** One check: its id, default severity, a short title and why it matters. */
export interface DqCheckDef {
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
  readonly description: string;
  /** Unit of the check's `worst` value, if it measures a size (a gap, a step back). */
  readonly unit?: 'ms' | 'ids';
}

function def<I extends string>(id: I, severity: Severity, title: string, description: string, unit?: 'ms' | 'ids'): DqCheckDef & { readonly id: I } {
  return unit ? { id, severity, title, description, unit } : { id, severity, title, description };
}

/** Every check, in report order. */
export const DQ_CHECKS = [
  def('depthChain', 'error', 'depth update-id chain break', 'A depth diff does not continue the previous one: its `pu` differs from the previous `u` (USD-M, COIN-M) or its `U` is not the previous `u` + 1 (spot). Updates are missing or reordered, and a book built from them is wrong.'),
  def('depthSync', 'error', 'depth snapshot sync failure', 'No diff bridges a depth snapshot: the first diff applied after it must have U ≤ lastUpdateId ≤ u (USD-M) or U ≤ lastUpdateId+1 ≤ u (spot).'),
  def('depthStaleBeforeSync', 'info', 'diffs older than the snapshot', 'Diffs read after a snapshot but older than it (u < lastUpdateId); a local book drops them, as the Binance procedure says.'),
  def('tradeIdGap', 'error', 'trade id gap', 'A trade\'s id (or an aggTrade\'s first trade id) skips past the highest id seen + 1: prints are missing.', 'ids'),
  def('tradeIdDuplicate', 'warning', 'trade id repeated', 'A trade carries the same id as the highest id seen so far: counted twice, it doubles its volume in CVD.'),
  def('tradeIdOutOfOrder', 'warning', 'trade id out of order', 'A trade id below the highest id seen so far: a late or replayed print.', 'ids'),
  def('quoteIdRepeat', 'info', 'quote update id repeated', 'A best bid/ask with the same order-book update id as the latest one; Binance bookTicker `u` may repeat.'),
  def('quoteIdOutOfOrder', 'info', 'quote update id out of order', 'A best bid/ask whose update id is below the highest seen; Binance bookTicker messages may arrive out of `u` order.', 'ids'),
  def('crossedBook', 'error', 'crossed book', 'Best bid above best ask, on a quote or a depth snapshot.'),
  def('lockedBook', 'warning', 'locked book', 'Best bid equal to best ask, on a quote or a depth snapshot.'),
  def('tsBack', 'warning', 'exchange time goes back', 'An event\'s exchange time is earlier than one already seen for its kind and symbol; a time-ordered merge reorders it.', 'ms'),
  def('recvTsBack', 'warning', 'receive time goes back', 'A local receive time earlier than one already seen in the same source and kind: the recorder\'s clock stepped back or lines were reordered.', 'ms'),
  def('silence', 'warning', 'silence', 'No event of a kind and symbol for longer than the silence threshold (exchange time): a disconnect, a halt or a quiet market.', 'ms'),
  def('missingTs', 'warning', 'no exchange time', 'An event without an exchange time (NaN `ts`); time checks skip it and time-ordered merges cannot place it.'),
  def('duplicate', 'warning', 'duplicate event', 'An event identical to the previous one of its kind and symbol (same ids, times and values; receive time and print kind not compared).'),
  def('nonPositive', 'error', 'non-positive price or size', 'A price ≤ 0 or a size ≤ 0 on a quote or trade, or a depth level with price ≤ 0 or size < 0 (size 0 in a diff removes a level and is fine).'),
  def('snapshotZeroQty', 'warning', 'zero size in a snapshot', 'A depth snapshot level with size 0: a snapshot lists standing orders, so an empty level is suspicious.'),
  def('nan', 'error', 'missing value', 'A required value is NaN (a price or size), or a depth side has different numbers of prices and sizes.'),
] as const satisfies readonly DqCheckDef[];

/** The id of a check. */
export type DqCheckId = (typeof DQ_CHECKS)[number]['id'];

/** Index of each check in {@link DQ_CHECKS}, for counters kept in typed arrays. */
export const C = Object.fromEntries(DQ_CHECKS.map((d, i) => [d.id, i])) as { readonly [K in DqCheckId]: number };

/** A value in an example: numbers stay numbers; NaN and ±Infinity become strings (JSON has neither). */
export type DqValue = number | string | boolean | null;

/** Where a finding is: enough to open the file or table and look. */
export interface DqLocation {
  source: string;
  kind: EventKind;
  symbol: string;
  /** 0-based row among the source's events of this kind (the row of that kind's table). */
  row: number;
  /** Exchange time of the event, ms since epoch, or null when it has none. */
  ts: number | null;
}

/** One finding, with the values that made it fail. */
export interface DqExample extends DqLocation {
  values: Record<string, DqValue>;
}

/** The result of one check. */
export interface DqCheckResult {
  id: DqCheckId;
  severity: Severity;
  title: string;
  description: string;
  /** Findings. */
  count: number;
  /** Findings per stream (`"<kind> <symbol>"`, prefixed by `"<recording>: "` when recordings are named); only streams with findings. */
  byStream: Record<string, number>;
  /** The first findings, in read order. */
  examples: DqExample[];
  /** The largest finding of a check that measures a size (longest silence, largest step back, widest id gap). */
  worst?: { value: number; unit: 'ms' | 'ids'; at: DqLocation } | null;
  /** For trade id gaps: trade ids missing in all. */
  missingIds?: number;
}

/** Events of one kind and symbol (within one recording). */
export interface DqStreamSummary {
  /** The recording, when the caller names them (see `DqOptions.recordingOf`). */
  recording?: string;
  kind: EventKind;
  symbol: string;
  events: number;
  /** Depth snapshots among the events (depth only). */
  snapshots?: number;
  /** Earliest and latest exchange time, ms since epoch (null when no event had one). */
  firstTs: number | null;
  lastTs: number | null;
  /** The same as ISO-8601 UTC, for reading. */
  firstTime: string | null;
  lastTime: string | null;
  /** Sources the stream was read from, in read order. */
  sources: string[];
}

/** The report: JSON-serialisable as it stands (`JSON.stringify(report)` loses nothing). */
export interface DqReport {
  /** True when no check of severity `error` found anything. */
  ok: boolean;
  totals: {
    events: number;
    byKind: Record<EventKind, number>;
    sources: number;
    streams: number;
    /** Findings of `error`, `warning` and `info` checks. */
    errors: number;
    warnings: number;
    infos: number;
  };
  /** Checks of severity `error` that found something, in report order. */
  failed: DqCheckId[];
  sources: { source: string; events: Record<EventKind, number> }[];
  streams: DqStreamSummary[];
  checks: Record<DqCheckId, DqCheckResult>;
  options: { examples: number; silenceMs: Record<EventKind, number | null>; severity: Record<DqCheckId, Severity> };
}

/** A number as a report value: finite numbers as they are, NaN and infinities as text. */
export function dqValue(v: number): DqValue {
  return Number.isFinite(v) ? v : String(v);
}
