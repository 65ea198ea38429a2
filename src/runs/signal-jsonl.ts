/**
 * Signals as JSON Lines: `signals_{run_id}.jsonl`, one signal object a line, fields in
 * `SIGNAL_FIELDS` order. The file any tool reads (`pandas.read_json(lines=True)`, `duckdb
 * read_json`, `jq`, `grep`), and byte for byte the same for the same signals: numbers are
 * written by `JSON.stringify` (shortest round-trip text; `-0` as `0`; NaN and ±Infinity as
 * `null`, read back as NaN).
 *
 * Durability: lines are buffered and appended with `fs.writeSync` at each flush (see
 * `FlushSchedule`). A flushed line is in the operating system's hands, so it survives the
 * process being killed (not a power cut: there is no fsync). A kill during a flush can leave
 * part of that flush, cut anywhere, even inside a line; {@link readSignalsJsonl} skips and
 * reports such a torn last line, and a sink reopening the file cuts it off before appending.
 *
 * @see https://jsonlines.org/
 */
import { closeSync, createReadStream, ftruncateSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { REJECT_TEXT_MAX, rejectRecord } from '../core/errors.js';
import type { Signal, SignalSink } from '../signals/types.js';
import { fileError, streamLineChunks } from '../io/lines.js';
import { decodeSignal, signalJsonLine } from './signal-columns.js';
import { FlushSchedule, signalFilePath, type SignalSinkOptions } from './signal-sink-base.js';
import { countSkip, newReadStats, reject, type ReadOptions, type ReadStats } from '../io/source.js';

const NEWLINE = 0x0a;

/**
 * Appends signals to `dir/signals_{runId}.jsonl` (the folder must exist).
 *
 * @example
 * const sink = new JsonlSignalSink('out', 'run-1', { flushEvery: 500, flushMs: 250 });
 * sink.write(signal);
 * sink.close(); // out/signals_run-1.jsonl
 */
export class JsonlSignalSink implements SignalSink {
  /** The file written. */
  readonly path: string;
  /** Bytes of a torn last line cut off when an existing file was reopened (0 if none). */
  readonly tornBytesDropped: number;
  private fd: number;
  private size: number;
  /** Buffered lines, UTF-8; reused from flush to flush. */
  private buf = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  private readonly schedule: FlushSchedule;

  constructor(dir: string, runId: string, options: SignalSinkOptions = {}) {
    this.path = signalFilePath(dir, runId, 'jsonl');
    this.schedule = new FlushSchedule(options, () => this.flush());
    try {
      this.fd = openSync(this.path, options.truncate ? 'w' : 'a+');
    } catch (err) {
      throw fileError(this.path, err);
    }
    this.size = fstatSync(this.fd).size;
    this.tornBytesDropped = this.mendTail();
  }

  /**
   * An existing file whose last line lacks its newline was left by a crash mid-flush. A
   * whole line (the cut fell just before `\n`) gets its newline; a torn one is cut off, as
   * `readSignalsJsonl` would skip it. Returns the bytes cut off.
   */
  private mendTail(): number {
    if (this.size === 0) return 0;
    const whole = lastNewlineEnd(this.fd, this.size);
    if (whole === this.size) return 0;
    const tail = Buffer.alloc(this.size - whole);
    readSync(this.fd, tail, 0, tail.length, whole);
    if (parses(tail.toString('utf8'))) {
      writeSync(this.fd, '\n');
      this.size++;
      return 0;
    }
    ftruncateSync(this.fd, whole);
    this.size = whole;
    return tail.length;
  }

  /** Buffer one signal (serialised now, so the caller may reuse the object). */
  write(signal: Signal): void {
    if (this.fd < 0) throw new Error(`${this.path}: signal sink is closed`);
    const line = signalJsonLine(signal);
    // a UTF-16 unit is at most 3 UTF-8 bytes; encoding each line into one buffer as it comes
    // is ~40× cheaper than joining a batch of strings at flush time
    if (this.buf.length - this.used < line.length * 3) this.grow(line.length * 3);
    this.used += this.buf.write(line, this.used, 'utf8');
    this.schedule.wrote(signal.seq);
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + need));
    this.buf.copy(next, 0, 0, this.used);
    this.buf = next;
  }

  /**
   * Append the buffered lines. If the write fails (disk full), the file is cut back to its
   * last whole flush and the lines stay buffered, so a retry neither loses nor repeats them.
   */
  flush(): void {
    this.schedule.raiseTimerError();
    if (this.used === 0 || this.fd < 0) return;
    const { buf, used } = this;
    let off = 0;
    try {
      while (off < used) off += writeSync(this.fd, buf, off, used - off);
    } catch (err) {
      if (off > 0) ftruncateSync(this.fd, this.size);
      throw fileError(this.path, err);
    }
    this.size += used;
    this.used = 0;
    this.schedule.done();
  }

  /** Flush and close the file. */
  close(): void {
    if (this.fd < 0) return;
    this.flush();
    this.schedule.stop();
    closeSync(this.fd);
    this.fd = -1;
  }
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Byte length of the file up to and including its last `\n` (0 if it has none). */
function lastNewlineEnd(fd: number, size: number): number {
  const block = Buffer.alloc(64 * 1024);
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - block.length);
    const n = readSync(fd, block, 0, end - start, start);
    const i = block.subarray(0, n).lastIndexOf(NEWLINE);
    if (i >= 0) return start + i + 1;
    end = start;
  }
  return 0;
}

