/**
 * The backtest's `DataReader`, pure part: market data of any io source as ONE time-ordered
 * event stream across symbols and kinds, columnar (`data/event-table.ts`), in bounded memory.
 *
 * - {@link LaneFeeder}: one lane of the merge — batches (or row runs of batches, as
 *   `io/ordered.ts` hands them out) of one source in time order — turned into typed column
 *   views once per batch, with symbols and print kinds coded in the stream's dictionaries.
 * - {@link StreamMerge}: the lanes merged (`data/merge.ts`) into chunks of at most `chunk`
 *   events; the Node side (`runs/backtest-data.ts`) drives it from async readers, one lane per
 *   source, and hands out each chunk as an {@link EventTable}.
 * - {@link eventTableFromTables}: in-memory tables (a dataset slice's `toTables()`, an IPC
 *   cache entry) merged once into one table, the form a sweep replays many times.
 *
 * Order: exchange time, then kind (depth, quote, trade, mark), then symbol, then lane (source
 * order). A source of several symbols (a dataset, a multi-symbol capture) is one lane and keeps
 * its own order among its rows; a dataset's own merge already follows this rule.
 */
import type { RecordBatch, Table } from 'apache-arrow';
import { EVENT_KINDS, type EventKind } from '../core/events.js';
import { EventTableBuilder, KindColumns, OrderBuilder } from './data/builder.js';
import { batchColumns, Dictionary, heapAlloc, sharedAlloc, type BatchColumns } from './data/columns.js';
import { EventMerger } from './data/merge.js';
import type { EventTable } from './data/event-table.js';

export {
  DEPTH,
  QUOTE,
  TRADE,
  MARK,
  KIND_CODE,
  KIND_NAMES,
  batchColumns,
  type BatchColumns,
  type ListColumn,
  type AnyColumnSet,
  type QuoteColumnSet,
  type TradeColumnSet,
  type DepthColumnSet,
  type MarkColumnSet,
} from './data/columns.js';
export { EventTable, type EventTableData } from './data/event-table.js';
export { EventTableBuilder, OrderBuilder, KindColumns, type BuilderOptions, type BuilderSizes } from './data/builder.js';
export { EventMerger, type DrainState, type RunSink } from './data/merge.js';
export { EventView } from './data/event-view.js';

/** Events per chunk of the streaming reader unless told otherwise: columns of this many rows stay in cache. */
export const DEFAULT_CHUNK_EVENTS = 16_384;

/** Dictionaries shared by every lane of one stream. */
export class StreamDictionaries {
  readonly symbols = new Dictionary();
  readonly prints = new Dictionary([], 0xff);
}

/** Column views of a lane's batches, made once per batch and kind. */
export class LaneFeeder {
  private readonly last: (RecordBatch | null)[] = [null, null, null, null];
  private readonly views: (BatchColumns | null)[] = [null, null, null, null];

  constructor(private readonly dicts: StreamDictionaries) {}

  columns(kind: EventKind, batch: RecordBatch): BatchColumns {
    const k = EVENT_KINDS.indexOf(kind);
    if (this.last[k] !== batch) {
      this.last[k] = batch;
      this.views[k] = batchColumns(kind, batch, this.dicts.symbols, this.dicts.prints);
    }
    return this.views[k]!;
  }
}

/** Options of {@link StreamMerge} and {@link eventTableFromTables}. */
export interface StreamMergeOptions {
  /** Events per chunk (streaming); default {@link DEFAULT_CHUNK_EVENTS}. `Infinity`: one table. */
  chunk?: number;
  /** Allocate the tables on `SharedArrayBuffer`s (for worker threads). */
  shared?: boolean;
}

/**
 * The merge of `lanes` lanes into chunks. Drive it: while `needs()` names a lane, `push` its
 * next run (or `end` it); `take()` gives a full chunk when one is ready; `finish()` the last.
 */
export class StreamMerge {
  readonly dicts = new StreamDictionaries();
  readonly feeders: LaneFeeder[];
  private readonly merger: EventMerger;
  private builder: EventTableBuilder;
  private readonly chunk: number;
  private state: 'need' | 'full' | 'done' = 'need';

  constructor(
    lanes: number,
    private readonly options: StreamMergeOptions = {},
  ) {
    this.chunk = options.chunk ?? DEFAULT_CHUNK_EVENTS;
    this.feeders = Array.from({ length: lanes }, () => new LaneFeeder(this.dicts));
    this.merger = new EventMerger(lanes, this.dicts.symbols.names);
    this.builder = this.newBuilder();
  }

