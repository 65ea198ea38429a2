/**
 * A dataset of events on disk — a Hive-partitioned folder written by {@link DatasetWriter}
 * (or by DuckDB, Spark or Polars in the same layout), a folder of part files, or a single
 * Parquet or JSONL file — and slices of it by kind, symbol and time, read as one
 * time-ordered stream or as one Arrow table per kind.
 *
 * A slice opens only what it needs: date directories outside the window are skipped, a part
 * whose `first_ts` is at or after the window's end is skipped, and rows inside the batches that
 * remain are cut to the window. Reading merges parts across symbols and kinds by exchange time
 * with the parts of one moment open at a time.
 *
 * @see https://duckdb.org/docs/data/partitioning/hive_partitioning
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Table, type RecordBatch } from 'apache-arrow';
import type { KindBatch } from '../core/batch.js';
import { UserInputError } from '../core/errors.js';
import { EVENT_KINDS, type EventKind } from '../core/events.js';
import { eventSchema } from '../core/schema.js';
import { DAY_MS } from '../core/time.js';
import { filterByTime, symbolCodes, takeRows } from './batch-ops.js';
import { isHiddenName, NULL_PARTITION, parsePartFileName, unescapePartitionValue } from './hive.js';
import { readJsonl } from './jsonl.js';
import { fileError } from './lines.js';
import { mergeRunBlocks, mergeRuns, mergeSources, type MergedRun, type MergeSource } from './merge.js';
import { parquetInfo, readParquet } from './parquet.js';
import type { ReadOptions } from './source.js';

/** One file of a dataset. */
export interface DatasetFile {
  path: string;
  format: 'parquet' | 'jsonl';
  /** The kind it holds, from its directory or its schema; `null` for a JSONL file of mixed kinds. */
  kind: EventKind | null;
  /** From `symbol=…`; `null` when the file does not say (a file of several symbols). */
  symbol: string | null;
  /** From `date=YYYY-MM-DD`; `null` when the file does not say. */
  date: string | null;
  /** Every row has `ts >= firstTs` (from `part-{first_ts}`); `-Infinity` when unknown. */
  firstTs: number;
  size: number;
  mtimeMs: number;
}

/** What a slice takes. Bounds are exchange-time ms: `start` inclusive, `end` exclusive. */
export interface SliceOptions {
  kinds?: readonly EventKind[];
  symbols?: readonly string[];
  start?: number;
  end?: number;
  /** Rows at most per emitted batch (default 65,536). */
  batchRows?: number;
  /** Where refused JSONL lines go, and counters to update while reading. */
  onReject?: ReadOptions['onReject'];
  stats?: ReadOptions['stats'];
}

/** The extension's format, or `null` for a file that is not a dataset part. */
export function formatOfPath(path: string): 'parquet' | 'jsonl' | null {
  const name = basename(path).toLowerCase();
  if (name.endsWith('.parquet') || name.endsWith('.pq')) return 'parquet';
  if (/\.(jsonl|ndjson)(\.gz)?$/.test(name)) return 'jsonl';
  return null;
}

/**
 * Open a dataset: a Hive folder (`{root}/{kind}/symbol=…/date=…/part-….parquet`), any folder
 * below one (`{root}/trade`), a folder of part files, or a single `.parquet` / `.jsonl[.gz]`
 * file. Lists the files once (with sizes and modification times, for cache keys).
 *
 * @example
 * const ds = await openDataset('data/binance');
 * const tables = await ds.slice({ symbols: ['BTCUSDT'], start: Date.parse('2024-08-08T23:55Z') }).toTables();
 */
export async function openDataset(root: string): Promise<Dataset> {
  const abs = resolve(root);
  let st;
  try {
    st = await stat(abs);
  } catch (err) {
    throw fileError(root, err);
  }
  if (st.isFile()) {
    const format = formatOfPath(abs);
    if (!format) throw new UserInputError(`${root}: not a dataset file (expected .parquet, .jsonl, .jsonl.gz or .ndjson)`, 'E_FORMAT');
    const kind = format === 'parquet' ? (await parquetInfo(abs)).kind : null;
    return new Dataset(abs, [{ path: abs, format, kind, symbol: null, date: null, firstTs: -Infinity, size: st.size, mtimeMs: st.mtimeMs }]);
  }
  const files: DatasetFile[] = [];
  await walk(abs, { kind: null, symbol: null, date: null }, files);
  files.sort(compareFiles);
  return new Dataset(abs, files);
}

