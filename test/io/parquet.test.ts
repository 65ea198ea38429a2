import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Schema, type RecordBatch } from 'apache-arrow';
import * as pq from 'parquet-wasm';
import { batchToEvents, eventsToBatch, f64Column, type KindBatch } from '../../src/core/batch.js';
import { EVENT_KINDS, type EventKind, type MarketEvent, type QuoteEvent } from '../../src/core/events.js';
import { eventSchema, KIND_METADATA_KEY } from '../../src/core/schema.js';
import { withSchema } from '../../src/io/batch-ops.js';
import { readCapture } from '../../src/io/capture.js';
import { parquetInfo, ParquetWriter, readParquet, writeParquet } from '../../src/io/parquet.js';
import { newReadStats } from '../../src/io/source.js';
import { dataPath } from '../helpers/data.js';
import { ARBS } from '../helpers/event-arbs.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ofi-parquet-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
let fileNo = 0;
const nextPath = () => join(dir, `f${++fileNo}.parquet`);

async function readAll(path: string, options = {}): Promise<KindBatch[]> {
  const out: KindBatch[] = [];
  for await (const kb of readParquet(path, options)) out.push(kb);
  return out;
}

function quotes(n: number, t0 = 1_723_161_256_000): RecordBatch {
  const e: QuoteEvent = { type: 'quote', symbol: 'BTCUSDT', ts: 0, recvTs: 0, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0, updateId: 0 };
  const rows: QuoteEvent[] = [];
  for (let i = 0; i < n; i++) {
    rows.push({ ...e, ts: t0 + i, recvTs: t0 + i - 1270.5, bidPrice: 61800 + (i % 50) / 10, bidQty: (i % 997) / 1000, askPrice: 61800.1 + (i % 50) / 10, askQty: (i % 991) / 1000, updateId: 5e12 + i });
  }
  return eventsToBatch('quote', rows)!;
}

