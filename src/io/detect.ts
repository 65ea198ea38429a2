/**
 * Which reader a path needs, told from its content first and its name second, so that
 * `ofi-backtest convert <anything>` does the right thing: a capture renamed `.txt`, a dump
 * without its header, a LOBSTER pair given as a folder or a zip.
 */
import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UserInputError } from '../core/errors.js';
import type { KindBatch } from '../core/batch.js';
import { fileError, readHead } from './lines.js';
import { openZip } from './zip.js';
import type { ReadOptions } from './source.js';
import { readCapture } from './capture.js';
import { readBinanceDump } from './binance-dump.js';
import { readLobster } from './lobster.js';
import { readJsonl } from './jsonl.js';
import { readParquet } from './parquet.js';
import { openDataset } from './dataset.js';

/** Source formats the toolkit reads. */
export type SourceFormat = 'capture' | 'binance-dump' | 'lobster' | 'jsonl' | 'parquet' | 'dataset';

/** The formats, with what each is, for help texts and error messages. */
export const SOURCE_FORMATS: Record<SourceFormat, string> = {
  capture: 'Binance websocket capture, `<recv ts> <json>` a line (plain or gzip)',
  'binance-dump': 'Binance public dump CSV: aggTrades, trades or bookTicker (plain or .zip)',
  lobster: 'LOBSTER message + orderbook files (a folder, either CSV, or the .zip)',
  jsonl: 'JSONL events as written by `convert --format jsonl` (plain or gzip)',
  parquet: 'a Parquet file of events as written by `convert`',
  dataset: 'a Hive-partitioned dataset folder written by `convert`',
};

const LOBSTER_NAME = /_(message|orderbook)_\d+\.csv$/;
const DUMP_HEADER = /^(agg_trade_id|id|update_id),/;

/** Tell the format of a path. Throws a one-line {@link UserInputError} naming the path if it cannot. */
export async function detectFormat(path: string): Promise<SourceFormat> {
  let st;
  try {
    st = await fsp.stat(path);
  } catch (err) {
    throw fileError(path, err);
  }
  if (st.isDirectory()) return detectDirectory(path);
  const name = basename(path).toLowerCase();
  if (LOBSTER_NAME.test(name)) return 'lobster';
  const head = await readHead(path, 64 * 1024);
  if (head.length === 0) throw new UserInputError(`${path}: empty file`, 'E_FORMAT');
  if (head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31) return 'parquet'; // PAR1
  if (head[0] === 0x50 && head[1] === 0x4b) return detectZip(path); // PK
  const text = head[0] === 0x1f && head[1] === 0x8b ? gunzipPrefix(head) : new TextDecoder().decode(head);
  const first = text.split('\n', 1)[0]!.trim();
  if (first.startsWith('{"type":')) return 'jsonl';
  if (/^wss?:\/\//.test(first) || /^\d+(\.\d+)?:?\s+\{/.test(first) || first.startsWith('{')) return 'capture';
  if (DUMP_HEADER.test(first) || /^\d+,[\d.]+,[\d.]+,/.test(first)) return 'binance-dump';
  throw new UserInputError(`${path}: unknown format (first line: ${JSON.stringify(first.slice(0, 80))}); expected one of: ${Object.keys(SOURCE_FORMATS).join(', ')}`, 'E_FORMAT');
}

function gunzipPrefix(head: Uint8Array): string {
  try {
    return gunzipSync(head, { finishFlush: 2 /* Z_SYNC_FLUSH: accept a truncated stream */ }).toString('utf8');
  } catch {
    return '';
  }
}

async function detectZip(path: string): Promise<SourceFormat> {
  const zip = await openZip(path);
  try {
    const names = zip.entries.map((e) => e.name);
    if (names.some((n) => LOBSTER_NAME.test(n))) return 'lobster';
    if (names.length >= 1 && names.every((n) => n.toLowerCase().endsWith('.csv'))) return 'binance-dump';
    throw new UserInputError(`${path}: a zip archive holding neither a Binance dump CSV nor LOBSTER files (entries: ${names.join(', ')})`, 'E_FORMAT');
  } finally {
    zip.close();
  }
}

async function detectDirectory(path: string): Promise<SourceFormat> {
  const names = await fsp.readdir(path);
  if (names.some((n) => LOBSTER_NAME.test(n))) return 'lobster';
  if (names.some((n) => ['trade', 'quote', 'depth', 'mark'].includes(n))) return 'dataset';
  throw new UserInputError(`${path}: a folder that is neither a dataset (trade/, quote/, depth/, mark/) nor a LOBSTER pair`, 'E_FORMAT');
}

/**
 * Read any supported source as tagged Arrow batches, in its own order.
 * A dataset folder is read whole, time-ordered across kinds and symbols.
 */
export async function* readSource(path: string, options: ReadOptions = {}, format?: SourceFormat): AsyncGenerator<KindBatch> {
  const fmt = format ?? (await detectFormat(path));
  switch (fmt) {
    case 'capture':
      yield* readCapture(path, options);
      return;
    case 'binance-dump':
      yield* readBinanceDump(path, options);
      return;
    case 'lobster':
      yield* readLobster(path, options);
      return;
    case 'jsonl':
      yield* readJsonl(path, options);
      return;
    case 'parquet':
      yield* readParquet(path, options);
      return;
    case 'dataset':
      yield* (await openDataset(path)).slice({}).batches();
      return;
  }
}

/**
 * Expand inputs: a folder of captures becomes its files; datasets and LOBSTER folders stay whole.
 * An empty list throws: a run over no data would report zero events and no error, which reads
 * like a quiet market rather than a path that matched nothing.
 */
export async function expandInputs(paths: readonly string[]): Promise<{ path: string; format: SourceFormat }[]> {
  if (paths.length === 0) throw new UserInputError('no input files were given: name at least one capture, dump, LOBSTER folder, dataset or Parquet/JSONL file', 'E_INPUT');
  const out: { path: string; format: SourceFormat }[] = [];
  for (const p of paths) {
    let st;
    try {
      st = await fsp.stat(p);
    } catch (err) {
      throw fileError(p, err);
    }
    if (st.isDirectory()) {
      try {
        out.push({ path: p, format: await detectDirectory(p) });
        continue;
      } catch {
        const names = (await fsp.readdir(p)).filter((n) => !n.startsWith('.')).sort();
        const files = [];
        for (const n of names) if ((await fsp.stat(join(p, n))).isFile()) files.push(join(p, n));
        if (files.length === 0) throw new UserInputError(`${p}: an empty folder`, 'E_FORMAT');
        for (const f of files) out.push({ path: f, format: await detectFormat(f) });
        continue;
      }
    }
    out.push({ path: p, format: await detectFormat(p) });
  }
  return out;
}