/** A last line cut short by a crash, skipped by {@link readSignalsJsonl}. */
export interface TornLine {
  /** 1-based line number. */
  line: number;
  /** Its bytes (UTF-8). */
  bytes: number;
  /** Its text, as far as it goes (at most a few kilobytes). */
  text: string;
}

/** What {@link readSignalsJsonl} read. */
export interface SignalsJsonlRead {
  /** The signals, in file order. */
  signals: Signal[];
  /** A torn last line that was skipped (also counted as skipped `torn-last-line`), or null. */
  torn: TornLine | null;
  stats: ReadStats;
}

/**
 * The signals of a JSONL signal file. A line that is not a signal (not JSON, a field missing
 * or of the wrong type) is refused through `options.onReject` with its line and field. The
 * one exception is a last line without its newline that does not parse: a write cut short by
 * a crash, which is skipped and returned as `torn` instead. Blank lines are counted as skipped.
 * Reads the file as it was when the call began, so a sink still appending does not race it.
 *
 * @example
 * const { signals, torn } = await readSignalsJsonl('out/signals_run-1.jsonl');
 * if (torn) console.warn(`line ${torn.line} was cut short by a crash; skipped`);
 */
export async function readSignalsJsonl(path: string, options: ReadOptions = {}): Promise<SignalsJsonlRead> {
  const name = options.name ?? path;
  const stats = options.stats ?? newReadStats();
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = st.size;
  } catch (err) {
    throw fileError(path, err);
  }
  const signals: Signal[] = [];
  let torn: TornLine | null = null;
  if (size === 0) return { signals, torn, stats };
  const terminated = lastByte(path, size) === NEWLINE;
  // a line that is not JSON is held until we know whether it is the last one (torn) or not
  let held: { line: number; text: string; message: string } | null = null;
  let lastLine = 0;
  const refuseHeld = (): void => {
    if (held) reject(options, stats, rejectRecord(name, held.line, 'bad-json', held.message, held.text));
    held = null;
  };
  const stream = createReadStream(path, { start: 0, end: size - 1, highWaterMark: 1 << 20 });
  try {
    for await (const { lines, firstLine } of streamLineChunks(stream)) {
      for (let i = 0; i < lines.length; i++) {
        const text = lines[i]!;
        stats.lines++;
        lastLine = firstLine + i;
        refuseHeld();
        if (text.trim() === '') {
          countSkip(stats, 'blank');
          continue;
        }
        let obj: unknown;
        try {
          obj = JSON.parse(text);
        } catch (err) {
          held = { line: lastLine, text, message: `not JSON: ${(err as Error).message}` };
          continue;
        }
        const s = isObject(obj) ? decodeSignal((c) => obj[c.name], false) : { field: '', message: 'not a JSON object' };
        if ('message' in s) reject(options, stats, rejectRecord(name, lastLine, 'bad-row', s.message, text, s.field || undefined));
        else signals.push(s);
      }
    }
  } catch (err) {
    throw fileError(path, err);
  } finally {
    stream.destroy();
  }
  const last = held as { line: number; text: string; message: string } | null;
  if (last && last.line === lastLine && !terminated) {
    torn = { line: last.line, bytes: Buffer.byteLength(last.text, 'utf8'), text: last.text.slice(0, REJECT_TEXT_MAX) };
    countSkip(stats, 'torn-last-line');
    held = null;
  }
  refuseHeld();
  return { signals, torn, stats };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The last byte of a file of `size` bytes. */
function lastByte(path: string, size: number): number {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0]!;
  } finally {
    closeSync(fd);
  }
}