describe('Parquet', () => {
  for (const kind of EVENT_KINDS) {
    it(`events → Parquet → events is the identity (${kind}: NaN, -0, empty lists, several row groups)`, async () => {
      const arb = ARBS[kind]() as fc.Arbitrary<MarketEvent>;
      await fc.assert(
        fc.asyncProperty(fc.array(arb, { maxLength: 40 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 9 }), async (events, rowGroupRows, cut) => {
          const path = nextPath();
          const batch = eventsToBatch(kind, events as never);
          const batches = batch ? [batch.slice(0, cut), batch.slice(cut)] : [];
          await writeParquet(path, eventSchema(kind), batches, { rowGroupRows });
          const back = await readAll(path);
          expect(back.every((kb) => kb.kind === kind)).toBe(true);
          expect(back.flatMap((kb) => [...batchToEvents(kind, kb.batch)])).toEqual(events);
          if (events.length) expect(back[0]!.batch.schema.metadata.get(KIND_METADATA_KEY), 'batches come back under the kind schema').toBe(kind);
          const info = await parquetInfo(path);
          expect(info.numRows).toBe(events.length);
          expect(info.rowGroupRows.length).toBe(Math.ceil(events.length / rowGroupRows));
        }),
        { numRuns: 25 },
      );
    });
  }

  it('keeps the schema with its metadata, zstd, and BYTE_STREAM_SPLIT for times and ids', async () => {
    const path = nextPath();
    await writeParquet(path, eventSchema('quote'), [quotes(1000)]);
    const info = await parquetInfo(path);
    expect(info.kind).toBe('quote');
    expect(info.schema.metadata.get(KIND_METADATA_KEY)).toBe('quote');
    expect(info.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(eventSchema('quote').fields.map((f) => `${f.name}:${f.type}`));
    const file = await pq.ParquetFile.fromFile(await (await import('node:fs')).openAsBlob(path));
    const cols = file.metadata().rowGroup(0).columns();
    expect(cols.every((c) => c.compression() === pq.Compression.ZSTD)).toBe(true);
    const enc = Object.fromEntries(cols.map((c) => [c.columnPath().join('.'), c.encodings()]));
    expect(enc.ts).toContain(pq.Encoding.BYTE_STREAM_SPLIT);
    expect(enc.updateId).toContain(pq.Encoding.BYTE_STREAM_SPLIT);
    expect(enc.bidPrice).not.toContain(pq.Encoding.BYTE_STREAM_SPLIT);
    file.free();
  });

  it('tells the kind from the columns when a file has no metadata, and projects columns', async () => {
    const path = nextPath();
    const bare = new Schema(eventSchema('quote').fields);
    const b = quotes(300);
    await writeParquet(path, bare, [withSchema(b, bare)]);
    const back = await readAll(path);
    expect(back.map((kb) => kb.kind)).toEqual(['quote']);
    expect([...batchToEvents('quote', back[0]!.batch)]).toEqual([...batchToEvents('quote', b)]);
    const proj = await readAll(path, { columns: ['ts', 'bidPrice'] });
    expect(proj[0]!.batch.schema.fields.map((f) => f.name)).toEqual(['ts', 'bidPrice']);
    expect(Array.from(f64Column(proj[0]!.batch, 'bidPrice'))).toEqual(Array.from(f64Column(b, 'bidPrice')));
    await expect(readAll(path, { columns: ['nope'] })).rejects.toThrow(/no column "nope"/);
  });

  it('reads one row group at a time and cuts batches at batchRows', async () => {
    const path = nextPath();
    await writeParquet(path, eventSchema('quote'), [quotes(1000)], { rowGroupRows: 300 });
    const stats = newReadStats();
    const sizes = (await readAll(path, { stats })).map((kb) => kb.batch.numRows);
    expect(sizes).toEqual([300, 300, 300, 100]);
    expect(stats.events.quote).toBe(1000);
    expect((await readAll(path, { batchRows: 128 })).map((kb) => kb.batch.numRows)).toEqual([128, 128, 44, 128, 128, 44, 128, 128, 44, 100]);
  });

  it('a reader stopped after any batch frees the file cleanly, and the rows it gave are the first ones', async () => {
    const path = nextPath();
    await writeParquet(path, eventSchema('quote'), [quotes(1000)], { rowGroupRows: 300 });
    const all = (await readAll(path)).map((kb) => f64Column(kb.batch, 'ts'));
    for (let stop = 1; stop <= 4; stop++) {
      const got: Float64Array[] = [];
      for await (const kb of readParquet(path)) {
        got.push(f64Column(kb.batch, 'ts'));
        if (got.length === stop) break;
      }
      expect(got).toEqual(all.slice(0, stop));
    }
    // the wasm side is sound after the early stops: the file reads whole again
    expect((await readAll(path)).map((kb) => kb.batch.numRows)).toEqual([300, 300, 300, 100]);
  });

  it('cuts row groups of wide depth rows by bytes, not only by rows', async () => {
    const path = nextPath();
    // 3,000 rows of 1,000 levels a side: 32 KB of Arrow data a row, 96 MB in all
    const levels = Array.from({ length: 1000 }, (_, i) => 100 + i);
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      type: 'depth' as const, symbol: 'BTCUSDT', ts: 1e12 + i, recvTs: 1e12 + i, isSnapshot: true,
      firstUpdateId: Number.NaN, lastUpdateId: i, prevUpdateId: Number.NaN,
      bidPrices: levels, bidQtys: levels, askPrices: levels, askQtys: levels,
    }));
    await writeParquet(path, eventSchema('depth'), [eventsToBatch('depth', rows)!], { rowGroupBytes: 8 * 1024 * 1024 });
    const groups = (await parquetInfo(path)).rowGroupRows;
    expect(groups, 'at the 1,024-row floor: 8 MB holds only 256 of these rows').toEqual([1024, 1024, 952]);
  });

  it('writes a file with no rows', async () => {
    const path = nextPath();
    const w = new ParquetWriter(path, eventSchema('depth'));
    expect(await w.close()).toMatchObject({ rows: 0 });
    expect((await parquetInfo(path)).kind).toBe('depth');
    expect(await readAll(path)).toEqual([]);
  });

  it('streams: row groups reach the file while writing, and wasm memory stays bounded', async () => {
    const path = nextPath();
    const w = new ParquetWriter(path, eventSchema('quote'), { rowGroupRows: 65_536 });
    const chunk = quotes(65_536);
    await w.write(chunk); // warm the writer up
    await w.write(chunk);
    const mem0 = pq.wasmMemory().buffer.byteLength;
    let sizeMid = 0;
    for (let i = 0; i < 30; i++) {
      await w.write(chunk);
      if (i === 20) sizeMid = (await stat(path)).size;
    }
    const mem1 = pq.wasmMemory().buffer.byteLength;
    const { rows, bytes } = await w.close();
    expect(rows).toBe(32 * 65_536);
    expect(sizeMid, 'bytes on disk before close').toBeGreaterThan(bytes / 2);
    // 30 × 65,536 quote rows are 110 MB in memory; the writer holds about two row groups
    expect(mem1 - mem0, 'wasm memory growth').toBeLessThan(24 << 20);
    expect((await parquetInfo(path)).rowGroupRows).toEqual(new Array(32).fill(65_536));
  });

  it('round-trips a real capture, and DuckDB reads the file', async () => {
    const byKind: Record<EventKind, RecordBatch[]> = { depth: [], quote: [], trade: [], mark: [] };
    for await (const kb of readCapture(dataPath('binance-ws/usdm/btcusdt_20240718.gz'))) byKind[kb.kind].push(kb.batch);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    for (const kind of ['depth', 'quote', 'trade'] as const) {
      const path = nextPath();
      await writeParquet(path, eventSchema(kind), byKind[kind], { rowGroupRows: 1000 });
      const want = byKind[kind].flatMap((b) => [...batchToEvents(kind, b)]);
      const got = (await readAll(path)).flatMap((kb) => [...batchToEvents(kind, kb.batch)]);
      expect(got.length).toBe(want.length);
      expect(got, kind).toEqual(want);
      const reader = await con.runAndReadAll(`SELECT count(*)::DOUBLE AS n, sum(ts) AS s FROM read_parquet('${path}')`);
      const [n, s] = reader.getRows()[0] as [number, number];
      expect(n).toBe(want.length);
      expect(s).toBeCloseTo(want.reduce((a, e) => a + e.ts, 0), -3);
    }
    con.closeSync();
  });

  it('names the file when it cannot read it', async () => {
    const path = join(dir, 'not.parquet');
    await writeFile(path, 'hello');
    await expect(readAll(path)).rejects.toThrow(/not\.parquet: not a readable Parquet file/);
    await expect(readAll(join(dir, 'missing.parquet'))).rejects.toThrow(/missing\.parquet: no such file/);
  });
});