  /** A builder for the next chunk, with the room the last one needed (`sizes`: no growing on the way). */
  private newBuilder(last?: EventTableBuilder): EventTableBuilder {
    return new EventTableBuilder({
      capacity: this.chunk,
      ...(this.chunk < Infinity ? { initial: this.chunk } : {}),
      ...(this.options.shared ? { shared: true } : {}),
      ...(last ? { sizes: last.sizes() } : {}),
    });
  }

  /** Room for events, rows of a kind and level values ahead of time (see `EventTableBuilder.reserve`). */
  reserve(events: number, kind: number, rows: number, values = 0): void {
    this.builder.reserve(events, kind, rows, values);
  }

  /** The lane that must be fed next, or −1 (then call {@link take}). */
  needs(): number {
    return this.merger.needs();
  }

  push(lane: number, kind: EventKind, batch: RecordBatch, from = 0, to = batch.numRows): void {
    this.merger.push(lane, this.feeders[lane]!.columns(kind, batch), from, to);
  }

  end(lane: number): void {
    this.merger.end(lane);
  }

  /** Merge what can be merged; a full chunk when one is ready, else null (feed `needs()`, or `finish()` when done). */
  take(): EventTable | null {
    this.state = this.merger.drain(this.builder);
    if (this.state !== 'full') return null;
    const t = this.builder.finish(this.dicts.symbols.names, this.dicts.prints.names);
    this.builder = this.newBuilder(this.builder);
    return t;
  }

  /** True once every lane has ended and every row is out. */
  get done(): boolean {
    return this.state === 'done';
  }

  /** The last chunk (null when empty). */
  finish(): EventTable | null {
    if (this.builder.length === 0) return null;
    const t = this.builder.finish(this.dicts.symbols.names, this.dicts.prints.names);
    this.builder = this.newBuilder();
    return t;
  }
}

/**
 * One table of every event of in-memory tables, merged once: each element of `sets` is one
 * source's tables by kind (each kind's rows in time order, as `DatasetSlice.toTables()` and
 * the IPC cache give them). Ties across kinds of one set go by kind, across sets by symbol,
 * then set order. Pass `shared` to allocate the table for worker threads.
 *
 * Each kind's columns are gathered in bulk, batch after batch (the sizes are known, so they are
 * allocated once), and the merge then writes only the order — kind, symbol, row, time per event
 * — so a stream whose quotes and trades alternate every few rows costs no copy per run.
 *
 * @example
 * const { tables } = await cache.tables(ds.slice({ symbols: ['BTCUSDT', 'ETHUSDT'] }));
 * const events = eventTableFromTables([tables]);
 * events.length; // every event, merged
 */
export function eventTableFromTables(sets: readonly Partial<Record<EventKind, Table>>[], options: { shared?: boolean } = {}): EventTable {
  const alloc = options.shared ? sharedAlloc : heapAlloc;
  const dicts = new StreamDictionaries();
  const lanes: { batches: BatchColumns[]; next: number }[] = [];
  const kinds = EVENT_KINDS.map((_, k) => new KindColumns(k, 16, alloc));
  let events = 0;
  for (const set of sets) {
    for (const kind of EVENT_KINDS) {
      const t = set[kind];
      if (!t || t.numRows === 0) continue;
      const feeder = new LaneFeeder(dicts);
      lanes.push({ batches: t.batches.filter((b) => b.numRows > 0).map((b) => ({ ...feeder.columns(kind, b) })), next: 0 });
      events += t.numRows;
    }
  }
  // gather each kind's columns, batch after batch, in one allocation
  for (let k = 0; k < kinds.length; k++) {
    const of = lanes.flatMap((l) => l.batches).filter((b) => b.kind === k);
    kinds[k]!.reserve(
      of.reduce((s, b) => s + b.cols.length, 0),
      of.reduce((s, b) => s + (b.lists.length ? Math.max(...b.lists.map((l) => l.offsets[b.cols.length]! - l.offsets[0]!)) : 0), 0),
    );
    for (const b of of) {
      b.rowBase = kinds[k]!.n;
      kinds[k]!.append(b, 0, b.cols.length);
    }
  }
  const order = new OrderBuilder(events, alloc);
  const merger = new EventMerger(lanes.length, dicts.symbols.names);
  for (;;) {
    const l = merger.needs();
    if (l >= 0) {
      const lane = lanes[l]!;
      const b = lane.batches[lane.next++];
      if (b) merger.push(l, b, 0, b.cols.length);
      else merger.end(l);
      continue;
    }
    if (merger.drain(order) === 'done') break;
  }
  return order.finish(kinds, dicts.symbols.names, dicts.prints.names);
}
