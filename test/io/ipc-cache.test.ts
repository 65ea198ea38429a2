import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchToEvents, eventsToBatch, type KindBatch } from '../../src/core/batch.js';
import { EVENT_KINDS, type MarketEvent } from '../../src/core/events.js';
import { readCapture } from '../../src/io/capture.js';
import { openDataset } from '../../src/io/dataset.js';
import { DatasetWriter } from '../../src/io/hive.js';
import { IpcCache, readIpcTables, tablesToStream, writeIpcTables } from '../../src/io/ipc-cache.js';
import { dataPath } from '../helpers/data.js';

let dir: string;
let root: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ofi-ipc-'));
  root = join(dir, 'data');
  const w = new DatasetWriter(root, { maxSec: 60 });
  for (const file of ['btcusdt_20240718.gz', 'btcusdt_20240719.gz']) {
    for await (const kb of readCapture(dataPath('binance-ws/usdm', file))) await w.write(kb);
  }
  await w.close();
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function events(it: AsyncIterable<KindBatch>): Promise<MarketEvent[]> {
  const out: MarketEvent[] = [];
  for await (const { kind, batch } of it) out.push(...batchToEvents(kind, batch));
  return out;
}

describe('IpcCache', () => {
  it('caches a slice and serves the same tables and the same merged stream', async () => {
    const cache = new IpcCache(join(dir, 'cache1'));
    const ds = await openDataset(root);
    const slice = ds.slice({ start: Date.UTC(2024, 6, 18, 23, 58), end: Date.UTC(2024, 6, 19, 0, 2) });
    const direct = await slice.toTables();
    const first = await cache.tables(slice);
    expect(first.hit).toBe(false);
    const second = await cache.tables(slice);
    expect(second.hit).toBe(true);
    expect(second.key).toBe(first.key);
    for (const kind of EVENT_KINDS) {
      expect(second.tables[kind].numRows, kind).toBe(direct[kind].numRows);
      const a = direct[kind].batches.flatMap((b) => [...batchToEvents(kind, b)]);
      const b = second.tables[kind].batches.flatMap((x) => [...batchToEvents(kind, x)]);
      expect(b, kind).toEqual(a);
    }
    expect(direct.quote.numRows).toBeGreaterThan(1000);
    // the merged stream from the cache is the slice's own (without depth, to keep it quick)
    const qt = ds.slice({ kinds: ['quote', 'trade'], start: slice.start, end: slice.end });
    expect(await events(cache.batches(qt))).toEqual(await events(qt));
    const files = await readdir(first.path);
    expect(files.sort()).toEqual(['depth.arrow', 'manifest.json', 'mark.arrow', 'quote.arrow', 'trade.arrow']);
  });

  it('a released slice gives its memory to the next read, which reads the same tables', async () => {
    const cache = new IpcCache(join(dir, 'cache-pool'));
    const slice = (await openDataset(root)).slice({ kinds: ['quote', 'trade'] });
    await cache.tables(slice); // miss: writes the entry
    const a = await cache.tables(slice);
    const expected = Object.fromEntries(EVENT_KINDS.map((k) => [k, a.tables[k].batches.flatMap((b) => [...batchToEvents(k, b)])]));
    expect(cache.pool.freeBytes, 'nothing released yet').toBe(0);
    a.release();
    const pooled = cache.pool.freeBytes;
    expect(pooled, 'the released buffers are held for the next read').toBeGreaterThan(a.tables.quote.numRows * 8);
    const b = await cache.tables(slice);
    expect(cache.pool.freeBytes, 'the next read took them').toBe(0);
    for (const k of EVENT_KINDS) expect(b.tables[k].batches.flatMap((x) => [...batchToEvents(k, x)]), k).toEqual(expected[k]);
    b.release();
    expect(cache.pool.freeBytes).toBe(pooled);
  });

  it('a changed dataset gets a new key; the stale entry of that slice goes', async () => {
    const cacheDir = join(dir, 'cache2');
    const cache = new IpcCache(cacheDir);
    const ds = await openDataset(root);
    const slice = ds.slice({ kinds: ['trade'] });
    const a = await cache.tables(slice);
    // another slice has its own entry, untouched by changes the first one sees
    const other = await cache.tables(ds.slice({ kinds: ['quote'], end: Date.UTC(2024, 6, 19) }));
    expect(other.hit).toBe(false);

    // a new part: the cache sees it without reopening the dataset
    const w = new DatasetWriter(root);
    const t = Date.UTC(2024, 6, 19, 0, 30);
    await w.write({
      kind: 'trade',
      batch: eventsToBatch('trade', [{ type: 'trade', symbol: 'BTCUSDT', ts: t, recvTs: t, price: 1, qty: 1, side: 'sell', id: 1, firstId: 1, lastId: 1, printKind: 'MARKET' }])!,
    });
    const written = await w.close();
    const b = await cache.tables(slice);
    expect(b.hit).toBe(false);
    expect(b.key).not.toBe(a.key);
    expect(b.tables.trade.numRows).toBe(a.tables.trade.numRows + 1);
    expect((await cache.tables(slice)).hit).toBe(true);
    let entries = (await readdir(cacheDir)).filter((n) => !n.startsWith('.'));
    expect(entries.sort()).toEqual([b.key, other.key].sort());

    // a rewritten part (new modification time) also misses
    const part = written.files[0]!.path;
    await utimes(part, new Date(), new Date(Date.now() + 5000));
    const c = await cache.tables(slice);
    expect(c.hit).toBe(false);
    expect(c.tables.trade.numRows).toBe(b.tables.trade.numRows);
    // the quote slice ends before the new part's day: still a hit
    expect((await cache.tables(ds.slice({ kinds: ['quote'], end: Date.UTC(2024, 6, 19) }))).hit).toBe(true);
    entries = (await readdir(cacheDir)).filter((n) => !n.startsWith('.'));
    expect(entries.length).toBe(2);
    await rm(part);
  });

  it('writes and reads IPC files per kind; an incomplete entry is a miss', async () => {
    const ds = await openDataset(root);
    const tables = await ds.slice({ kinds: ['quote', 'trade'] }).toTables();
    const entry = join(dir, 'manual');
    await writeIpcTables(entry, tables);
    expect(await readIpcTables(entry), 'no manifest yet').toBeNull();
    const merged = await events(tablesToStream(tables, 1000));
    expect(merged.length).toBe(tables.quote.numRows + tables.trade.numRows);
    let tiesOutOfKindOrder = 0;
    for (let i = 1; i < merged.length; i++) {
      const a = merged[i - 1]!;
      const b = merged[i]!;
      if (a.ts === b.ts && EVENT_KINDS.indexOf(a.type) > EVENT_KINDS.indexOf(b.type)) tiesOutOfKindOrder++;
    }
    expect(tiesOutOfKindOrder).toBe(0);
  });
});
