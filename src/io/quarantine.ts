/**
 * The quarantine: where refused input lines go, so bad input never vanishes. Each refused
 * line becomes one JSON line `{file,line,reason,field,message,text}` in `_quarantine.jsonl`,
 * which `grep`, `jq`, DuckDB (`read_json('_quarantine.jsonl')`) and {@link readQuarantine}
 * all read; the file names the source file and line, the field, and keeps the line's text.
 *
 * @see https://jsonlines.org/
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { UserInputError, type RejectReason, type RejectRecord, type RejectSink } from '../core/errors.js';

/**
 * Name of the quarantine file inside its directory. The leading underscore keeps it out of
 * dataset listings: Hive tools (and `openDataset`) skip `_` files, as Spark's `_SUCCESS`.
 */
export const QUARANTINE_FILE = '_quarantine.jsonl';

/** Options of {@link QuarantineWriter}. */
export interface QuarantineOptions {
  /** Records kept in memory for the summary (default 5). */
  keep?: number;
  /** Bytes buffered before they are written out (default 256 KiB); memory stays below about this. */
  bufferBytes?: number;
}

/** What a quarantine received. */
export interface QuarantineSummary {
  /** The file written, or null when nothing was refused (no file is created then). */
  path: string | null;
  count: number;
  byReason: Partial<Record<RejectReason, number>>;
  byFile: Record<string, number>;
  /** The first records, in arrival order. */
  first: RejectRecord[];
}

/**
 * Appends reject records to `<dir>/quarantine.jsonl`.
 *
 * The directory and file are created at the first write, so a clean run leaves nothing
 * behind; a run appends to what is there, so several readers of one run can share a directory.
 * Records are buffered and written synchronously once the buffer is full: readers hand
 * rejects to their sink synchronously, and a synchronous write keeps memory bounded without
 * back-pressure (rejects are rare, so this costs nothing on clean data). `close()` writes the rest.
 *
 * @example
 * const q = new QuarantineWriter('out/run-1');
 * for await (const kb of readCapture(path, { onReject: q.sink })) gate.observe(kb, path);
 * q.close().count; // lines refused
 */
export class QuarantineWriter {
  /** The writer as a {@link RejectSink}, to pass as a reader's `onReject`. */
  readonly sink: RejectSink = (rec) => this.write(rec);
  /** Path of the quarantine file (which exists only once something was written); null when kept in memory. */
  readonly path: string | null;
  private readonly keep: number;
  private readonly limit: number;
  private buf: string[] = [];
  private bufBytes = 0;
  private fd: number | null = null;
  private closed = false;
  private n = 0;
  private readonly reasons: Partial<Record<RejectReason, number>> = {};
  private readonly files = new Map<string, number>();
  private readonly firsts: RejectRecord[] = [];

  /**
   * @param dir where `_quarantine.jsonl` goes; `null` keeps only the counts and the first
   *   records (for a check that writes nothing, such as `ofi-backtest dq`).
   */
  constructor(
    readonly dir: string | null,
    options: QuarantineOptions = {},
  ) {
    this.path = dir === null ? null : join(dir, QUARANTINE_FILE);
    this.keep = Math.max(0, options.keep ?? 5);
    this.limit = Math.max(1, options.bufferBytes ?? 256 * 1024);
  }

  /** Records received so far. */
  get count(): number {
    return this.n;
  }

  /** Quarantine one refused line. */
  write(rec: RejectRecord): void {
    if (this.closed) throw new Error(`quarantine ${this.path} is closed`);
    this.n++;
    this.reasons[rec.reason] = (this.reasons[rec.reason] ?? 0) + 1;
    this.files.set(rec.file, (this.files.get(rec.file) ?? 0) + 1);
    if (this.firsts.length < this.keep) this.firsts.push({ ...rec });
    if (this.path === null) return;
    const line = `${JSON.stringify({ file: rec.file, line: rec.line, reason: rec.reason, field: rec.field ?? null, message: rec.message, text: rec.text })}\n`;
    this.buf.push(line);
    this.bufBytes += line.length;
    if (this.bufBytes >= this.limit) this.flush();
  }

  /** Write out what is buffered (creating the directory and file if this is the first write). */
  flush(): void {
    if (this.buf.length === 0 || this.dir === null || this.path === null) return;
    if (this.fd === null) {
      mkdirSync(this.dir, { recursive: true });
      this.fd = openSync(this.path, 'a');
    }
    writeSync(this.fd, this.buf.join(''));
    this.buf = [];
    this.bufBytes = 0;
  }

  /** What was received so far. */
  summary(): QuarantineSummary {
    return {
      path: this.n > 0 ? this.path : null,
      count: this.n,
      byReason: { ...this.reasons },
      byFile: Object.fromEntries(this.files),
      first: this.firsts.map((r) => ({ ...r })),
    };
  }

  /** Write the rest and close the file; returns the summary. Closing twice is harmless. */
  close(): QuarantineSummary {
    if (!this.closed) {
      this.flush();
      if (this.fd !== null) closeSync(this.fd);
      this.fd = null;
      this.closed = true;
    }
    return this.summary();
  }
}

const REASONS = ['bad-json', 'missing-field', 'bad-number', 'bad-value', 'unknown-message', 'bad-row'] as const satisfies readonly RejectReason[];
// Every reject reason must be readable back: this fails to compile when one is missing above.
const allReasons: [Exclude<RejectReason, (typeof REASONS)[number]>] extends [never] ? true : false = true;
void allReasons;

/** One line of a quarantine file. */
export const QuarantineLine = z.object({
  file: z.string(),
  line: z.number().int().positive(),
  reason: z.enum(REASONS),
  field: z.string().nullable().optional(),
  message: z.string(),
  text: z.string(),
});

/**
 * The records of a quarantine file (or of `_quarantine.jsonl` in a directory), in file order;
 * `[]` when the file does not exist, which is what a clean run leaves. A line that is not a
 * quarantine record is an error naming its line.
 */
export async function readQuarantine(path: string): Promise<RejectRecord[]> {
  let file = path;
  let text: string;
  try {
    if ((await fsp.stat(path)).isDirectory()) file = join(path, QUARANTINE_FILE);
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: RejectRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.length === 0) continue;
    let parsed;
    try {
      parsed = QuarantineLine.safeParse(JSON.parse(lines[i]!));
    } catch {
      throw new UserInputError(`${file}:${i + 1}: not JSON`, 'E_QUARANTINE');
    }
    if (!parsed.success) throw new UserInputError(`${file}:${i + 1}: not a quarantine record (${parsed.error.issues[0]?.message})`, 'E_QUARANTINE');
    const { field, ...rest } = parsed.data;
    out.push(field === null || field === undefined ? rest : { ...rest, field });
  }
  return out;
}
