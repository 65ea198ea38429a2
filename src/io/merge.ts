/**
 * The k-way merge of time-ordered batch streams into one stream in exchange-time order, cut
 * into batches without an object per event: the merge finds runs of rows that can be emitted
 * from one source before another source's next row is due, and hands out slices (or, for
 * several short runs of one kind in a row, one batch gathered from them).
 *
 * Ties (equal `ts`) go by kind in `EVENT_KINDS` order (book state before the trades that hit
 * it), then symbol, then source order: the same order every time, whatever the file layout.
 *
 * Sources start lazily: a source that declares the earliest time it can hold (a part's
 * `first_ts`) is opened only when the merge reaches that time, so a month of parts is read
 * with only the parts of the current moment open.
 *
 * @see Knuth, TAOCP vol. 3, §5.4.1 (multiway merging with a priority queue)
 */
import type { RecordBatch } from 'apache-arrow';
import { f64Column, DEFAULT_BATCH_ROWS, type KindBatch } from '../core/batch.js';
import { EVENT_KINDS, type EventKind } from '../core/events.js';
import { concatRuns, type RowRun } from './batch-ops.js';

/** One time-ordered stream of batches of one kind. */
export interface MergeSource {
  kind: EventKind;
  /** Symbol for tie-breaking (`''` when a source mixes symbols). */
  symbol: string;
  /** Every row of the source has `ts >= startTs` (`-Infinity` when unknown). */
  startTs: number;
  /** Start reading; called once, when the merge reaches `startTs`. */
  open(): AsyncIterator<RecordBatch>;
}

interface Entry {
  src: MergeSource;
  rank: number;
  /** Not yet opened: keyed by `startTs`. */
  pending: boolean;
  it: AsyncIterator<RecordBatch> | null;
  batch: RecordBatch | null;
  ts: Float64Array;
  pos: number;
}

const NO_TIMES = new Float64Array(0);

const KIND_RANK: Record<EventKind, number> = Object.fromEntries(EVENT_KINDS.map((k, i) => [k, i])) as Record<EventKind, number>;

function key(e: Entry): number {
  return e.pending ? e.src.startTs : e.ts[e.pos]!;
}

/** Strict order of two heap entries: time, then pending before open, then kind, symbol, source. */
function before(a: Entry, b: Entry): boolean {
  const ka = key(a);
  const kb = key(b);
  if (ka !== kb) return ka < kb || (Number.isNaN(kb) && !Number.isNaN(ka));
  if (a.pending !== b.pending) return a.pending;
  return a.rank < b.rank;
}

/** Options of {@link mergeSources}. */
export interface MergeOptions {
  /** Rows at most per emitted batch (default 65,536). */
  batchRows?: number;
  /**
   * Gather each kind's rows into full batches regardless of the other kinds: each kind's
   * batches stay in merge order, but batches of different kinds no longer interleave by
   * time. For building one table per kind in one pass.
   */
  groupByKind?: boolean;
}

/**
 * Merge time-ordered sources into one stream of tagged batches in `(ts, kind, symbol, source)`
 * order. Each output batch holds one kind; consecutive rows of the same kind are gathered into
 * one batch up to `batchRows`. Each source must be in time order itself (as exchange streams
 * and the parts written from them are); a source that goes back in time is passed through as
 * it is, not sorted.
 *
 * @example
 * // quotes of two symbols, each a time-ordered list of batches
 * for await (const { kind, batch } of mergeSources([
 *   { kind: 'quote', symbol: 'BTCUSDT', startTs: -Infinity, open: () => btc[Symbol.asyncIterator]() },
 *   { kind: 'quote', symbol: 'ETHUSDT', startTs: -Infinity, open: () => eth[Symbol.asyncIterator]() },
 * ])) …
 */
export async function* mergeSources(sources: readonly MergeSource[], options: MergeOptions = {}): AsyncGenerator<KindBatch> {
  const maxRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  // rows waiting to be cut into a batch, per kind (only one kind at a time unless groupByKind)
  const out = new Map<EventKind, { runs: RowRun[]; rows: number }>(EVENT_KINDS.map((k) => [k, { runs: [], rows: 0 }]));
  let lastKind: EventKind | null = null;
  const cut = (kind: EventKind | null): KindBatch | null => {
    const o = kind && out.get(kind);
    if (!o || o.runs.length === 0) return null;
    const kb: KindBatch = { kind: kind!, batch: concatRuns(o.runs) };
    o.runs = [];
    o.rows = 0;
    return kb;
  };
  for await (const block of mergeRunBlocks(sources, options)) {
    for (const run of block) {
      const kind = run.kind;
      if (!options.groupByKind && lastKind !== kind) {
        const kb = cut(lastKind);
        if (kb) yield kb;
      }
      lastKind = kind;
      // keep output batches at most maxRows
      const o = out.get(kind)!;
      let from = run.from;
      while (from < run.to) {
        const take = Math.min(run.to - from, maxRows - o.rows);
        o.runs.push({ batch: run.batch, from, to: from + take });
        o.rows += take;
        from += take;
        if (o.rows >= maxRows) {
          const kb = cut(kind);
          if (kb) yield kb;
        }
      }
    }
  }
  for (const kind of EVENT_KINDS) {
    const kb = cut(kind);
    if (kb) yield kb;
  }
}

