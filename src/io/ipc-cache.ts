/**
 * An Arrow IPC cache of dataset slices, so a parameter sweep that reads the same slice a
 * hundred times decodes Parquet once. Reading a cached slice is a file read plus
 * `tableFromIPC`, whose columns are views on the bytes read: no decoding, no copying.
 *
 * One IPC file per kind, not one file with a kind column: the kinds have different columns
 * (depth has level lists, trades have ids and sides), so a single file would need a union or
 * a sparse superset of columns, and the tables would have to be split again on every read.
 * Per kind, a cached file is exactly the table `DatasetSlice.toTables()` gives, and the
 * time-ordered stream across kinds is a four-way merge of them.
 *
 * The cache key covers the dataset's root, the slice (kinds, symbols, window) and the path,
 * size and modification time of every file the slice reads, listed afresh on each lookup:
 * a new part, a rewritten part or a removed part gives a new key, and the stale entry of the
 * same slice is removed when the new one is written.
 *
 * @see https://arrow.apache.org/docs/format/Columnar.html#ipc-file-format
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Table, tableFromIPC, tableToIPC, type RecordBatch } from 'apache-arrow';
import type { KindBatch } from '../core/batch.js';
import { EVENT_KINDS, type EventKind } from '../core/events.js';
import { eventSchema, SCHEMA_VERSION } from '../core/schema.js';
import { normalizeBatch } from './batch-ops.js';
import { openDataset, type DatasetSlice, type SliceOptions } from './dataset.js';
import { mergeSources, type MergeSource } from './merge.js';
import { BufferPool } from './buffer-pool.js';

/** Bumped when the cache layout changes, so old entries are never misread. */
const CACHE_FORMAT = '1';
const MANIFEST = 'manifest.json';

/** A slice served from the cache. */
export interface CachedSlice {
  tables: Record<EventKind, Table>;
  /** True when it came from the cache, false when it was read and cached now. */
  hit: boolean;
  /** Folder of the cache entry. */
  path: string;
  key: string;
  /**
   * Hand the memory of these tables back to the cache's pool for its next read; the tables
   * must not be used afterwards. Optional: without it the memory is simply collected.
   */
  release(): void;
}

interface Manifest {
  format: string;
  key: string;
  root: string;
  slice: ReturnType<typeof sliceIdentity>;
  rows: Record<EventKind, number>;
}

function sliceIdentity(options: SliceOptions) {
  return {
    kinds: options.kinds ? EVENT_KINDS.filter((k) => options.kinds!.includes(k)) : null,
    symbols: options.symbols ? [...new Set(options.symbols)].sort() : null,
    start: options.start ?? null,
    end: options.end ?? null,
  };
}

function hash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/**
 * A folder of cached slices.
 *
 * @example
 * const cache = new IpcCache('.cache/ofi');
 * const ds = await openDataset('data/binance');
 * const { tables, hit } = await cache.tables(ds.slice({ kinds: ['quote', 'trade'] }));
 */
export class IpcCache {
  /** Buffers of released slices, reused by the next reads. */
  readonly pool: BufferPool;

  constructor(
    readonly dir: string,
    options: { pool?: BufferPool } = {},
  ) {
    this.pool = options.pool ?? new BufferPool();
  }

  /**
   * The entry name of a slice: `{slice id}-{content id}`, the first from the root and the
   * slice, the second from the files the slice reads as they are now.
   */
  async key(slice: DatasetSlice): Promise<string> {
    return (await this.fresh(slice)).key;
  }

  /** The slice over the dataset as it is on disk now, and its key. */
  private async fresh(slice: DatasetSlice): Promise<{ key: string; slice: DatasetSlice }> {
    const fresh = (await openDataset(slice.dataset.root)).slice(slice.options);
    const id = hash({ format: CACHE_FORMAT, schema: SCHEMA_VERSION, root: slice.dataset.root, slice: sliceIdentity(slice.options) }).slice(0, 16);
    const content = hash(fresh.files().map((f) => [f.path, f.size, f.mtimeMs])).slice(0, 16);
    return { key: `${id}-${content}`, slice: fresh };
  }

