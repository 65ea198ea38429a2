/**
 * Depth messages of a real Binance websocket capture (REST snapshot lines and `depthUpdate`
 * diffs) and its bookTicker messages, in arrival order, parsed here with nothing but
 * `JSON.parse`, independently of the toolkit's readers (see ../shared/data/README.md).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dataPath } from './data.js';

export interface DepthMessage {
  kind: 'snapshot' | 'diff';
  /** Exchange time `E` (ms). */
  ts: number;
  firstUpdateId: number;
  lastUpdateId: number;
  prevUpdateId: number;
  bidPrices: number[];
  bidQtys: number[];
  askPrices: number[];
  askQtys: number[];
}

export interface TickerMessage {
  kind: 'ticker';
  ts: number;
  updateId: number;
  bidPrice: number;
  bidQty: number;
  askPrice: number;
  askQty: number;
}

const cache = new Map<string, (DepthMessage | TickerMessage)[]>();

function levels(rows: [string, string][]): { p: number[]; q: number[] } {
  return { p: rows.map((r) => Number(r[0])), q: rows.map((r) => Number(r[1])) };
}

/** Snapshots, diffs and tickers of a gzip capture under ../shared/data, in arrival order (cached). */
export function readDepthAndTickers(relPath: string): (DepthMessage | TickerMessage)[] {
  const hit = cache.get(relPath);
  if (hit) return hit;
  const out: (DepthMessage | TickerMessage)[] = [];
  for (const line of gunzipSync(readFileSync(dataPath(relPath))).toString('utf8').split('\n')) {
    if (!line) continue;
    const msg = JSON.parse(line.slice(line.indexOf(' ') + 1)) as Record<string, unknown>;
    const d = (msg.data ?? msg) as Record<string, unknown>;
    if (d.lastUpdateId !== undefined && Array.isArray(d.bids)) {
      const b = levels(d.bids as [string, string][]);
      const a = levels(d.asks as [string, string][]);
      out.push({ kind: 'snapshot', ts: Number(d.E), firstUpdateId: Number.NaN, lastUpdateId: Number(d.lastUpdateId), prevUpdateId: Number.NaN, bidPrices: b.p, bidQtys: b.q, askPrices: a.p, askQtys: a.q });
    } else if (d.e === 'depthUpdate') {
      const b = levels(d.b as [string, string][]);
      const a = levels(d.a as [string, string][]);
      out.push({ kind: 'diff', ts: Number(d.E), firstUpdateId: Number(d.U), lastUpdateId: Number(d.u), prevUpdateId: d.pu === undefined ? Number.NaN : Number(d.pu), bidPrices: b.p, bidQtys: b.q, askPrices: a.p, askQtys: a.q });
    } else if (d.e === 'bookTicker') {
      out.push({ kind: 'ticker', ts: Number(d.E), updateId: Number(d.u), bidPrice: Number(d.b), bidQty: Number(d.B), askPrice: Number(d.a), askQty: Number(d.A) });
    }
  }
  cache.set(relPath, out);
  return out;
}
