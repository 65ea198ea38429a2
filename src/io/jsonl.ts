/**
 * JSON Lines of events: one event object a line, exactly as `batchToEvents` gives it
 * (`{"type":"trade","ts":…,"recvTs":…,"symbol":"BTCUSDT",…}`), plain or gzip. The format any
 * tool can grep, diff and load (`pandas.read_json(lines=True)`, `duckdb read_json`), and the
 * simplest interchange with programs that do not speak Arrow.
 *
 * JSON has no NaN: a value the source does not carry is written as `null` and read back as
 * `NaN`. `-0` is written as `-0` so a round trip is exact.
 *
 * @see https://jsonlines.org/
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createGzip, type Gzip } from 'node:zlib';
import type { Data, RecordBatch } from 'apache-arrow';
import { BatchBuilder, type KindBatch } from '../core/batch.js';
import { rejectRecord, type RejectReason } from '../core/errors.js';
import { EVENT_KINDS, type EventKind, type EventOf } from '../core/events.js';
import { EVENT_SCHEMAS } from '../core/event-schemas.js';
import { COLUMNS, type ColumnSpec } from '../core/schema.js';
import { readLineChunks } from './lines.js';
import { countSkip, newReadStats, reject, type ReadOptions } from './source.js';

// ---- reading --------------------------------------------------------------------------

/**
 * Events of a JSONL file (plain or gzip, told by its magic bytes), batched per kind.
 * A line that is not JSON, names an unknown `type`, or lacks a field or has one of the wrong
 * type is refused with its file, line and field; blank lines are counted as skipped.
 *
 * @example
 * for await (const { kind, batch } of readJsonl('events.jsonl.gz')) console.log(kind, batch.numRows);
 */
export async function* readJsonl(path: string, options: ReadOptions = {}): AsyncGenerator<KindBatch> {
  const name = options.name ?? path;
  const stats = options.stats ?? newReadStats();
  const rows = options.batchRows;
  const builders = {
    depth: new BatchBuilder('depth', rows),
    quote: new BatchBuilder('quote', rows),
    trade: new BatchBuilder('trade', rows),
    mark: new BatchBuilder('mark', rows),
  } as { [K in EventKind]: BatchBuilder<K> };
  const scratch = newScratch();
  for await (const chunk of readLineChunks(path)) {
    const { lines, firstLine } = chunk;
    const ready: KindBatch[] = [];
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!;
      stats.lines++;
      if (isBlank(text)) {
        countSkip(stats, 'blank');
        continue;
      }
      const lineNo = firstLine + i;
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (err) {
        reject(options, stats, rejectRecord(name, lineNo, 'bad-json', `not JSON: ${(err as Error).message}`, text));
        continue;
      }
      const type = typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? (obj as { type?: unknown }).type : undefined;
      if (type !== 'trade' && type !== 'quote' && type !== 'depth' && type !== 'mark') {
        const what = type === undefined ? 'no "type" field' : `unknown event type ${JSON.stringify(type)}`;
        reject(options, stats, rejectRecord(name, lineNo, type === undefined ? 'missing-field' : 'unknown-message', `${what}; expected one of ${EVENT_KINDS.join(', ')}`, text, 'type'));
        continue;
      }
      let event: EventOf<typeof type> | null = fill(type, obj as Record<string, unknown>, scratch[type]);
      if (!event) {
        const parsed = EVENT_SCHEMAS[type].safeParse(obj);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const field = issue?.path.map(String).join('.') ?? '';
          const missing = issue !== undefined && valueAt(obj, issue.path) === undefined;
          const reason: RejectReason = missing ? 'missing-field' : numericField(type, field) ? 'bad-number' : 'bad-value';
          const message = missing ? `missing field "${field}"` : `${issue?.message ?? 'invalid'}, got ${JSON.stringify(valueAt(obj, issue?.path ?? []))}`;
          reject(options, stats, rejectRecord(name, lineNo, reason, message, text, field || undefined));
          continue;
        }
        event = parsed.data as EventOf<typeof type>;
      }
      const b = builders[type] as BatchBuilder;
      b.append(event);
      stats.events[type]++;
      if (b.full) ready.push({ kind: type, batch: b.flush()! });
    }
    yield* ready;
  }
  for (const kind of EVENT_KINDS) {
    const batch = builders[kind].flush();
    if (batch) yield { kind, batch };
  }
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let v = obj;
  for (const k of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function numericField(kind: EventKind, field: string): boolean {
  const top = field.split('.')[0];
  const spec = COLUMNS[kind].find((c) => c.name === top);
  return spec?.type === 'f64' || spec?.type === 'list_f64';
}

type Scratch = { [K in EventKind]: Record<string, unknown> };

function newScratch(): Scratch {
  return { depth: { type: 'depth' }, quote: { type: 'quote' }, trade: { type: 'trade' }, mark: { type: 'mark' } };
}

/**
 * The fast path: copy a parsed line into the kind's scratch event, or `null` if any field is
 * missing or of the wrong type (the zod schema then explains which). Accepts exactly what
 * `EVENT_SCHEMAS` accepts; the tests check the two agree.
 */
function fill<K extends EventKind>(kind: K, obj: Record<string, unknown>, out: Record<string, unknown>): EventOf<K> | null {
  const specs = COLUMNS[kind];
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const v = obj[spec.name];
    switch (spec.type) {
      case 'f64':
        if (typeof v === 'number') out[spec.name] = v;
        else if (v === null && spec.name !== 'ts') out[spec.name] = Number.NaN;
        else return null;
        break;
      case 'i8':
        if (v !== 'buy' && v !== 'sell') return null;
        out[spec.name] = v;
        break;
      case 'bool':
        if (typeof v !== 'boolean') return null;
        out[spec.name] = v;
        break;
      case 'utf8':
        if (typeof v !== 'string' || (spec.name === 'symbol' && v.length === 0)) return null;
        out[spec.name] = v;
        break;
      case 'list_f64': {
        if (!Array.isArray(v)) return null;
        let copy: number[] | null = null;
        for (let j = 0; j < v.length; j++) {
          const x: unknown = v[j];
          if (typeof x === 'number') {
            if (copy) copy[j] = x;
          } else if (x === null) {
            copy ??= v.slice(0, j) as number[];
            copy[j] = Number.NaN;
          } else return null;
        }
        out[spec.name] = copy ?? v;
        break;
      }
    }
  }
  return out as unknown as EventOf<K>;
}

