/**
 * The backtest's `DataReader`, Node side: files of any io source (captures, dumps, LOBSTER,
 * datasets, Parquet, JSONL) as one time-ordered event stream across sources, symbols and
 * kinds, columnar (`backtest/data-reader.ts`), in bounded memory — or, for a sweep, as one
 * in-memory table built once (from the files, or from a dataset slice through the Arrow IPC
 * cache).
 *
 * Each source is read in time order across its own kinds by `io/ordered.ts` (memory bounded by
 * one batch span of its slowest kind) and is one lane of the merge, which asks a lane for its
 * next run only when its current one is used up; a chunk of the merged stream is handed out as
 * soon as it is full. Memory therefore holds one batch per source and kind plus one chunk, not
 * the file. Refused lines go to the quarantine (counted, the first few kept); a source that
 * fails part-way keeps what it gave and records its error, as in the other runs. With `worker`
 * all of this runs on a worker thread (`read-worker.ts`) and the chunks are handed over as they
 * are made, so the reading overlaps whatever the caller does with them.
 */
import { on } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Table } from 'apache-arrow';
import { OfiError, UserInputError } from '../core/errors.js';
import type { EventTableData } from '../backtest/data/event-table.js';
import type { EventKind } from '../core/events.js';
import type { SourceSummary } from '../io/convert.js';
import type { DatasetSlice } from '../io/dataset.js';
import { expandInputs, type SourceFormat } from '../io/detect.js';
import type { IpcCache } from '../io/ipc-cache.js';
import { readOrderedBlocks, type KindRun } from '../io/ordered.js';
import { QuarantineWriter, type QuarantineSummary } from '../io/quarantine.js';
import { newReadStats } from '../io/source.js';
import { eventTableFromTables, StreamMerge, EventTable } from '../backtest/data-reader.js';
import type { ReadWorkerData } from './read-worker.js';
import { bundledWorkerUrl } from './worker-url.js';

/** A read worker's messages (see `read-worker.ts`). */
type ReadWorkerReply =
  | { t: 'chunk'; d: EventTableData }
  | { t: 'end'; report: DataReadReport }
  | { t: 'error'; message: string; code: string | null; user?: boolean };

/** Options of {@link DataReader}. */
export interface DataReaderOptions {
  /** Symbol for sources that carry none (LOBSTER, dumps, REST snapshots). */
  symbol?: string;
  /** Rows per batch read from each source. */
  batchRows?: number;
  /** Events per chunk of {@link DataReader.chunks} (default 16,384). */
  chunk?: number;
  /** Allocate tables on `SharedArrayBuffer`s (for worker threads). */
  shared?: boolean;
  /** Folder of `_quarantine.jsonl` for refused lines; absent: counted and the first few kept. */
  quarantineDir?: string | null;
  /**
   * Read and merge on a worker thread (`runs/read-worker.js`), so {@link DataReader.chunks}
   * hands out chunks read while the caller worked on the previous ones: a backtest then runs
   * at the pace of the slower of reading and computing, not of their sum. The chunks and the
   * report are the same as read here (a caller that stops early gets no report: the worker is
   * stopped, not asked). Default false.
   */
  worker?: boolean;
  /** With `worker`: chunks the worker may read ahead of the caller (default 4). */
  ahead?: number;
}

/** What a read went through: per source, and the refused lines. */
export interface DataReadReport {
  sources: SourceSummary[];
  quarantine: QuarantineSummary | null;
}

interface Lane {
  path: string;
  format: SourceFormat;
  it: AsyncGenerator<KindRun[]>;
  /** The block of runs read last, and the next of its runs to push. */
  block: KindRun[];
  at: number;
  stats: ReturnType<typeof newReadStats>;
  error?: string;
}

/**
 * Market data files as one merged event stream.
 *
 * @example
 * const reader = await DataReader.open(['btcusdt_20240808.gz', 'ethusdt_20240808.gz']);
 * for await (const chunk of reader.chunks()) for (let i = 0; i < chunk.length; i++) … chunk.kind[i], chunk.ts[i] …
 * reader.report.sources; // per file: lines, events by kind, rejected, skipped, error
 */
export class DataReader {
  report: DataReadReport = { sources: [], quarantine: null };

  private constructor(
    readonly sources: readonly { path: string; format: SourceFormat }[],
    private readonly options: DataReaderOptions,
  ) {}

  /** Expand and detect the inputs (a folder of captures becomes its files); a missing file or an unknown format throws here, before anything is read. */
  static async open(inputs: readonly string[], options: DataReaderOptions = {}): Promise<DataReader> {
    return new DataReader(await expandInputs(inputs), options);
  }

  /** A reader of sources already expanded and detected (what {@link open} found). */
  static ofSources(sources: readonly { path: string; format: SourceFormat }[], options: DataReaderOptions = {}): DataReader {
    return new DataReader(sources, options);
  }