interface PathInfo {
  kind: EventKind | null;
  symbol: string | null;
  date: string | null;
}

async function walk(dir: string, info: PathInfo, out: DatasetFile[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const ent of entries) {
    if (isHiddenName(ent.name)) continue;
    const path = join(dir, ent.name);
    if (ent.isDirectory()) {
      const next = { ...info };
      const eq = ent.name.indexOf('=');
      if ((EVENT_KINDS as readonly string[]).includes(ent.name)) next.kind = ent.name as EventKind;
      else if (eq > 0 && ent.name.slice(0, eq) === 'symbol') next.symbol = unescapePartitionValue(ent.name.slice(eq + 1));
      else if (eq > 0 && ent.name.slice(0, eq) === 'date') next.date = unescapePartitionValue(ent.name.slice(eq + 1));
      await walk(path, next, out);
    } else if (ent.isFile()) {
      const format = formatOfPath(ent.name);
      if (!format) continue;
      const st = await stat(path);
      const part = parsePartFileName(ent.name);
      let kind = info.kind;
      if (!kind && format === 'parquet') kind = (await parquetInfo(path)).kind;
      out.push({ path, format, kind, symbol: info.symbol, date: info.date, firstTs: part ? part.firstTs : -Infinity, size: st.size, mtimeMs: st.mtimeMs });
    }
  }
}

function compareFiles(a: DatasetFile, b: DatasetFile): number {
  const ka = a.kind ? EVENT_KINDS.indexOf(a.kind) : -1;
  const kb = b.kind ? EVENT_KINDS.indexOf(b.kind) : -1;
  return (
    ka - kb ||
    cmp(a.symbol ?? '', b.symbol ?? '') ||
    cmp(a.date ?? '', b.date ?? '') ||
    (a.firstTs === b.firstTs ? 0 : a.firstTs < b.firstTs ? -1 : 1) ||
    partNo(a.path) - partNo(b.path) ||
    cmp(a.path, b.path)
  );
}