// ---- writing --------------------------------------------------------------------------

/** Options of {@link JsonlWriter}. */
export interface JsonlWriterOptions {
  /** Append to an existing file instead of replacing it. */
  append?: boolean;
  /** Gzip the output (default: when the path ends in `.gz`). */
  gzip?: boolean;
}

/**
 * Appends tagged batches to a JSONL file, one event a line, serialised straight from the
 * columns (no event objects). `write` resolves once the text is handed to the file stream and
 * waits when the stream is full, so memory stays bounded however much is written.
 *
 * @example
 * const w = new JsonlWriter('out.jsonl');
 * await w.write({ kind: 'trade', batch });
 * await w.close();
 */
export class JsonlWriter {
  private readonly file: WriteStream;
  private readonly gzip: Gzip | null;
  private readonly done: Promise<void>;
  private failure: Error | null = null;
  /** Events written so far. */
  rows = 0;

  constructor(
    readonly path: string,
    options: JsonlWriterOptions = {},
  ) {
    this.file = createWriteStream(path, { flags: options.append ? 'a' : 'w' });
    this.gzip = (options.gzip ?? path.endsWith('.gz')) ? createGzip() : null;
    if (this.gzip) this.gzip.pipe(this.file);
    this.done = new Promise((resolve, rejectDone) => {
      this.file.on('close', resolve);
      const fail = (err: Error) => {
        this.failure = err;
        rejectDone(err);
      };
      this.file.on('error', fail);
      this.gzip?.on('error', fail);
    });
    this.done.catch(() => undefined);
  }

  /** Write the rows of one batch. The batch must have all the columns of its kind. */
  async write(kb: KindBatch): Promise<void> {
    if (this.failure) throw this.failure;
    const out = this.gzip ?? this.file;
    for (const text of serializeBatch(kb.kind, kb.batch)) {
      if (!out.write(text)) await once(out, 'drain');
      if (this.failure) throw this.failure;
    }
    this.rows += kb.batch.numRows;
  }

