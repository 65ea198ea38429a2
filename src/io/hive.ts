/**
 * Hive-partitioned event datasets: `{root}/{kind}/symbol={SYM}/date=YYYY-MM-DD/part-{first_ts}.{ext}`,
 * the layout DuckDB (`read_parquet('root/trade/**' , hive_partitioning = true)`), Polars,
 * Spark and pyarrow read as a table with `symbol` and `date` columns. The date is the UTC date
 * of the exchange time `ts`, so a recording that crosses midnight lands in two partitions, and
 * a reader asking for one day opens one directory per symbol.
 *
 * A part is written under a hidden temporary name (`.part-….tmp`, which Hive readers and ours
 * skip) in its final directory and renamed when complete, so a reader never sees half a file;
 * an existing part of the same name is never replaced (`part-{first_ts}-1.parquet` and so on).
 *
 * @see https://duckdb.org/docs/data/partitioning/hive_partitioning
 * @see https://cwiki.apache.org/confluence/display/Hive/LanguageManual+DDL#LanguageManualDDL-PartitionedTables
 */
import { DEFAULT_ROTATE_ROWS, DEFAULT_ROTATE_SEC } from '../core/config/sections.js';
import { mkdir, link, rename, stat, unlink, access } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { f64Column, type KindBatch } from '../core/batch.js';
import { EVENT_KINDS, type EventKind } from '../core/events.js';
import { eventSchema } from '../core/schema.js';
import { DAY_MS, dayToDate } from '../core/time.js';
import { concatRuns, hasKindColumns, symbolCodes, type RowRun } from './batch-ops.js';
import { JsonlWriter } from './jsonl.js';
import { DEFAULT_ROW_GROUP_BYTES, DEFAULT_ROW_GROUP_ROWS, ParquetWriter } from './parquet.js';

/** File formats a dataset can be written in. */
export type DatasetFormat = 'parquet' | 'jsonl';

/** File name extension of each format. */
export const FORMAT_EXT: Record<DatasetFormat, string> = { parquet: 'parquet', jsonl: 'jsonl' };

/**
 * Hive-escape a partition value: characters that would break a path or a `key=value` segment
 * become `%XX`, as Hive itself writes them. Exchange symbols (`BTCUSDT`, `BTCUSD_PERP`) pass
 * unchanged.
 */
