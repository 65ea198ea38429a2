/**
 * Parquet files of events through parquet-wasm (Rust's `parquet` crate compiled to
 * WebAssembly): zstd, row groups of 128k rows, the Arrow schema with our kind metadata kept in
 * the file, so DuckDB, Polars and pandas read the same files and we can tell what one holds.
 *
 * Writing streams: batches go to the wasm writer as they come (`transformParquetStream`) and
 * each finished row group reaches the file at once, so a part of any size is written in the
 * memory of about two row groups. Reading goes one row group at a time.
 *
 * Encodings are chosen for the data: times and ids are smooth 8-byte floats that dictionaries
 * do not help, so they are written with BYTE_STREAM_SPLIT (the bytes of each position grouped,
 * which zstd then squeezes) and no dictionary; prices and sizes sit on a tick grid and repeat,
 * so they keep the dictionary. On Binance trades this makes files about a third the size of
 * the defaults and reading about twice as fast.
 *
 * @see https://parquet.apache.org/docs/file-format/
 * @see https://parquet.apache.org/docs/file-format/data-pages/encodings/#byte-stream-split-byte_stream_split--9
 * @see https://kylebarron.dev/parquet-wasm/
 */
import { constants, openAsBlob } from 'node:fs';
import { access, open as openFile, type FileHandle } from 'node:fs/promises';
import { RecordBatch, Table, tableFromIPC, tableToIPC, type Schema } from 'apache-arrow';
import { parseRecordBatch } from 'arrow-js-ffi';
import * as pq from 'parquet-wasm';
import type { KindBatch } from '../core/batch.js';
import { UserInputError } from '../core/errors.js';
import type { EventKind } from '../core/events.js';
import { KIND_METADATA_KEY, kindOfSchema } from '../core/schema.js';
import { normalizeBatch } from './batch-ops.js';
import { fileError } from './lines.js';
import { newReadStats, type ReadOptions } from './source.js';

/** Rows per row group: large enough for good compression, small enough to stream. */
export const DEFAULT_ROW_GROUP_ROWS = 65_536;
/**
 * Bytes of Arrow data per row group at most (default 16 MiB). Depth rows carry level lists
 * (a REST snapshot holds 1,000 levels a side), so a row count alone would let one row group
 * of depth take hundreds of megabytes in the writer, several times over (the batches, their
 * IPC copy into wasm, the encoder's buffers) — and wasm memory never shrinks.
 */
export const DEFAULT_ROW_GROUP_BYTES = 16 * 1024 * 1024;

/** Options of {@link ParquetWriter}. */
export interface ParquetWriteOptions {
  /** Rows per row group at most (default {@link DEFAULT_ROW_GROUP_ROWS}). */
  rowGroupRows?: number;
  /** Arrow bytes per row group at most (default {@link DEFAULT_ROW_GROUP_BYTES}). */
  rowGroupBytes?: number;
}

/**
 * Rows per row group for batches of this size: `rowGroupRows`, fewer when the rows are so wide
 * that `rowGroupBytes` comes first (but not under 1,024 rows, for compression's sake).
 */
export function rowGroupRowsFor(bytes: number, rows: number, rowGroupRows: number, rowGroupBytes: number): number {
  if (rows <= 0 || bytes <= 0) return rowGroupRows;
  const fit = Math.floor(rowGroupBytes / (bytes / rows));
  return Math.min(rowGroupRows, Math.max(fit, 1024));
}

/** Columns written with BYTE_STREAM_SPLIT and no dictionary: times and ids. */
const SPLIT_COLUMNS = new Set(['ts', 'recvTs', 'id', 'firstId', 'lastId', 'updateId', 'firstUpdateId', 'lastUpdateId', 'prevUpdateId', 'nextFundingTime']);

function writerProperties(schema: Schema, rowGroupRows: number): pq.WriterProperties {
  let b = new pq.WriterPropertiesBuilder()
    .setCompression(pq.Compression.ZSTD)
    .setMaxRowGroupSize(rowGroupRows)
    .setCreatedBy('ofi-backtest (parquet-wasm)');
  for (const f of schema.fields) {
    if (SPLIT_COLUMNS.has(f.name) && String(f.type) === 'Float64') {
      b = b.setColumnDictionaryEnabled(f.name, false).setColumnEncoding(f.name, pq.Encoding.BYTE_STREAM_SPLIT);
    }
  }
  return b.build();
}

/** Move apache-arrow batches into wasm memory (Arrow IPC is the bridge). */
function toWasmBatches(batches: readonly RecordBatch[]): pq.RecordBatch[] {
  const table = pq.Table.fromIPCStream(tableToIPC(new Table(batches), 'stream'));
  try {
    return table.recordBatches();
  } finally {
    table.free();
  }
}