  /** Flush and close the file. */
  async close(): Promise<void> {
    (this.gzip ?? this.file).end();
    await this.done;
  }
}

/** Write tagged batches to a new JSONL file. */
export async function writeJsonl(path: string, batches: Iterable<KindBatch> | AsyncIterable<KindBatch>, options: JsonlWriterOptions = {}): Promise<number> {
  const w = new JsonlWriter(path, options);
  for await (const kb of batches) await w.write(kb);
  await w.close();
  return w.rows;
}

/** Characters of JSON text per chunk handed to the file stream. */
const CHUNK_CHARS = 1 << 20;

/** JSON text of the rows of a batch, in chunks of whole lines. */
export function* serializeBatch(kind: EventKind, batch: RecordBatch): Generator<string> {
  const cols = COLUMNS[kind].map((spec) => columnWriter(spec, batch));
  const head = `{"type":"${kind}"`;
  let text = '';
  for (let r = 0; r < batch.numRows; r++) {
    let line = head;
    for (let i = 0; i < cols.length; i++) line += cols[i]!(r);
    text += line + '}\n';
    if (text.length >= CHUNK_CHARS) {
      yield text;
      text = '';
    }
  }
  if (text.length > 0) yield text;
}

function num(v: number): string {
  if (Number.isFinite(v)) return v === 0 && 1 / v < 0 ? '-0' : String(v);
  return 'null';
}

function isNull(d: Data, i: number): boolean {
  if (d.nullCount === 0 || !d.nullBitmap) return false;
  const b = d.offset + i;
  return ((d.nullBitmap[b >> 3]! >> (b & 7)) & 1) === 0;
}

/**
 * A function giving `,"name":value` of row `r` of one column. Arrow JS has already cut the
 * values and value offsets of a sliced column to the slice; bits still count from `offset`.
 */
function columnWriter(spec: ColumnSpec, batch: RecordBatch): (r: number) => string {
  const vec = batch.getChild(spec.name);
  if (!vec) throw new Error(`cannot write JSONL: the batch lacks column "${spec.name}"`);
  const d = vec.data[0] as Data;
  const key = `,${JSON.stringify(spec.name)}:`;
  switch (spec.type) {
    case 'f64': {
      const v = d.values as Float64Array;
      return (r) => key + (isNull(d, r) ? 'null' : num(v[r]!));
    }
    case 'i8': {
      const v = d.values as Int8Array;
      return (r) => key + (v[r] === 1 ? '"buy"' : '"sell"');
    }
    case 'bool': {
      const v = d.values as Uint8Array;
      return (r) => {
        const b = d.offset + r;
        return key + ((v[b >> 3]! >> (b & 7)) & 1 ? 'true' : 'false');
      };
    }
    case 'utf8': {
      // symbols and print kinds repeat: decode and quote a value only when its bytes change
      const offs = d.valueOffsets as Int32Array;
      const bytes = d.values as Uint8Array;
      const decoder = new TextDecoder();
      let ps = -1;
      let pe = -1;
      let prev = '';
      return (r) => {
        const s = offs[r]!;
        const e = offs[r + 1]!;
        if (!(e - s === pe - ps && sameBytes(bytes, s, ps, e - s))) {
          prev = key + JSON.stringify(decoder.decode(bytes.subarray(s, e)));
          ps = s;
          pe = e;
        }
        return prev;
      };
    }
    case 'list_f64': {
      const offs = d.valueOffsets as Int32Array;
      const child = d.children[0]!;
      const v = child.values as Float64Array;
      return (r) => {
        const s = offs[r]!;
        const e = offs[r + 1]!;
        let t = key + '[';
        for (let j = s; j < e; j++) t += (j > s ? ',' : '') + (isNull(child, j) ? 'null' : num(v[j]!));
        return t + ']';
      };
    }
  }
}

function sameBytes(b: Uint8Array, a0: number, b0: number, len: number): boolean {
  if (b0 < 0) return false;
  if (a0 === b0) return true;
  for (let k = 0; k < len; k++) if (b[a0 + k] !== b[b0 + k]) return false;
  return true;
}
