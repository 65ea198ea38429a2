/**
 * bookTicker quotes of a real Binance websocket capture as columns, parsed here with nothing
 * but `JSON.parse`, independently of the toolkit's readers, so calculator tests stand on their
 * own. Line format: `<receive ns> <combined-stream JSON>` (see ../shared/data/README.md).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dataPath } from './data.js';

/** Best bid/ask updates in arrival order. */
export interface QuoteColumns {
  length: number;
  /** Exchange event time `E` (ms); spot bookTicker has none, so the receive time stands in. */
  ts: Float64Array;
  recvTs: Float64Array;
  updateId: Float64Array;
  bidPrice: Float64Array;
  bidQty: Float64Array;
  askPrice: Float64Array;
  askQty: Float64Array;
}

const cache = new Map<string, QuoteColumns>();

/** The bookTicker messages of a capture under ../shared/data (path relative to it), cached per file. */
export function readBookTickerQuotes(relPath: string): QuoteColumns {
  const hit = cache.get(relPath);
  if (hit) return hit;
  const text = gunzipSync(readFileSync(dataPath(relPath))).toString('utf8');
  const rows: number[][] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('@bookTicker"')) continue;
    const sp = line.indexOf(' ');
    const msg = JSON.parse(line.slice(sp + 1)) as { data: Record<string, string | number> };
    const d = msg.data;
    const recv = Number(line.slice(0, sp)) / 1e6;
    rows.push([d.E === undefined ? recv : Number(d.E), recv, Number(d.u), Number(d.b), Number(d.B), Number(d.a), Number(d.A)]);
  }
  const col = (k: number) => Float64Array.from(rows, (r) => r[k]!);
  const q: QuoteColumns = {
    length: rows.length,
    ts: col(0),
    recvTs: col(1),
    updateId: col(2),
    bidPrice: col(3),
    bidQty: col(4),
    askPrice: col(5),
    askQty: col(6),
  };
  cache.set(relPath, q);
  return q;
}