/** The `n` of `part-{t}-{n}` (0 for `part-{t}`): parts of one first time in the order written. */
function partNo(path: string): number {
  return parsePartFileName(basename(path))?.n ?? 0;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An opened dataset: its files, and slices of it. */
export class Dataset {
  constructor(
    /** Absolute path of the folder or file. */
    readonly root: string,
    private readonly list: readonly DatasetFile[],
  ) {}

  /** Every file of the dataset, in kind, symbol, date and time order. */
  files(): DatasetFile[] {
    return [...this.list];
  }

  /** The events of some kinds and symbols within a time window. */
  slice(options: SliceOptions = {}): DatasetSlice {
    return new DatasetSlice(this, options);
  }

  /** The whole dataset as one time-ordered stream. */
  [Symbol.asyncIterator](): AsyncGenerator<KindBatch> {
    return this.slice().batches();
  }
}

/** A window on a dataset. */
export class DatasetSlice {
  readonly start: number;
  readonly end: number;
  readonly kinds: readonly EventKind[];
  readonly symbols: ReadonlySet<string> | null;

  constructor(
    readonly dataset: Dataset,
    readonly options: SliceOptions,
  ) {
    this.start = options.start ?? -Infinity;
    this.end = options.end ?? Infinity;
    this.kinds = options.kinds ? EVENT_KINDS.filter((k) => options.kinds!.includes(k)) : EVENT_KINDS;
    this.symbols = options.symbols ? new Set(options.symbols) : null;
  }

  /** The files this slice reads, after pruning by kind, symbol, date and `first_ts`. */
  files(): DatasetFile[] {
    return this.dataset.files().filter((f) => this.wants(f));
  }

  private wants(f: DatasetFile): boolean {
    if (f.kind && !this.kinds.includes(f.kind)) return false;
    if (f.symbol !== null && this.symbols && !this.symbols.has(f.symbol)) return false;
    const bounded = this.start > -Infinity || this.end < Infinity;
    if (f.date !== null && bounded) {
      if (f.date === NULL_PARTITION) return false;
      const day = Date.parse(`${f.date}T00:00:00Z`);
      if (!Number.isNaN(day) && (day >= this.end || day + DAY_MS <= this.start)) return false;
    }
    if (f.firstTs >= this.end) return false;
    return true;
  }

  /**
   * The same order as {@link batches}, as runs of the files' own batches (no copy): what the
   * backtest's reader merges, one column view per Parquet batch however finely kinds and
   * symbols interleave.
   */
  runs(): AsyncGenerator<MergedRun> {
    return mergeRuns(this.sources(this.kinds));
  }

  /** {@link runs} in blocks, each what the merge finds before it waits for a file (see {@link mergeRunBlocks}). */
  runBlocks(): AsyncGenerator<MergedRun[]> {
    return mergeRunBlocks(this.sources(this.kinds));
  }

  /** Tagged batches in time order across symbols and kinds (see {@link mergeSources}). */
  batches(): AsyncGenerator<KindBatch> {
    return mergeSources(this.sources(this.kinds), { batchRows: this.options.batchRows });
  }

  [Symbol.asyncIterator](): AsyncGenerator<KindBatch> {
    return this.batches();
  }

  /**
   * One table per kind (empty tables for kinds absent), rows in time order across symbols,
   * in batches of `batchRows`. Reads the whole slice into memory, in one pass over the files.
   */
  async toTables(): Promise<Record<EventKind, Table>> {
    const batches: Record<EventKind, RecordBatch[]> = { depth: [], quote: [], trade: [], mark: [] };
    for await (const kb of mergeSources(this.sources(this.kinds), { batchRows: this.options.batchRows, groupByKind: true })) {
      batches[kb.kind].push(kb.batch);
    }
    const out = {} as Record<EventKind, Table>;
    for (const kind of EVENT_KINDS) out[kind] = batches[kind].length ? new Table(batches[kind]) : new Table(eventSchema(kind));
    return out;
  }

  /** One merge source per file and kind, reading the file lazily and cutting rows to the slice. */
  private sources(kinds: readonly EventKind[]): MergeSource[] {
    const sources: MergeSource[] = [];
    for (const f of this.files()) {
      const fileKinds = f.kind ? (kinds.includes(f.kind) ? [f.kind] : []) : kinds;
      if (fileKinds.length === 0) continue;
      const demux = new Demux(() => this.read(f), fileKinds);
      for (const kind of fileKinds) {
        sources.push({ kind, symbol: f.symbol ?? '', startTs: f.firstTs, open: () => demux.stream(kind) });
      }
    }
    return sources;
  }

  private async *read(f: DatasetFile): AsyncGenerator<KindBatch> {
    const opts: ReadOptions = { batchRows: this.options.batchRows, onReject: this.options.onReject, stats: this.options.stats };
    const reader = f.format === 'parquet' ? readParquet(f.path, opts) : readJsonl(f.path, opts);
    const filterSymbols = f.symbol === null && this.symbols !== null;
    for await (const kb of reader) {
      let batch: RecordBatch | null = kb.batch;
      if (filterSymbols) batch = keepSymbols(batch, this.symbols!);
      if (batch) batch = filterByTime(batch, this.start, this.end);
      if (batch && batch.numRows > 0) yield { kind: kb.kind, batch };
    }
  }
}

function keepSymbols(batch: RecordBatch, symbols: ReadonlySet<string>): RecordBatch | null {
  const { names, codes } = symbolCodes(batch);
  const wanted = names.map((n) => symbols.has(n));
  if (wanted.every(Boolean)) return batch;
  if (!wanted.some(Boolean)) return null;
  const keep: number[] = [];
  for (let i = 0; i < codes.length; i++) if (wanted[codes[i]!]) keep.push(i);
  return keep.length ? takeRows(batch, keep) : null;
}

/**
 * One pass over a file shared by one stream per kind: a file of mixed kinds (a JSONL export)
 * is read once, and batches of a kind not being asked for wait in its queue. For a file of one
 * kind this is a plain pass.
 */
class Demux {
  private source: AsyncGenerator<KindBatch> | null = null;
  private readonly queues = new Map<EventKind, RecordBatch[]>();
  private done = false;
  private open = 0;

  constructor(
    private readonly start: () => AsyncGenerator<KindBatch>,
    kinds: readonly EventKind[],
  ) {
    for (const k of kinds) this.queues.set(k, []);
  }

  async *stream(kind: EventKind): AsyncGenerator<RecordBatch> {
    this.source ??= this.start();
    const q = this.queues.get(kind) ?? [];
    this.open++;
    try {
      for (;;) {
        const b = q.shift();
        if (b) {
          yield b;
          continue;
        }
        if (this.done) return;
        const r = await this.source.next();
        if (r.done) {
          this.done = true;
          continue;
        }
        this.queues.get(r.value.kind)?.push(r.value.batch);
      }
    } finally {
      this.queues.delete(kind);
      if (--this.open === 0 && !this.done) {
        this.done = true;
        await this.source.return(undefined);
      }
    }
  }
}
