import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { f64Column } from '../../src/core/batch.js';
import type { EventKind } from '../../src/core/events.js';
import { readOrdered, readOrderedBlocks } from '../../src/io/ordered.js';
import { newReadStats } from '../../src/io/source.js';
import { dataPath } from '../helpers/data.js';

const BTC = dataPath('binance-ws', 'usdm', 'btcusdt_20240808.gz');
const RANK: Record<EventKind, number> = { depth: 0, quote: 1, trade: 2, mark: 3 };

/** Exchange times `E` of a capture's messages per kind, in file order, from the raw text. */
function rawTimes(path: string): Record<'depth' | 'quote' | 'trade', number[]> {
  const out = { depth: [] as number[], quote: [] as number[], trade: [] as number[] };
  for (const line of gunzipSync(readFileSync(path)).toString('utf8').split('\n')) {
    if (!line) continue;
    const msg = JSON.parse(line.slice(line.indexOf(' ') + 1));
    const d = msg.data ?? msg;
    if (d.e === 'bookTicker') out.quote.push(d.E);
    else if (d.e === 'trade') out.trade.push(d.E);
    else if (d.e === 'depthUpdate' || d.lastUpdateId !== undefined) out.depth.push(d.E);
  }
  return out;
}

describe('readOrdered', () => {
  it('hands out every row of a capture once, each kind in file order, merged by exchange time', async () => {
    // small batches: many batch boundaries of each kind fall between those of the others
    const stats = newReadStats();
    const seen: Record<string, number[]> = { depth: [], quote: [], trade: [] };
    const merged: { ts: number; rank: number }[] = [];
    for await (const r of readOrdered(BTC, 'capture', { batchRows: 1000, stats })) {
      const ts = f64Column(r.batch, 'ts');
      for (let i = r.from; i < r.to; i++) {
        seen[r.kind]!.push(ts[i]!);
        merged.push({ ts: ts[i]!, rank: RANK[r.kind] });
      }
    }
    const raw = rawTimes(BTC);
    for (const k of ['depth', 'quote', 'trade'] as const) expect(seen[k], `${k} rows in file order`).toEqual(raw[k]);
    // across kinds, time never goes back except where a kind's own stream does
    let backs = 0;
    for (let i = 1; i < merged.length; i++) if (merged[i]!.ts < merged[i - 1]!.ts) backs++;
    let ownBacks = 0;
    for (const k of ['depth', 'quote', 'trade'] as const) for (let i = 1; i < raw[k].length; i++) if (raw[k][i]! < raw[k][i - 1]!) ownBacks++;
    expect(backs).toBeLessThanOrEqual(ownBacks * 2);
    // ties: book state before the trades of the same millisecond
    for (let i = 1; i < merged.length; i++) {
      if (merged[i]!.ts === merged[i - 1]!.ts && merged[i - 1]!.rank === 2) expect(merged[i]!.rank, `row ${i}`).toBeGreaterThanOrEqual(2);
    }
    expect(stats.events.trade).toBe(raw.trade.length);
  });

  it('in blocks: the same runs, a block per batch read', async () => {
    const one: string[] = [];
    for await (const r of readOrdered(BTC, 'capture', { batchRows: 1000 })) one.push(`${r.kind} ${r.batch.numRows} ${r.from} ${r.to}`);
    const blocked: string[] = [];
    let blocks = 0;
    for await (const block of readOrderedBlocks(BTC, 'capture', { batchRows: 1000 })) {
      blocks++;
      expect(block.length, 'no empty block').toBeGreaterThan(0);
      for (const r of block) blocked.push(`${r.kind} ${r.batch.numRows} ${r.from} ${r.to}`);
    }
    expect(blocked).toEqual(one);
    expect(blocks).toBeLessThan(one.length / 5);
  });
});