/** Rows `[from, to)` of one source batch of one kind, in merge order. */
export interface MergedRun {
  kind: EventKind;
  batch: RecordBatch;
  from: number;
  to: number;
}

/**
 * The merge of {@link mergeSources} as runs of the sources' own batches, nothing copied: each
 * run is the longest stretch of one source's rows that comes before every other source's next
 * row. A consumer that keeps per-batch state (the backtest's stream merge) sees each source
 * batch as itself, however finely the sources interleave.
 */
export async function* mergeRuns(sources: readonly MergeSource[], options: Pick<MergeOptions, 'groupByKind'> = {}): AsyncGenerator<MergedRun> {
  for await (const block of mergeRunBlocks(sources, options)) yield* block;
}

/**
 * The runs of {@link mergeRuns} in blocks: every run found before the merge must wait for a
 * source's next batch, handed out together. Quotes and trades interleave every few rows (a
 * Binance capture: 224,087 runs in 1,033,494 events), so a consumer that takes runs one async
 * step at a time pays for a step per run; by blocks, a step per batch.
 */
export async function* mergeRunBlocks(sources: readonly MergeSource[], options: Pick<MergeOptions, 'groupByKind'> = {}): AsyncGenerator<MergedRun[]> {
  // rank: kind, then symbol, then source order
  const order = sources.map((_, i) => i);
  order.sort((a, b) => {
    const sa = sources[a]!;
    const sb = sources[b]!;
    return KIND_RANK[sa.kind] - KIND_RANK[sb.kind] || (sa.symbol < sb.symbol ? -1 : sa.symbol > sb.symbol ? 1 : 0) || a - b;
  });
  const rankOf = new Int32Array(sources.length);
  order.forEach((srcIndex, rank) => (rankOf[srcIndex] = rank));
  // one heap per kind: the next row overall is the best of four tops, and with groupByKind a
  // run only has to stop for a row of its own kind (so one source per kind gives whole batches)
  const heaps = new Map<EventKind, Heap<Entry>>(EVENT_KINDS.map((k) => [k, new Heap<Entry>(before)]));
  const push = (e: Entry) => heaps.get(e.src.kind)!.push(e);
  const best = (): Heap<Entry> | null => {
    let h: Heap<Entry> | null = null;
    for (const x of heaps.values()) if (x.size > 0 && (!h || before(x.peek()!, h.peek()!))) h = x;
    return h;
  };
  const entries: Entry[] = sources.map((src, i) => ({ src, rank: rankOf[i]!, pending: true, it: null, batch: null, ts: new Float64Array(0), pos: 0 }));
  for (const e of entries) push(e);

  let block: MergedRun[] = [];
  try {
    for (let h = best(); h; h = best()) {
      const e = h.pop()!;
      if (e.pending) {
        e.pending = false;
        e.it = e.src.open();
        if (block.length > 0) {
          yield block;
          block = [];
        }
        if (await advance(e)) push(e);
        continue;
      }
      // run from e while its rows come before the next entry's
      const next = options.groupByKind ? h.peek() : best()?.peek();
      const end = e.batch!.numRows;
      let i = e.pos + 1;
      if (next) {
        const bound = key(next);
        const winsTie = !next.pending && e.rank < next.rank;
        const ts = e.ts;
        if (winsTie) while (i < end && ts[i]! <= bound) i++;
        else while (i < end && ts[i]! < bound) i++;
      } else {
        i = end;
      }
      block.push({ kind: e.src.kind, batch: e.batch!, from: e.pos, to: i });
      e.pos = i;
      if (e.pos < end) push(e);
      else {
        // the source's batch is used up: what was found goes out before its next batch is read
        yield block;
        block = [];
        if (await advance(e)) push(e);
      }
    }
    if (block.length > 0) yield block;
  } finally {
    // a consumer that stops early closes what is still open
    for (const e of entries) if (e.it?.return) await e.it.return(undefined);
  }
}

/** Load the entry's next non-empty batch; false when its source is done. */
async function advance(e: Entry): Promise<boolean> {
  for (;;) {
    const r = await e.it!.next();
    if (r.done) {
      // let go of the last batch (its time column is a view of it): a long merge passes many
      // sources, and each would otherwise keep its last batch alive to the end
      e.batch = null;
      e.ts = NO_TIMES;
      e.it = null;
      return false;
    }
    if (r.value.numRows > 0) {
      e.batch = r.value;
      e.ts = f64Column(r.value, 'ts');
      e.pos = 0;
      return true;
    }
  }
}

/** A binary min-heap under a strict order. */
class Heap<T> {
  private a: T[] = [];
  constructor(private readonly less: (x: T, y: T) => boolean) {}
  get size(): number {
    return this.a.length;
  }
  peek(): T | undefined {
    return this.a[0];
  }
  push(x: T): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
