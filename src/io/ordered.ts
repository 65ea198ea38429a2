/**
 * One source's events in exchange-time order across kinds, in bounded memory, without an object
 * per event: what the feature and price-impact runs need, since OFI, CVD, bars and intervals
 * are all driven by one clock.
 *
 * Readers cut one batch per kind when that kind's builder is full, so a capture hands out two
 * batches of quotes before the first batch of trades that covers the same minutes. Each kind's
 * rows are in time order (exchange streams are), so this is a merge of per-kind streams; the
 * catch is knowing how far it may run. The reader's own counters tell: `stats.events[kind]`
 * counts the events a reader has parsed, emitted or not, so a kind with more events parsed than
 * received is still pending, and its next rows come at or after the last of its rows received.
 * Rows earlier than the least of those times across pending kinds are safe to hand out. Memory
 * is therefore bounded by the time span of one batch of the slowest kind (times the rates of the
 * others), not by the file.
 *
 * Runs are handed out as row ranges of the readers' own batches (`from`, `to`), not as slices:
 * a merge of quotes and trades alternates every few rows, and a slice object per run would cost
 * more than reading its rows. Ties in time go by kind in `EVENT_KINDS` order (book state before
 * the trades that hit it), as the dataset merge does; a dataset is already merged by its reader.
 *
 * @see ./merge.ts (the same order across files of a dataset)
 */
import type { RecordBatch } from 'apache-arrow';
import { f64Column, type KindBatch } from '../core/batch.js';
import { EVENT_KINDS, type EventKind } from '../core/events.js';
import { openDataset } from './dataset.js';
import { readSource, type SourceFormat } from './detect.js';
import { newReadStats, type ReadOptions, type ReadStats } from './source.js';

/** Rows `[from, to)` of one batch of one kind. */
export interface KindRun {
  kind: EventKind;
  batch: RecordBatch;
  from: number;
  to: number;
}

interface Queue {
  rank: number;
  batches: RecordBatch[];
  times: Float64Array[];
  pos: number;
  /** Rows received from the reader. */
  received: number;
  /** ts of the last row received (where this kind's pending rows start). */
  lastTs: number;
}

/** Per-kind queues of received batches and the merge over them. */
class KindQueues {
  private readonly q: Record<EventKind, Queue>;

  constructor() {
    this.q = Object.fromEntries(EVENT_KINDS.map((k, rank) => [k, { rank, batches: [], times: [], pos: 0, received: 0, lastTs: -Infinity }])) as unknown as Record<EventKind, Queue>;
  }

  push({ kind, batch }: KindBatch): void {
    if (batch.numRows === 0) return;
    const q = this.q[kind];
    const ts = f64Column(batch, 'ts');
    q.batches.push(batch);
    q.times.push(ts);
    q.received += batch.numRows;
    const last = ts[ts.length - 1]!;
    if (last === last) q.lastTs = last;
  }

  /** The time before which every row has been received: the least start of a pending kind's rows. */
  watermark(stats: ReadStats): number {
    let w = Infinity;
    for (const k of EVENT_KINDS) {
      const q = this.q[k];
      if (stats.events[k] > q.received && q.lastTs < w) w = q.lastTs;
    }
    return w;
  }

  /** Runs of rows with `ts < w` in merged order (all of them when `final`). */
  drain(w: number, final: boolean): KindRun[] {
    const out: KindRun[] = [];
    for (;;) {
      // rows without a time are handed out at once, where they sit in their kind's order
      for (const k of EVENT_KINDS) {
        const q = this.q[k];
        if (q.batches.length === 0 || headOf(q) === headOf(q)) continue;
        const ts = q.times[0]!;
        let i = q.pos + 1;
        while (i < ts.length && ts[i] !== ts[i]) i++;
        out.push(this.take(k, q, i));
      }
      // the kind whose next row comes first (NaN times last), then the best of the others
      let best: Queue | null = null;
      let bestKind: EventKind = 'depth';
      let other: Queue | null = null;
      for (const k of EVENT_KINDS) {
        const q = this.q[k];
        if (q.batches.length === 0) continue;
        if (!best || before(q, best)) {
          other = best;
          best = q;
          bestKind = k;
        } else if (!other || before(q, other)) other = q;
      }
      if (!best) return out;
      if (!final && !(headOf(best) < w)) return out;
      const ts = best.times[0]!;
      const end = ts.length;
      // run while rows come before the other kinds' next row and before the watermark; a tie
      // with the other kind's row goes by rank, a tie with the watermark waits (a pending kind
      // of any rank may have a row at that time)
      let bound = final ? Infinity : w;
      let inclusive = false;
      const ot = other ? headOf(other) : NaN;
      if (ot < bound) {
        bound = ot;
        inclusive = best.rank < other!.rank;
      }
      let i = best.pos + 1;
      if (inclusive) while (i < end && ts[i]! <= bound) i++;
      else while (i < end && ts[i]! < bound) i++;
      out.push(this.take(bestKind, best, i));
    }
  }

  /** Hand out the head batch's rows up to `to`, dropping the batch when it is used up. */
  private take(kind: EventKind, q: Queue, to: number): KindRun {
    const batch = q.batches[0]!;
    const from = q.pos;
    if (to >= batch.numRows) {
      q.batches.shift();
      q.times.shift();
      q.pos = 0;
    } else q.pos = to;
    return { kind, batch, from, to };
  }
}

function headOf(q: Queue): number {
  return q.batches.length > 0 ? q.times[0]![q.pos]! : NaN;
}

/** Strict order of two queues' next rows: time (NaN last), then kind rank. */
function before(a: Queue, b: Queue): boolean {
  const ta = headOf(a);
  const tb = headOf(b);
  if (ta !== tb) return ta < tb || (tb !== tb && ta === ta);
  return a.rank < b.rank;
}

/**
 * Row runs of one source in exchange-time order across kinds (see the module comment). Pass
 * `options.stats` to read the reader's counters afterwards.
 *
 * @example
 * for await (const { kind, batch, from, to } of readOrdered('btcusdt_20240808.gz', 'capture')) …
 */
export async function* readOrdered(path: string, format: SourceFormat, options: ReadOptions = {}): AsyncGenerator<KindRun> {
  for await (const block of readOrderedBlocks(path, format, options)) yield* block;
}

/**
 * {@link readOrdered} in blocks: the runs found from each batch read, handed out together, so a
 * consumer pays one async step per batch rather than one per run (a capture's runs are a few
 * rows long).
 */
export async function* readOrderedBlocks(path: string, format: SourceFormat, options: ReadOptions = {}): AsyncGenerator<KindRun[]> {
  const stats = options.stats ?? newReadStats();
  if (format === 'dataset') {
    // the dataset's own merge, as runs of its files' batches (each Parquet batch stays one batch)
    const slice = (await openDataset(path)).slice({
      ...(options.batchRows ? { batchRows: options.batchRows } : {}),
      ...(options.onReject ? { onReject: options.onReject } : {}),
    });
    for await (const block of slice.runBlocks()) {
      for (const run of block) stats.events[run.kind] += run.to - run.from;
      yield block;
    }
    return;
  }
  const queues = new KindQueues();
  for await (const kb of readSource(path, { ...options, stats }, format)) {
    queues.push(kb);
    const block = queues.drain(queues.watermark(stats), false);
    if (block.length > 0) yield block;
  }
  const block = queues.drain(Infinity, true);
  if (block.length > 0) yield block;
}