export function escapePartitionValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_.\-]/g, (c) =>
    Array.from(new TextEncoder().encode(c), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** The value of an escaped partition segment. */
export function unescapePartitionValue(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Directory of one partition. */
export function partitionDir(root: string, kind: EventKind, symbol: string, date: string): string {
  return join(root, kind, `symbol=${escapePartitionValue(symbol)}`, `date=${date}`);
}

/** File name of a part: `part-{first_ts}.{ext}`, or `part-{first_ts}-{n}.{ext}` for the n-th of that name. */
export function partFileName(firstTs: number, ext: string, n = 0): string {
  const ts = Math.floor(firstTs);
  return n === 0 ? `part-${ts}.${ext}` : `part-${ts}-${n}.${ext}`;
}

const PART_RE = /^part-(-?\d+)(?:-(\d+))?\.(parquet|jsonl|jsonl\.gz|ndjson)$/;

/** The first time and extension of a part file name, or `null` if it is not one of ours. */
export function parsePartFileName(name: string): { firstTs: number; n: number; ext: string } | null {
  const m = PART_RE.exec(name);
  if (!m) return null;
  return { firstTs: Number(m[1]), n: m[2] ? Number(m[2]) : 0, ext: m[3]! };
}

/**
 * True for names readers skip: hidden (`.part-….tmp`, `.DS_Store`) and underscore files
 * (`_SUCCESS`, `_metadata`), the convention Hadoop, Spark and DuckDB share.
 */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_') || name.endsWith('.tmp');
}

/** Options of {@link DatasetWriter}. */
export interface DatasetWriterOptions {
  /** File format of the parts (default `'parquet'`). */
  format?: DatasetFormat;
  /** Rows at most per part (default 4,194,304: 32 row groups). */
  maxRows?: number;
  /**
   * Seconds of exchange time at most between the earliest and latest row of a part (default
   * 3600): a live recording publishes a readable part at least this often.
   */
  maxSec?: number;
  /** Rows per Parquet row group at most (default 65,536). */
  rowGroupRows?: number;
  /** Arrow bytes per row group at most (default 16 MiB): wide depth rows make smaller groups. */
  rowGroupBytes?: number;
}

/** One part written. */
export interface WrittenPart {
  path: string;
  kind: EventKind;
  symbol: string;
  date: string;
  rows: number;
  /** Earliest and latest exchange time in the part (ms). */
  minTs: number;
  maxTs: number;
  bytes: number;
}

/** What a {@link DatasetWriter} wrote. */
export interface WriteSummary {
  root: string;
  format: DatasetFormat;
  files: WrittenPart[];
  /** Rows by kind, symbol and date. */
  rows: Record<EventKind, Record<string, Record<string, number>>>;
  totalRows: number;
}

interface PartSink {
  write(batch: RecordBatch): Promise<void>;
  close(): Promise<unknown>;
  abort(): Promise<void>;
}

/** One part being written: a temporary file and what it holds so far. */
interface OpenPart {
  tmp: string;
  sink: PartSink;
  rows: number;
  minTs: number;
  maxTs: number;
}

/** One partition: its buffered rows and its open part. */
interface Partition {
  kind: EventKind;
  symbol: string;
  date: string;
  dir: string;
  part: OpenPart | null;
  runs: RowRun[];
  runRows: number;
  runBytes: number;
}

let tmpCounter = 0;

/**
 * The partition value Hive writes for a missing one; rows without an exchange time (which no
 * reader of ours produces, but a caller might) go there rather than being dropped.
 */
export const NULL_PARTITION = '__HIVE_DEFAULT_PARTITION__';
const NO_DAY = -1e9;

function dayOf(ts: number): number {
  return Number.isFinite(ts) ? Math.floor(ts / DAY_MS) : NO_DAY;
}

/**
 * Writes tagged batches into a Hive-partitioned dataset. Each batch is cut by symbol and UTC
 * date into slices (no event objects); each partition has one open part, which is closed and
 * published when it reaches `maxRows` rows or spans more than `maxSec` seconds of exchange
 * time, and at `close()`. Parquet parts stream row groups to disk as they fill, so memory
 * stays at a row group or two per open partition.
 *
 * A part's name carries the earliest exchange time it holds (its first row's, for the
 * time-ordered input readers give), so every row of `part-{t}` has `ts >= t` and a reader can
 * skip parts that begin after the window it wants.
 *
 * Without `close()` (a crash, a kill) only hidden `.part-….tmp` files remain, which readers
 * ignore.
 *
 * @example
 * const w = new DatasetWriter('data/btc', { format: 'parquet', maxSec: 3600 });
 * for await (const kb of readCapture('btcusdt_20240808.gz')) await w.write(kb);
 * const summary = await w.close(); // summary.files: the parts, summary.rows[kind][symbol][date]
 */
export class DatasetWriter {
  readonly format: DatasetFormat;
  private readonly maxRows: number;
  private readonly maxMs: number;
  private readonly rowGroupRows: number;
  private readonly rowGroupBytes: number;
  private readonly partitions = new Map<string, Partition>();
  private readonly written: WrittenPart[] = [];
  private closed = false;

  constructor(
    readonly root: string,
    options: DatasetWriterOptions = {},
  ) {
    this.format = options.format ?? 'parquet';
    this.maxRows = options.maxRows ?? DEFAULT_ROTATE_ROWS;
    this.maxMs = (options.maxSec ?? DEFAULT_ROTATE_SEC) * 1000;
    this.rowGroupRows = options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
    this.rowGroupBytes = options.rowGroupBytes ?? DEFAULT_ROW_GROUP_BYTES;
    if (!(this.maxRows >= 1)) throw new RangeError(`maxRows must be at least 1, got ${options.maxRows}`);
    if (!(this.maxMs >= 0)) throw new RangeError(`maxSec must be non-negative, got ${options.maxSec}`);
  }

  /** Add the rows of one batch (all the columns of its kind). */
  async write(kb: KindBatch): Promise<void> {
    if (this.closed) throw new Error('DatasetWriter: write after close');
    const batch = kb.batch;
    if (!hasKindColumns(kb.kind, batch)) {
      throw new Error(`DatasetWriter: a ${kb.kind} batch must have the ${kb.kind} columns (${eventSchema(kb.kind).fields.map((f) => f.name).join(', ')})`);
    }
    const n = batch.numRows;
    if (n === 0) return;
    const ts = f64Column(batch, 'ts');
    const { names, codes } = symbolCodes(batch);
    let from = 0;
    let day = dayOf(ts[0]!);
    for (let i = 1; i <= n; i++) {
      const d = i < n ? dayOf(ts[i]!) : NaN;
      if (i < n && d === day && codes[i] === codes[from]) continue;
      await this.route(kb.kind, names[codes[from]!]!, day, batch, ts, from, i);
      from = i;
      day = d;
    }
  }

  /** Close every open part, publish it, and report what was written. */
  async close(): Promise<WriteSummary> {
    if (this.closed) throw new Error('DatasetWriter: closed twice');
    this.closed = true;
    for (const p of this.partitions.values()) await this.closePart(p);
    await mkdir(this.root, { recursive: true }); // an empty dataset is still a dataset
    const rows = Object.fromEntries(EVENT_KINDS.map((k) => [k, {}])) as WriteSummary['rows'];
    let totalRows = 0;
    for (const f of this.written) {
      const bySymbol = (rows[f.kind][f.symbol] ??= {});
      bySymbol[f.date] = (bySymbol[f.date] ?? 0) + f.rows;
      totalRows += f.rows;
    }
    return { root: this.root, format: this.format, files: [...this.written], rows, totalRows };
  }

  /**
   * Give up: stop every open part and remove its temporary file. Parts already published stay
   * (they are complete). Use it when the input fails half way.
   */
  async abort(): Promise<void> {
    this.closed = true;
    for (const p of this.partitions.values()) {
      const part = p.part;
      p.part = null;
      p.runs = [];
      p.runRows = 0;
      p.runBytes = 0;
      if (!part) continue;
      await part.sink.abort();
      await unlink(part.tmp).catch(() => undefined);
    }
  }

  /** Feed rows `[from, to)` of one symbol and day to their partition, rotating parts as needed. */
  private async route(kind: EventKind, symbol: string, day: number, batch: RecordBatch, ts: Float64Array, from: number, to: number): Promise<void> {
    const key = `${kind}\u0000${symbol}\u0000${day}`;
    let p = this.partitions.get(key);
    if (!p) {
      const date = day === NO_DAY ? NULL_PARTITION : dayToDate(day);
      p = { kind, symbol, date, dir: partitionDir(this.root, kind, symbol, date), part: null, runs: [], runRows: 0, runBytes: 0 };
      this.partitions.set(key, p);
    }
    let at = from;
    while (at < to) {
      const part = p.part ?? (p.part = await this.openPart(p));
      let lo = part.minTs;
      let hi = part.maxTs;
      let i = at;
      const room = this.maxRows - part.rows;
      while (i < to && i - at < room) {
        const t = ts[i]!;
        const nlo = t < lo ? t : lo;
        const nhi = t > hi ? t : hi;
        if (nhi - nlo > this.maxMs && part.rows + (i - at) > 0) break;
        lo = nlo;
        hi = nhi;
        i++;
      }
      if (i > at) {
        part.minTs = lo;
        part.maxTs = hi;
        part.rows += i - at;
        p.runs.push({ batch, from: at, to: i });
        p.runRows += i - at;
        p.runBytes += (batch.data.byteLength * (i - at)) / batch.numRows;
        if (p.runRows >= this.rowGroupRows || p.runBytes >= this.rowGroupBytes) await this.flushRuns(p);
      }
      at = i;
      if (at < to) await this.closePart(p);
    }
  }

  private async openPart(p: Partition): Promise<OpenPart> {
    await mkdir(p.dir, { recursive: true });
    const ext = FORMAT_EXT[this.format];
    const tmp = join(p.dir, `.part-${process.pid}-${Date.now()}-${++tmpCounter}.${ext}.tmp`);
    const sink: PartSink =
      this.format === 'parquet'
        ? new ParquetWriter(tmp, eventSchema(p.kind), { rowGroupRows: this.rowGroupRows, rowGroupBytes: this.rowGroupBytes })
        : new JsonlPartSink(tmp, p.kind);
    return { tmp, sink, rows: 0, minTs: Infinity, maxTs: -Infinity };
  }

  private async flushRuns(p: Partition): Promise<void> {
    if (p.runs.length === 0) return;
    const batch = concatRuns(p.runs, eventSchema(p.kind));
    p.runs = [];
    p.runRows = 0;
    p.runBytes = 0;
    await p.part!.sink.write(batch);
  }

  private async closePart(p: Partition): Promise<void> {
    const part = p.part;
    if (!part) return;
    await this.flushRuns(p);
    p.part = null;
    await part.sink.close();
    const path = await publish(part.tmp, p.dir, Number.isFinite(part.minTs) ? part.minTs : 0, FORMAT_EXT[this.format]);
    const { size } = await stat(path);
    this.written.push({ path, kind: p.kind, symbol: p.symbol, date: p.date, rows: part.rows, minTs: part.minTs, maxTs: part.maxTs, bytes: size });
  }
}

/** The JSONL writer seen as a part sink (each part holds one kind). */
class JsonlPartSink implements PartSink {
  private readonly w: JsonlWriter;
  constructor(
    path: string,
    private readonly kind: EventKind,
  ) {
    this.w = new JsonlWriter(path, { gzip: false });
  }
  write(batch: RecordBatch): Promise<void> {
    return this.w.write({ kind: this.kind, batch });
  }
  close(): Promise<void> {
    return this.w.close();
  }
  abort(): Promise<void> {
    return this.w.close().catch(() => undefined);
  }
}

/**
 * Give a finished temporary file its part name without replacing anything: a hard link fails
 * if the name is taken (then the next suffix is tried), and only then is the temporary name
 * removed. Where hard links are not supported, fall back to check-then-rename.
 */
async function publish(tmp: string, dir: string, firstTs: number, ext: string): Promise<string> {
  for (let n = 0; ; n++) {
    const target = join(dir, partFileName(firstTs, ext, n));
    try {
      await link(tmp, target);
      await unlink(tmp);
      return target;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV' && code !== 'ENOSYS') throw err;
      if (await exists(target)) continue;
      await rename(tmp, target);
      return target;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