/**
 * Streams record batches of one schema into a Parquet file. Batches are gathered to a row
 * group in JavaScript, handed to the wasm writer, and the bytes of each finished row group are
 * written to the file while the next one gathers, so memory stays at about two row groups.
 * `close()` must be awaited; without it the file is incomplete (which is why the dataset
 * writer writes under a temporary name).
 *
 * @example
 * const w = new ParquetWriter('trades.parquet', eventSchema('trade'));
 * await w.write(batch);
 * const { rows, bytes } = await w.close();
 */
export class ParquetWriter {
  private rowGroupRows: number;
  private readonly rowGroupBytes: number;
  private pending: RecordBatch[] = [];
  private pendingRows = 0;
  private pendingBytes = 0;
  private controller: ReadableStreamDefaultController<pq.RecordBatch> | null = null;
  private pulled: (() => void) | null = null;
  private pump: Promise<number> | null = null;
  private failure: unknown = null;
  private closed = false;
  /** Rows written so far. */
  rows = 0;

  constructor(
    readonly path: string,
    readonly schema: Schema,
    options: ParquetWriteOptions = {},
  ) {
    this.rowGroupRows = options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
    this.rowGroupBytes = options.rowGroupBytes ?? DEFAULT_ROW_GROUP_BYTES;
  }

  /** Add a batch (of this writer's schema). Resolves when it is safe to write the next. */
  async write(batch: RecordBatch): Promise<void> {
    if (this.closed) throw new Error(`${this.path}: write after close`);
    if (this.failure) throw this.failure;
    if (batch.numRows === 0) return;
    this.pending.push(batch);
    this.pendingRows += batch.numRows;
    this.pendingBytes += batch.data.byteLength;
    this.rows += batch.numRows;
    if (this.pendingRows >= this.rowGroupRows || this.pendingBytes >= this.rowGroupBytes) await this.push();
  }

  /** Finish the file: the last row group and the footer. */
  async close(): Promise<{ rows: number; bytes: number }> {
    if (this.closed) throw new Error(`${this.path}: closed twice`);
    this.closed = true;
    if (this.rows === 0) {
      // no stream was started: write a file with the schema and no rows
      const table = pq.Table.fromIPCStream(tableToIPC(new Table(this.schema), 'stream'));
      const bytes = pq.writeParquet(table, writerProperties(this.schema, this.rowGroupRows));
      const fh = await openFile(this.path, 'w');
      try {
        await fh.write(bytes);
      } finally {
        await fh.close();
      }
      return { rows: 0, bytes: bytes.length };
    }
    if (this.pendingRows > 0) await this.push();
    this.controller!.close();
    const bytes = await this.pump!;
    return { rows: this.rows, bytes };
  }

  /** Give up: stop the wasm stream and close the file, leaving whatever was written. */
  async abort(): Promise<void> {
    this.closed = true;
    this.pending = [];
    if (this.controller) {
      this.controller.error(new Error('aborted'));
      await this.pump?.catch(() => undefined);
    }
  }

  private start(): void {
    const stream = new ReadableStream<pq.RecordBatch>(
      {
        start: (c) => {
          this.controller = c;
        },
        pull: () => {
          const p = this.pulled;
          this.pulled = null;
          p?.();
        },
      },
      { highWaterMark: 1 },
    );
    // the row-group size is fixed when the stream starts, from the width of the first rows
    this.rowGroupRows = rowGroupRowsFor(this.pendingBytes, this.pendingRows, this.rowGroupRows, this.rowGroupBytes);
    const props = writerProperties(this.schema, this.rowGroupRows);
    this.pump = (async () => {
      let fh: FileHandle | null = null;
      let bytes = 0;
      try {
        fh = await openFile(this.path, 'w');
        const out = await pq.transformParquetStream(stream, props);
        for await (const chunk of out as unknown as AsyncIterable<Uint8Array>) {
          await fh.write(chunk);
          bytes += chunk.length;
        }
        return bytes;
      } catch (err) {
        this.failure = err;
        this.pulled?.();
        throw err;
      } finally {
        await fh?.close();
      }
    })();
    this.pump.catch(() => undefined);
  }

  private async push(): Promise<void> {
    if (!this.controller) this.start();
    const batches = this.pending;
    this.pending = [];
    this.pendingRows = 0;
    this.pendingBytes = 0;
    for (const wb of toWasmBatches(batches)) this.controller!.enqueue(wb);
    // wait until the wasm writer has taken what it was given: one row group in flight at most
    while ((this.controller!.desiredSize ?? 1) <= 0 && !this.failure) {
      await new Promise<void>((resolve) => {
        this.pulled = resolve;
      });
    }
    if (this.failure) throw this.failure;
  }
}