  /**
   * The merged stream as chunks of at most `options.chunk` events (each a fresh table: keep one
   * as long as needed), read here or, with `options.worker`, on a worker thread.
   */
  async *chunks(): AsyncGenerator<EventTable> {
    if (this.options.worker) yield* this.fromWorker();
    else yield* this.merge(this.options.chunk);
  }

  /** Every event in one table (what a sweep replays), merged once. */
  async table(): Promise<EventTable> {
    let out: EventTable | null = null;
    for await (const t of this.merge(Infinity)) out = t;
    return out ?? eventTableFromTables([]);
  }

  /** {@link chunks} read by a worker thread (see `read-worker.ts`); stopping early stops the worker. */
  private async *fromWorker(): AsyncGenerator<EventTable> {
    const ahead = Math.max(1, this.options.ahead ?? 4);
    const data: ReadWorkerData = { sources: this.sources.map((s) => ({ ...s })), options: { ...this.options, worker: false }, ahead };
    const worker = new Worker(bundledWorkerUrl('read-worker'), { workerData: data });
    const names = this.sources.map((s) => s.path).join(', ');
    let exitCode = NaN;
    worker.once('exit', (code) => (exitCode = code));
    try {
      // the worker's messages until it exits; an 'error' event (an exception the worker did not catch) throws here
      for await (const [m] of on(worker, 'message', { close: ['exit'] }) as AsyncIterable<[ReadWorkerReply]>) {
        if (m.t === 'chunk') {
          worker.postMessage(1);
          yield EventTable.fromData(m.d);
        } else if (m.t === 'end') {
          this.report = m.report;
          return;
        } else if (m.user) throw new UserInputError(m.message, m.code ?? undefined);
        else if (m.code) throw new OfiError(m.message, m.code);
        else throw new Error(m.message);
      }
      throw new Error(`the read worker stopped (exit code ${exitCode}) before the end of the data`);
    } catch (err) {
      // the toolkit's own errors as they are; any other names the sources
      if (err instanceof OfiError) throw err;
      throw new Error(`reading ${names}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await worker.terminate();
    }
  }

  private async *merge(chunk: number | undefined): AsyncGenerator<EventTable> {
    const quarantine = new QuarantineWriter(this.options.quarantineDir ?? null, { keep: 5 });
    const lanes: Lane[] = this.sources.map(({ path, format }) => {
      const stats = newReadStats();
      const it = readOrderedBlocks(path, format, {
        stats,
        onReject: quarantine.sink,
        name: path,
        ...(this.options.symbol ? { symbol: this.options.symbol } : {}),
        ...(this.options.batchRows ? { batchRows: this.options.batchRows } : {}),
      });
      return { path, format, it, block: [], at: 0, stats };
    });
    const m = new StreamMerge(lanes.length, { ...(chunk !== undefined ? { chunk } : {}), ...(this.options.shared ? { shared: true } : {}) });
    try {
      for (;;) {
        const l = m.needs();
        if (l >= 0) {
          const lane = lanes[l]!;
          if (lane.at < lane.block.length) {
            const r = lane.block[lane.at++]!;
            m.push(l, r.kind, r.batch, r.from, r.to);
            continue;
          }
          try {
            const r = await lane.it.next();
            if (r.done) m.end(l);
            else {
              lane.block = r.value;
              lane.at = 0;
            }
          } catch (err) {
            if (!(err instanceof OfiError) && !(err instanceof Error)) throw err;
            m.end(l);
            lane.error = (err as Error).message;
          }
          continue;
        }
        const t = m.take();
        if (t) yield t;
        if (m.done) break;
      }
      const last = m.finish();
      if (last) yield last;
    } finally {
      for (const lane of lanes) await lane.it.return(undefined);
      this.report.sources = lanes.map((l) => ({ path: l.path, format: l.format, ...l.stats, ...(l.error !== undefined ? { error: l.error } : {}) }));
      this.report.quarantine = quarantine.close();
    }
  }
}

/**
 * A dataset slice as one in-memory table, its Parquet decoded once and kept in the Arrow IPC
 * cache: the second read of the same slice (the next sweep, the next worker) is a file read and
 * a merge at memory speed.
 *
 * @example
 * const { table, hit } = await cachedEventTable(new IpcCache('.cache'), (await openDataset('data')).slice({ symbols: ['BTCUSDT'] }));
 */
export async function cachedEventTable(cache: IpcCache, slice: DatasetSlice, options: { shared?: boolean } = {}): Promise<{ table: EventTable; hit: boolean; key: string }> {
  const c = await cache.tables(slice);
  const table = eventTableFromTables([c.tables as Record<EventKind, Table>], options);
  // the table holds copies of the columns: the cache's buffers can serve the next read
  c.release();
  return { table, hit: c.hit, key: c.key };
}