  /** The tables of a slice, from the cache when its files have not changed, else read and cached. */
  async tables(slice: DatasetSlice): Promise<CachedSlice> {
    const { key, slice: fresh } = await this.fresh(slice);
    const path = join(this.dir, key);
    const buffers: ArrayBuffer[] = [];
    const cached = await readIpcTables(path, key, this.pool, buffers);
    const release = (): void => this.pool.give(...buffers.splice(0));
    if (cached) return { tables: cached, hit: true, path, key, release };
    release(); // an incomplete entry may have taken some
    const tables = await fresh.toTables();
    await this.store(key, slice, tables);
    return { tables, hit: false, path, key, release: () => undefined };
  }

  /** The slice as one time-ordered stream across kinds, served from the cache. */
  async *batches(slice: DatasetSlice): AsyncGenerator<KindBatch> {
    const { tables } = await this.tables(slice);
    yield* tablesToStream(tables, slice.options.batchRows);
  }

  /** Remove every cached entry. */
  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private async store(key: string, slice: DatasetSlice, tables: Record<EventKind, Table>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${key}-${process.pid}-${Date.now()}.tmp`);
    const manifest: Manifest = {
      format: CACHE_FORMAT,
      key,
      root: slice.dataset.root,
      slice: sliceIdentity(slice.options),
      rows: Object.fromEntries(EVENT_KINDS.map((k) => [k, tables[k].numRows])) as Record<EventKind, number>,
    };
    await writeIpcTables(tmp, tables);
    await writeFile(join(tmp, MANIFEST), JSON.stringify(manifest, null, 2));
    try {
      await rename(tmp, join(this.dir, key));
    } catch {
      // another process cached the same content first
      await rm(tmp, { recursive: true, force: true });
    }
    // entries of the same slice over older content are stale
    const prefix = key.slice(0, key.indexOf('-') + 1);
    for (const name of await readdir(this.dir)) {
      if (name.startsWith(prefix) && name !== key) await rm(join(this.dir, name), { recursive: true, force: true });
    }
  }
}

/** Write one IPC file per kind (`{kind}.arrow`) into a folder. */
export async function writeIpcTables(dir: string, tables: Record<EventKind, Table>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const kind of EVENT_KINDS) {
    await writeFile(join(dir, `${kind}.arrow`), tableToIPC(tables[kind], 'file'));
  }
}

/**
 * Read the tables of a cache entry written by {@link writeIpcTables}; `null` when the entry is
 * missing, incomplete or (given `key`) of another key. With a `pool`, the files are read into
 * its buffers, and the buffers used are pushed onto `taken` for the caller to give back.
 */
export async function readIpcTables(dir: string, key?: string, pool?: BufferPool, taken: ArrayBuffer[] = []): Promise<Record<EventKind, Table> | null> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return null;
  }
  if (manifest.format !== CACHE_FORMAT || (key !== undefined && manifest.key !== key)) return null;
  const out = {} as Record<EventKind, Table>;
  for (const kind of EVENT_KINDS) {
    let bytes: Uint8Array;
    try {
      bytes = pool ? await pool.readFile(join(dir, `${kind}.arrow`)) : await readFile(join(dir, `${kind}.arrow`));
    } catch {
      return null;
    }
    if (pool) taken.push(bytes.buffer as ArrayBuffer);
    const t = tableFromIPC(bytes);
    out[kind] = t.numRows === 0 ? new Table(eventSchema(kind)) : new Table(t.batches.map((b) => normalizeBatch(kind, b)));
  }
  return out;
}

/** The rows of per-kind tables (each in time order) as one time-ordered stream. */
export function tablesToStream(tables: Record<EventKind, Table>, batchRows?: number): AsyncGenerator<KindBatch> {
  const sources: MergeSource[] = EVENT_KINDS.filter((k) => tables[k].numRows > 0).map((kind) => ({
    kind,
    symbol: '',
    startTs: -Infinity,
    open: () => each(tables[kind].batches),
  }));
  return mergeSources(sources, { batchRows });
}

async function* each(batches: readonly RecordBatch[]): AsyncGenerator<RecordBatch> {
  yield* batches;
}
