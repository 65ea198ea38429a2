/**
 * `signals --watch`: a folder read as files arrive, so a signal run follows a recorder or a
 * feature job. The folder is listed every `pollMs`; its files (not those in sub-folders, and
 * not hidden, `_`-prefixed or temporary ones) are taken in name order, each once:
 *
 * - **feature rows in plain JSONL** are read as they grow: every complete line at once, a torn
 *   last line (a writer caught mid-line) kept back and read again with what follows when the
 *   file grows — never an error. A last line still torn when the watch ends is reported, not
 *   judged, unless it is a whole JSON object (a writer that does not end its file with a newline);
 * - **anything else** (gzip, Parquet, zip, captures, dumps) is not read half-written, so it
 *   is read whole once complete: when its size has not changed for `stableMs`. Our own writers
 *   write under a temporary name and rename, so their files appear complete and are read one
 *   `stableMs` later; other writers simply stop writing. A file that still fails (a truncated
 *   gzip) is reported with its error and the watch goes on.
 *
 * The watch ends when `abort` fires, or when nothing has arrived for `idleExitMs` (if given)
 * and no file is waiting to become stable.
 */
import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { headText, looksLikeFeatures, newSourceSummary, type SignalSourceSummary } from './signal-inputs.js';

/** Options of {@link watchFolder}. */
export interface WatchOptions {
  pollMs: number;
  stableMs: number;
  /** End after this long without new data (0 or absent: only `abort` ends it). */
  idleExitMs?: number;
  abort?: AbortSignal;
  /** Folders whose files are not inputs (the run's own output folder). */
  exclude?: readonly string[];
}

/** What the watch does with a file. */
export interface WatchHandlers {
  /** A feature file's new complete lines. */
  featureLines(summary: SignalSourceSummary, lines: string[], firstLine: number): void;
  /** A complete file that is not tailed (market data, or gzip feature rows); failures go in its summary. */
  wholeFile(path: string): Promise<SignalSourceSummary>;
  /** A file is done with, or (feature files) first seen. */
  onSource?(summary: SignalSourceSummary): void;
}

interface Tracked {
  path: string;
  mode: 'new' | 'tail' | 'whole' | 'done';
  size: number;
  changedAt: number;
  offset: number;
  carry: string;
  lineNo: number;
  decoder: StringDecoder;
  summary: SignalSourceSummary | null;
}

/** Names that are not inputs: hidden, `_`-prefixed (`_quarantine.jsonl`), temporary (`x.tmp`, `x.tmp-123`, `x.part`). */
export function ignoredName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_') || /\.(tmp|part|partial)(-|\.|$)/i.test(name) || /\.(db|db-wal|db-shm|db-journal)$/i.test(name);
}

function sleep(ms: number, abort?: AbortSignal): Promise<void> {
  return new Promise((res) => {
    if (abort?.aborted) return res();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      abort?.removeEventListener('abort', done);
      res();
    }
    abort?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Watch `dir` (see the module comment) until aborted or idle; returns every file's summary in
 * the order they were first read.
 */
export async function watchFolder(dir: string, handlers: WatchHandlers, options: WatchOptions): Promise<SignalSourceSummary[]> {
  const tracked = new Map<string, Tracked>();
  const order: SignalSourceSummary[] = [];
  const exclude = (options.exclude ?? []).map((p) => resolve(p));
  let lastActivity = Date.now();
  const stat = async (p: string) => {
    try {
      return await fsp.stat(p);
    } catch {
      return null;
    }
  };
  for (;;) {
    const now = Date.now();
    let names: string[];
    try {
      names = (await fsp.readdir(dir)).sort();
    } catch (err) {
      throw new Error(`${dir}: cannot list the watched folder (${(err as Error).message})`);
    }
    let active = false;
    let waiting = false;
    for (const name of names) {
      if (ignoredName(name)) continue;
      const path = join(dir, name);
      if (exclude.some((x) => resolve(path).startsWith(x + '/') || resolve(path) === x)) continue;
      const st = await stat(path);
      if (!st || !st.isFile()) continue;
      let t = tracked.get(path);
      if (!t) {
        t = { path, mode: 'new', size: -1, changedAt: now, offset: 0, carry: '', lineNo: 1, decoder: new StringDecoder('utf8'), summary: null };
        tracked.set(path, t);
      }
      if (t.mode === 'done') continue;
      if (st.size !== t.size) {
        t.size = st.size;
        t.changedAt = now;
      }
      const stable = now - t.changedAt >= options.stableMs;
      if (t.mode === 'new') {
        if (t.size === 0) continue;
        const head = await headText(path, 4096);
        const gz = await isGzip(path);
        if (!gz && looksLikeFeatures(head)) {
          t.mode = 'tail';
          t.summary = newSourceSummary(path, 'features');
          order.push(t.summary);
          handlers.onSource?.(t.summary);
        } else t.mode = 'whole';
      }
      if (t.mode === 'tail') {
        if (t.size > t.offset) {
          await readMore(t, handlers);
          active = true;
        }
        continue;
      }
      if (!stable) {
        waiting = true;
        continue;
      }
      const s = await handlers.wholeFile(path);
      t.mode = 'done';
      t.summary = s;
      order.push(s);
      handlers.onSource?.(s);
      active = true;
    }
    if (active) lastActivity = Date.now();
    if (options.abort?.aborted) break;
    if (options.idleExitMs && !waiting && Date.now() - lastActivity >= options.idleExitMs) break;
    await sleep(options.pollMs, options.abort);
    if (options.abort?.aborted) break;
  }
  // a feature file's unfinished last line: judged if it is whole JSON, else reported
  for (const t of tracked.values()) {
    if (t.mode !== 'tail' || t.carry === '') continue;
    let whole = false;
    try {
      JSON.parse(t.carry);
      whole = true;
    } catch {
      whole = false;
    }
    if (whole) handlers.featureLines(t.summary!, [t.carry], t.lineNo);
    else t.summary!.tornBytes = Buffer.byteLength(t.carry);
    t.carry = '';
  }
  return order;
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await fsp.open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Read a tailed file from its offset to its size; hand out complete lines, keep a torn one. */
async function readMore(t: Tracked, handlers: WatchHandlers): Promise<void> {
  const fh = await fsp.open(t.path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(t.size - t.offset, 1 << 22));
    while (t.offset < t.size) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, t.size - t.offset), t.offset);
      if (bytesRead === 0) break;
      t.offset += bytesRead;
      const text = t.carry + t.decoder.write(buf.subarray(0, bytesRead));
      const lines = text.split('\n');
      t.carry = lines.pop()!;
      for (let i = 0; i < lines.length; i++) {
        const l = lines[i]!;
        if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
      }
      if (lines.length > 0) {
        handlers.featureLines(t.summary!, lines, t.lineNo);
        t.lineNo += lines.length;
      }
    }
  } finally {
    await fh.close();
  }
}
