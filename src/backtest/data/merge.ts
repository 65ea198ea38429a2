/**
 * The k-way merge of time-ordered lanes into one event order, without an object per event.
 *
 * A lane is one time-ordered stream of row runs: one source read in order across its kinds
 * (`io/ordered.ts`), or one kind of a table. The merge is pull-driven and synchronous, so the
 * same code runs over in-memory tables and over async readers: {@link EventMerger.needs} names
 * the lane that must be given its next run before anything more can be decided (a lane is
 * asked only when its current run is used up, so at most one run per lane is held), and
 * {@link EventMerger.drain} moves rows into a builder until it is full, a lane is needed, or
 * every lane has ended.
 *
 * Order: time, then kind (`EVENT_KINDS`), then symbol (by name), then lane. A lane's own rows
 * keep their order: a lane that goes back in time is passed through as it is, not sorted, as
 * the dataset merge does. Rows without a time are handed out as soon as they are a lane's next.
 * The merge emits a run of one lane's rows while they come before the best of the other lanes'
 * next rows, so the comparison per row is one float compare unless times tie.
 *
 * @see Knuth, TAOCP vol. 3, §5.4.1 (multiway merging); ../../io/merge.ts (the same order across files)
 */
import type { BatchColumns } from './columns.js';
/** Where merged runs go: a table builder, or an order builder over gathered columns. */
export interface RunSink {
  readonly room: number;
  append(b: BatchColumns, from: number, to: number): void;
}

interface Lane {
  index: number;
  has: boolean;
  ended: boolean;
  b: BatchColumns | null;
  ts: Float64Array;
  pos: number;
  to: number;
}

/** What {@link EventMerger.drain} stopped on. */
export type DrainState = 'need' | 'full' | 'done';

/** See the module comment. */
export class EventMerger {
  private readonly lanes: Lane[];

  constructor(
    lanes: number,
    /** Symbol names by code (the stream's dictionary, which grows as batches arrive). */
    private readonly symbols: readonly string[],
  ) {
    this.lanes = Array.from({ length: lanes }, (_, index) => ({ index, has: false, ended: false, b: null, ts: new Float64Array(0), pos: 0, to: 0 }));
  }

  /** A lane whose next run must be given (or its end told) before the merge can go on; −1 when none. */
  needs(): number {
    for (const l of this.lanes) if (!l.has && !l.ended) return l.index;
    return -1;
  }

  /** Give a lane its next run: rows `[from, to)` of a batch's columns. */
  push(lane: number, b: BatchColumns, from: number, to: number): void {
    const l = this.lanes[lane]!;
    if (l.has) throw new Error(`lane ${lane} still holds a run`);
    if (to <= from) return;
    l.b = b;
    l.ts = b.cols.ts;
    l.pos = from;
    l.to = to;
    l.has = true;
  }

  /** Tell that a lane has no more runs. */
  end(lane: number): void {
    this.lanes[lane]!.ended = true;
  }

  /** Move rows into `out` in merged order (see {@link DrainState}). */
  drain(out: RunSink): DrainState {
    const lanes = this.lanes;
    for (;;) {
      let best: Lane | null = null;
      for (const l of lanes) {
        if (!l.has) {
          if (!l.ended) return 'need';
          continue;
        }
        if (best === null || this.headBefore(l, best)) best = l;
      }
      if (best === null) return 'done';
      if (out.room <= 0) return 'full';
      const ts = best.ts;
      const end = Math.min(best.to, best.pos + out.room);
      let i = best.pos + 1;
      const t0 = ts[best.pos]!;
      if (t0 !== t0) {
        while (i < end && ts[i] !== ts[i]) i++;
      } else {
        let other: Lane | null = null;
        for (const l of lanes) if (l.has && l !== best && (other === null || this.headBefore(l, other))) other = l;
        if (other === null) {
          while (i < end && ts[i] === ts[i]) i++;
        } else {
          const bound = other.ts[other.pos]!;
          for (; i < end; i++) {
            const t = ts[i]!;
            if (t < bound) continue;
            if (t > bound || t !== t || !this.rowBefore(best, i, other)) break;
          }
        }
      }
      out.append(best.b!, best.pos, i);
      best.pos = i;
      if (i >= best.to) {
        best.has = false;
        best.b = null;
      }
    }
  }

  /** Whether lane a's next row comes before lane b's next row. */
  private headBefore(a: Lane, b: Lane): boolean {
    const ta = a.ts[a.pos]!;
    const tb = b.ts[b.pos]!;
    if (ta !== ta) return tb === tb || a.index < b.index;
    if (tb !== tb) return false;
    if (ta !== tb) return ta < tb;
    return this.rowBefore(a, a.pos, b);
  }

  /** At equal times: row i of lane a before lane b's next row, by kind, symbol name, lane. */
  private rowBefore(a: Lane, i: number, b: Lane): boolean {
    const ka = a.b!.kind;
    const kb = b.b!.kind;
    if (ka !== kb) return ka < kb;
    const sa = a.b!.sym[i]!;
    const sb = b.b!.sym[b.pos]!;
    if (sa !== sb) {
      const na = this.symbols[sa]!;
      const nb = this.symbols[sb]!;
      return na < nb;
    }
    return a.index < b.index;
  }
}