/** Write batches of one schema to a new Parquet file. */
export async function writeParquet(
  path: string,
  schema: Schema,
  batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>,
  options: ParquetWriteOptions = {},
): Promise<{ rows: number; bytes: number }> {
  const w = new ParquetWriter(path, schema, options);
  for await (const b of batches) await w.write(b);
  return w.close();
}

/**
 * A record batch decoded by parquet-wasm, copied out of the wasm memory into an Arrow JS batch
 * through the Arrow C data interface (`arrow-js-ffi`): one copy of each buffer, where the IPC
 * path (`intoIPCStream` then `tableFromIPC`) writes the batch into an IPC stream inside wasm,
 * copies the stream out and parses it (0.65 against 0.76 s of CPU to decode the ×11 bench
 * dataset). The memory is read after `intoFFI` (which may grow it) and the FFI structs freed.
 *
 * @see https://arrow.apache.org/docs/format/CDataInterface.html
 * @see https://github.com/kylebarron/arrow-js-ffi
 */
function fromWasm(wasm: pq.RecordBatch): RecordBatch {
  const ffi = wasm.intoFFI();
  try {
    return parseRecordBatch(pq.wasmMemory().buffer, ffi.arrayAddr(), ffi.schemaAddr(), true) as unknown as RecordBatch;
  } finally {
    ffi.free();
  }
}

/** Options of {@link readParquet}. */
export interface ParquetReadOptions extends ReadOptions {
  /** Read only these columns (projection); the batches then hold just these. */
  columns?: string[];
}

/** What a Parquet file holds, from its footer alone. */
export interface ParquetInfo {
  kind: EventKind | null;
  schema: Schema;
  numRows: number;
  /** Rows of each row group. */
  rowGroupRows: number[];
}

async function openParquet(path: string): Promise<pq.ParquetFile> {
  let blob: Blob;
  try {
    await access(path, constants.R_OK);
    blob = await openAsBlob(path);
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    return await pq.ParquetFile.fromFile(blob);
  } catch (err) {
    throw new UserInputError(`${path}: not a readable Parquet file (${(err as Error)?.message ?? String(err)})`, 'E_PARQUET');
  }
}

function arrowSchemaOf(file: pq.ParquetFile): Schema {
  return tableFromIPC(file.schema().intoIPCStream()).schema;
}

/** The kind, schema and row counts of a Parquet file, without reading its data. */
export async function parquetInfo(path: string): Promise<ParquetInfo> {
  const file = await openParquet(path);
  try {
    const schema = arrowSchemaOf(file);
    const meta = file.metadata();
    const rowGroupRows = meta.rowGroups().map((rg) => rg.numRows());
    return { kind: kindOfSchema(schema), schema, numRows: rowGroupRows.reduce((a, b) => a + b, 0), rowGroupRows };
  } finally {
    file.free();
  }
}

/**
 * Events of a Parquet file, a row group (or `batchRows` rows) at a time, as apache-arrow batches under the kind's
 * own schema (or just the projected columns). The kind comes from the schema metadata our
 * writer stores, or from the columns of a file written by another tool.
 *
 * @example
 * for await (const { kind, batch } of readParquet('part-1723161256299.parquet', { columns: ['ts', 'price'] })) …
 */
export async function* readParquet(path: string, options: ParquetReadOptions = {}): AsyncGenerator<KindBatch> {
  const stats = options.stats ?? newReadStats();
  const file = await openParquet(path);
  try {
    const schema = arrowSchemaOf(file);
    const kind = kindOfSchema(schema);
    if (!kind) {
      throw new UserInputError(`${options.name ?? path}: not a file of events (no "${KIND_METADATA_KEY}" metadata and no known set of columns)`, 'E_PARQUET');
    }
    if (options.columns) {
      const names = new Set(schema.fields.map((f) => f.name));
      const missing = options.columns.filter((c) => !names.has(c));
      if (missing.length) throw new UserInputError(`${options.name ?? path}: no column ${missing.map((m) => `"${m}"`).join(', ')}; it has ${[...names].join(', ')}`);
    }
    const groups = file.metadata().rowGroups().map((rg) => rg.numRows());
    if (groups.every((n) => n === 0)) return;
    // the stream decodes a row group per batch (or cuts it at batchRows); it was the fastest
    // and steadiest of parquet-wasm's paths (whole file, row group by row group, stream)
    const readOpts: pq.ReaderOptions = { batchSize: options.batchRows ?? Math.max(...groups) };
    if (options.columns) readOpts.columns = options.columns;
    const stream = (await file.stream(readOpts)) as unknown as AsyncIterable<pq.RecordBatch>;
    for await (const wasm of stream) {
      const raw = fromWasm(wasm);
      const batch = options.columns ? raw : normalizeBatch(kind, raw);
      stats.lines += batch.numRows;
      stats.events[kind] += batch.numRows;
      yield { kind, batch };
    }
  } finally {
    file.free();
  }
}
