/**
 * `runs.jsonl`, the sweep's results as they finish: one {@link RunRecord} per line, appended by
 * one `write` call per line (so a line is either wholly in the file or not at all, save the very
 * last one of a killed process, cut short) and flushed to the disk with `fdatasync` at most
 * every `syncMs` and when closed. A SIGKILL loses nothing written (the kernel has it); a power
 * cut loses at most the last `syncMs` of lines. Either way the runs lost are only those in
 * flight or just finished, and `--resume` runs them again.
 *
 * Reading back for a resume: a last line without its newline is the one a kill cut short; it
 * is dropped and, when repairing, cut off the file, so the next append starts a clean line. A
 * line that does not parse elsewhere is counted and skipped (its run is run again).
 */
import { closeSync, existsSync, fdatasyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { RunRecord } from '../sweep/types.js';

/** What {@link readRuns} found. */
export interface RunsRead {
  records: RunRecord[];
  /** Bytes of a last line cut short (dropped; cut off the file when repairing). */
  truncatedBytes: number;
  /** Complete lines that did not parse as a record (skipped). */
  badLines: number;
}

/**
 * The records of a `runs.jsonl` (none when the file does not exist). With `repair`, a last line
 * cut short is cut off the file.
 *
 * @example
 * const { records, truncatedBytes } = readRuns('out/runs.jsonl', { repair: true });
 */
export function readRuns(path: string, options: { repair?: boolean } = {}): RunsRead {
  if (!existsSync(path)) return { records: [], truncatedBytes: 0, badLines: 0 };
  const buf = readFileSync(path);
  const end = buf.lastIndexOf(0x0a) + 1;
  const truncatedBytes = buf.length - end;
  if (truncatedBytes > 0 && options.repair) {
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, end);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  const records: RunRecord[] = [];
  let badLines = 0;
  for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as RunRecord;
      if (typeof r !== 'object' || r === null || typeof r.hash !== 'string' || typeof r.index !== 'number' || typeof r.sweep !== 'string') badLines++;
      else records.push(r);
    } catch {
      badLines++;
    }
  }
  return { records, truncatedBytes, badLines };
}

/**
 * The text of a record as written: one JSON line. Non-finite numbers become null (as
 * `JSON.stringify` does) and −0 becomes 0, so a record read back is the record written.
 */
export function recordLine(r: RunRecord): string {
  return `${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && Object.is(v, -0) ? 0 : v))}\n`;
}

/**
 * Appends records to a `runs.jsonl` (see the module comment).
 *
 * @example
 * const w = new RunsWriter('out/runs.jsonl', { fresh: true });
 * w.append(record); w.close();
 */
export class RunsWriter {
  private fd: number;
  private readonly syncMs: number;
  private lastSync = 0;
  private dirty = false;
  /** Lines appended. */
  lines = 0;

  constructor(
    readonly path: string,
    options: { fresh?: boolean; syncMs?: number } = {},
  ) {
    this.fd = openSync(path, options.fresh ? 'w' : 'a');
    this.syncMs = options.syncMs ?? 200;
  }

  /** Append one record as one line, in one write. */
  append(r: RunRecord): void {
    const b = Buffer.from(recordLine(r), 'utf8');
    let off = 0;
    // one call writes a whole line on a regular file; the loop only guards a short write
    while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
    this.lines++;
    this.dirty = true;
    const now = Date.now();
    if (now - this.lastSync >= this.syncMs) this.sync(now);
  }

  /** Flush what was appended to the disk. */
  sync(now = Date.now()): void {
    if (!this.dirty || this.fd < 0) return;
    fdatasyncSync(this.fd);
    this.dirty = false;
    this.lastSync = now;
  }

  close(): void {
    if (this.fd < 0) return;
    this.sync();
    closeSync(this.fd);
    this.fd = -1;
  }
}
