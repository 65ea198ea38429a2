/**
 * Feature rows to a file: Parquet (`.parquet`, through the streaming {@link ParquetWriter}) or
 * JSONL (`.jsonl`, `.jsonl.gz`), chosen by the file's extension. Rows arrive as blocks of typed
 * columns (`feature-columns.ts`), so nothing is built per row but the JSON text. The file is
 * written under a temporary name and renamed when complete: a reader never sees half of it.
 *
 * Parquet keeps `NaN` as a value; JSONL writes a number without a value (`NaN`) as `null`, as
 * JSON has no NaN. `div_type` is a nullable string in both.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { basename } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import { Field, Float64, Int8, makeData, RecordBatch, Schema, Struct, Utf8, type Data, type DataType } from 'apache-arrow';
import { utf8Data } from '../core/batch.js';
import { UserInputError } from '../core/errors.js';
import type { FeatureColumn, FeatureColumnValues } from '../microstructure/feature-columns.js';
import { ParquetWriter } from '../io/parquet.js';

/** Output formats of feature files. */
export type FeatureFileFormat = 'parquet' | 'jsonl';

/** The format a path's extension asks for; a one-line error naming the path for any other. */
export function featureFormatOf(path: string): FeatureFileFormat {
  const name = basename(path).toLowerCase();
  if (name.endsWith('.parquet')) return 'parquet';
  if (name.endsWith('.jsonl') || name.endsWith('.jsonl.gz')) return 'jsonl';
  throw new UserInputError(`--out ${path}: expected a file name ending in .parquet, .jsonl or .jsonl.gz`, 'E_OPTION');
}

function arrowTypeOf(c: FeatureColumn): DataType {
  return c.type === 'f64' ? new Float64() : c.type === 'i8' ? new Int8() : new Utf8();
}

/** The Arrow schema of feature columns, with string metadata (the fingerprint, the bar). */
export function featureSchema(columns: readonly FeatureColumn[], metadata: Record<string, string> = {}): Schema {
  return new Schema(
    columns.map((c) => new Field(c.name, arrowTypeOf(c), c.nullable)),
    new Map(Object.entries(metadata)),
  );
}

function columnData(c: FeatureColumn, v: FeatureColumnValues, n: number): Data {
  if (c.type === 'f64') return makeData({ type: new Float64(), length: n, nullCount: 0, data: v as Float64Array });
  if (c.type === 'i8') return makeData({ type: new Int8(), length: n, nullCount: 0, data: v as Int8Array });
  const strings = v as (string | null)[];
  const base = utf8Data(strings.map((s) => s ?? ''));
  let nulls = 0;
  const bitmap = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    if (strings[i] === null) nulls++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  }
  if (nulls === 0) return base;
  return makeData({ type: new Utf8(), length: n, nullCount: nulls, nullBitmap: bitmap, valueOffsets: base.valueOffsets, data: base.values });
}

/** A block of feature columns as an Arrow record batch of the schema. */
export function featureBatch(schema: Schema, columns: readonly FeatureColumn[], values: readonly FeatureColumnValues[], n: number): RecordBatch {
  const children = columns.map((c, i) => columnData(c, values[i]!, n));
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children }));
}

function jsonNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

/**
 * Writes blocks of feature rows to `path` (format by extension), atomically.
 *
 * @example
 * const w = new FeatureWriter('features.parquet', featureColumns('bar'));
 * await w.write(builder.take());
 * await w.close();
 */
export class FeatureWriter {
  readonly format: FeatureFileFormat;
  readonly schema: Schema;
  private readonly tmp: string;
  private parquet: ParquetWriter | null = null;
  private file: WriteStream | null = null;
  private gzip: Gzip | null = null;
  private done: Promise<void> | null = null;
  private failure: Error | null = null;
  private readonly keys: string[];
  /** Rows written so far. */
  rows = 0;

  constructor(
    readonly path: string,
    readonly columns: readonly FeatureColumn[],
    metadata: Record<string, string> = {},
  ) {
    this.format = featureFormatOf(path);
    this.schema = featureSchema(columns, metadata);
    this.tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    this.keys = columns.map((c, i) => `${i === 0 ? '{' : ','}${JSON.stringify(c.name)}:`);
    if (this.format === 'parquet') this.parquet = new ParquetWriter(this.tmp, this.schema);
    else {
      const file = createWriteStream(this.tmp);
      this.file = file;
      this.gzip = path.toLowerCase().endsWith('.gz') ? createGzip() : null;
      if (this.gzip) this.gzip.pipe(file);
      this.done = new Promise((resolve, reject) => {
        file.on('close', resolve);
        const fail = (err: Error) => {
          this.failure = err;
          reject(err);
        };
        file.on('error', fail);
        this.gzip?.on('error', fail);
      });
      this.done.catch(() => undefined);
    }
  }

  /** Write a block of rows (columns in this writer's order). */
  async write(block: { length: number; values: FeatureColumnValues[] }): Promise<void> {
    const n = block.length;
    if (n === 0) return;
    if (this.parquet) {
      await this.parquet.write(featureBatch(this.schema, this.columns, block.values, n));
      this.rows += n;
      return;
    }
    if (this.failure) throw this.failure;
    const out = this.gzip ?? this.file!;
    const cols = this.columns;
    const keys = this.keys;
    let text = '';
    for (let r = 0; r < n; r++) {
      let line = '';
      for (let c = 0; c < cols.length; c++) {
        const v = block.values[c]!;
        const col = cols[c]!;
        let s: string;
        if (col.type === 'utf8') {
          const x = (v as (string | null)[])[r]!;
          s = x === null ? 'null' : JSON.stringify(x);
        } else s = jsonNumber((v as Float64Array)[r]!);
        line += keys[c] + s;
      }
      text += `${line}}\n`;
      if (text.length >= 1 << 20) {
        if (!out.write(text)) await once(out, 'drain');
        text = '';
      }
    }
    if (text && !out.write(text)) await once(out, 'drain');
    if (this.failure) throw this.failure;
    this.rows += n;
  }

  /** Finish the file and move it into place. */
  async close(): Promise<{ rows: number }> {
    if (this.parquet) await this.parquet.close();
    else {
      (this.gzip ?? this.file!).end();
      await this.done;
    }
    await rename(this.tmp, this.path);
    return { rows: this.rows };
  }

  /** Give up: remove the temporary file. */
  async abort(): Promise<void> {
    if (this.parquet) await this.parquet.abort();
    else {
      (this.gzip ?? this.file!).destroy();
      this.file?.destroy();
    }
    await rm(this.tmp, { force: true });
  }
}
