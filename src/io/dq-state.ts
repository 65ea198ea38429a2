/**
 * The state the data-quality gate keeps: per stream (recording, kind, symbol), per source,
 * and per check. Everything is a number or a reference to the last batch read, so observing
 * an event allocates nothing; only a reported example builds an object.
 */
import type { EventKind } from '../core/events.js';
import { DQ_CHECKS, type DqExample, type DqLocation, type DqValue } from './dq-checks.js';

/** Depth sync state: no snapshot yet, waiting for the diff that bridges one, or bridged. */
export const SYNC_NONE = 0;
export const SYNC_AWAITING = 1;
export const SYNC_DONE = 2;

/** What the gate remembers about one stream of events (one kind, one symbol, one recording). */
export class StreamState {
  /** Findings per check, for the report's `byStream`. */
  readonly counts = new Float64Array(DQ_CHECKS.length);
  events = 0;
  snapshots = 0;
  /** Highest and lowest exchange time seen (−∞ / +∞ before the first). */
  maxTs = -Infinity;
  minTs = Infinity;
  readonly sources: string[] = [];

  /** quote: highest update id seen. */
  maxUpdateId = NaN;
  /** trade: highest id and highest last-trade id seen. */
  maxId = NaN;
  maxLastId = NaN;
  /** depth: `u` of the previous diff, `U` that opened the current unbroken chain, snapshot sync. */
  lastU = NaN;
  chainFirstU = NaN;
  sync = SYNC_NONE;
  syncL = NaN;
  /** Whether the latest diff carried `pu` (USD-M, COIN-M) or not (spot). */
  diffHasPu = true;

  /** The batch columns and row of the previous event, to spot an identical repeat. */
  prevCols: unknown = null;
  prevRow = -1;
  /** Source and source row of the previous event, for a duplicate's example. */
  prevSource = '';
  prevSourceRow = -1;

  constructor(
    readonly key: string,
    readonly label: string,
    readonly recording: string,
    readonly kind: EventKind,
    readonly symbol: string,
  ) {}
}

/** What the gate remembers about one source. */
export class SourceState {
  readonly events: Record<EventKind, number> = { depth: 0, quote: 0, trade: 0, mark: 0 };
  /** Highest receive time seen per kind, in {@link EVENT_KINDS} order. */
  readonly recvMax = new Float64Array(4).fill(-Infinity);
  constructor(readonly source: string) {}
}

/** The findings of one check: a count, the first examples and the largest one. */
export class Tally {
  count = 0;
  readonly examples: DqExample[] = [];
  worst = -Infinity;
  worstSource = '';
  worstStream: StreamState | null = null;
  worstRow = -1;
  worstTs = NaN;
  /** Sum of the sizes of all findings (for trade id gaps: the ids missing). */
  sum = 0;

  /** The location of the largest finding, or null. */
  worstAt(): DqLocation | null {
    const st = this.worstStream;
    if (!st) return null;
    return { source: this.worstSource, kind: st.kind, symbol: st.symbol, row: this.worstRow, ts: tsValue(this.worstTs) };
  }

  add(source: string, st: StreamState, row: number, ts: number, values: Record<string, DqValue>): void {
    this.examples.push({ source, kind: st.kind, symbol: st.symbol, row, ts: tsValue(ts), values });
  }
}

/** An exchange time as a report value. */
export function tsValue(ts: number): number | null {
  return Number.isFinite(ts) ? ts : null;
}
