/**
 * LOBSTER order-book rows as per-level columns, parsed here with `split(',')` alone,
 * independently of the toolkit's LOBSTER reader. Format (LOBSTER_SampleFiles_ReadMe.txt):
 * the order-book file has, per level, `ask price, ask size, bid price, bid size` with prices
 * ×10000; the message file's first field is the time in seconds after midnight. An empty level
 * has price ±9999999999 and size 0.
 */
import { readFileSync } from 'node:fs';
import { openZip, zipEntryLineChunks } from '../../src/io/zip.js';
import { dataPath } from './data.js';

/** Book rows, one per LOBSTER message, levels best first. */
export interface LobsterBook {
  length: number;
  levels: number;
  /** Milliseconds after midnight (New York time). */
  ts: Float64Array;
  bidPrices: Float64Array[];
  bidQtys: Float64Array[];
  askPrices: Float64Array[];
  askQtys: Float64Array[];
}

const STEM = 'AMZN_2012-06-21_34200000_57600000';
const cache = new Map<number, LobsterBook>();

function build(levels: number, bookLines: string[], msgLines: string[]): LobsterBook {
  const rows = bookLines.filter((l) => l.length > 0);
  const msgs = msgLines.filter((l) => l.length > 0);
  if (rows.length !== msgs.length) throw new Error(`LOBSTER: ${rows.length} book rows but ${msgs.length} messages`);
  const n = rows.length;
  const mk = () => Array.from({ length: levels }, () => new Float64Array(n));
  const book: LobsterBook = { length: n, levels, ts: new Float64Array(n), bidPrices: mk(), bidQtys: mk(), askPrices: mk(), askQtys: mk() };
  for (let i = 0; i < n; i++) {
    book.ts[i] = Number(msgs[i]!.slice(0, msgs[i]!.indexOf(','))) * 1000;
    const f = rows[i]!.split(',');
    for (let m = 0; m < levels; m++) {
      book.askPrices[m]![i] = Number(f[4 * m]) / 10000;
      book.askQtys[m]![i] = Number(f[4 * m + 1]);
      book.bidPrices[m]![i] = Number(f[4 * m + 2]) / 10000;
      book.bidQtys[m]![i] = Number(f[4 * m + 3]);
    }
  }
  return book;
}

/** The AMZN 2012-06-21 level-1 sample (unzipped copy). */
export function lobsterLevel1(): LobsterBook {
  const hit = cache.get(1);
  if (hit) return hit;
  const dir = dataPath('lobster', 'LOBSTER_SampleFile_AMZN_2012-06-21_1');
  const book = build(1, readFileSync(`${dir}/${STEM}_orderbook_1.csv`, 'utf8').split('\n'), readFileSync(`${dir}/${STEM}_message_1.csv`, 'utf8').split('\n'));
  cache.set(1, book);
  return book;
}

/** The AMZN 2012-06-21 level-5 sample, read from its zip. */
export async function lobsterLevel5(): Promise<LobsterBook> {
  const hit = cache.get(5);
  if (hit) return hit;
  const zip = await openZip(dataPath('lobster', 'LOBSTER_SampleFile_AMZN_2012-06-21_5.zip'));
  try {
    const read = async (name: string) => {
      const lines: string[] = [];
      for await (const chunk of zipEntryLineChunks(zip, name)) for (const l of chunk.lines) lines.push(l);
      return lines;
    };
    const book = build(5, await read(`${STEM}_orderbook_5.csv`), await read(`${STEM}_message_5.csv`));
    cache.set(5, book);
    return book;
  } finally {
    zip.close();
  }
}
