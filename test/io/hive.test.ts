import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordBatch } from 'apache-arrow';
import { batchToEvents, eventsToBatch, f64Column, type KindBatch } from '../../src/core/batch.js';
import { EVENT_KINDS, type EventKind, type QuoteEvent } from '../../src/core/events.js';
import { readCapture } from '../../src/io/capture.js';
import { openDataset } from '../../src/io/dataset.js';
import {
  DatasetWriter,
  escapePartitionValue,
  isHiddenName,
  NULL_PARTITION,
  parsePartFileName,
  partFileName,
  partitionDir,
  unescapePartitionValue,
  type DatasetFormat,
} from '../../src/io/hive.js';
import { readJsonl } from '../../src/io/jsonl.js';
import { readParquet } from '../../src/io/parquet.js';
import { dataPath } from '../helpers/data.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ofi-hive-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
let rootNo = 0;
const nextRoot = () => join(dir, `ds${++rootNo}`);

/** Every file below a folder, as paths relative to it. */
async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(relative(root, join(d, e.name)));
    }
  };
  await walk(root);
  return out.sort();
}

function quoteBatch(ts: readonly number[], symbols: readonly string[] = ['BTCUSDT']): RecordBatch {
  const rows: QuoteEvent[] = ts.map((t, i) => ({
    type: 'quote',
    symbol: symbols[i % symbols.length]!,
    ts: t,
    recvTs: t + 0.25,
    bidPrice: 100 + i,
    bidQty: 1,
    askPrice: 101 + i,
    askQty: 2,
    updateId: i,
  }));
  return eventsToBatch('quote', rows)!;
}

async function readFileRows(path: string): Promise<KindBatch[]> {
  const out: KindBatch[] = [];
  for await (const kb of path.endsWith('.parquet') ? readParquet(path) : readJsonl(path)) out.push(kb);
  return out;
}

const T0 = Date.UTC(2024, 7, 8, 23, 0, 0);

describe('Hive paths', () => {
  it('escapes partition values the way Hive does, and back', () => {
    expect(escapePartitionValue('BTCUSDT')).toBe('BTCUSDT');
    expect(escapePartitionValue('BTCUSD_PERP')).toBe('BTCUSD_PERP');
    expect(escapePartitionValue('A/B=C é')).toBe('A%2FB%3DC%20%C3%A9');
    expect(unescapePartitionValue('A%2FB%3DC%20%C3%A9')).toBe('A/B=C é');
    expect(partitionDir('/r', 'trade', 'BTCUSDT', '2024-08-08')).toBe('/r/trade/symbol=BTCUSDT/date=2024-08-08');
  });

  it('names parts by their first time and tells our names from others', () => {
    expect(partFileName(1723161256299.7, 'parquet')).toBe('part-1723161256299.parquet');
    expect(partFileName(1723161256299, 'jsonl', 2)).toBe('part-1723161256299-2.jsonl');
    expect(parsePartFileName('part-1723161256299-2.jsonl')).toEqual({ firstTs: 1723161256299, n: 2, ext: 'jsonl' });
    expect(parsePartFileName('part-0.parquet')).toEqual({ firstTs: 0, n: 0, ext: 'parquet' });
    expect(parsePartFileName('data.parquet')).toBeNull();
    for (const hidden of ['.part-1-2-3.parquet.tmp', '_SUCCESS', '.DS_Store', 'x.tmp']) expect(isHiddenName(hidden), hidden).toBe(true);
    expect(isHiddenName('part-1.parquet')).toBe(false);
  });
});

describe('DatasetWriter', () => {
  for (const format of ['parquet', 'jsonl'] as DatasetFormat[]) {
    it(`puts a real recording that crosses midnight into two date partitions (${format})`, async () => {
      const root = nextRoot();
      const input: KindBatch[] = [];
      for await (const kb of readCapture(dataPath('binance-ws/usdm/btcusdt_20240718.gz'))) input.push(kb);
      // independent count: rows of each kind before and after 2024-07-19T00:00Z
      const midnight = Date.UTC(2024, 6, 19);
      const want: Record<string, Record<string, number>> = {};
      for (const { kind, batch } of input) {
        for (const t of f64Column(batch, 'ts')) {
          const date = t < midnight ? '2024-07-18' : '2024-07-19';
          (want[kind] ??= {})[date] = (want[kind]![date] ?? 0) + 1;
        }
      }
      expect(Object.keys(want.quote!).sort(), 'the capture does cross midnight').toEqual(['2024-07-18', '2024-07-19']);

      const w = new DatasetWriter(root, { format });
      for (const kb of input) await w.write(kb);
      const summary = await w.close();
      for (const kind of Object.keys(want) as EventKind[]) expect(summary.rows[kind].BTCUSDT, kind).toEqual(want[kind]);
      expect(summary.totalRows).toBe(input.reduce((n, kb) => n + kb.batch.numRows, 0));

      const files = await listFiles(root);
      for (const kind of Object.keys(want)) {
        for (const date of Object.keys(want[kind]!)) {
          expect(files.some((f) => f.startsWith(`${kind}/symbol=BTCUSDT/date=${date}/part-`)), `${kind} ${date}`).toBe(true);
        }
      }
      // every row of a partition is of its date, and of its part's first time or later
      for (const part of summary.files) {
        const { firstTs } = parsePartFileName(part.path.split('/').pop()!)!;
        let rows = 0;
        for (const { batch } of await readFileRows(part.path)) {
          for (const t of f64Column(batch, 'ts')) {
            expect(new Date(t).toISOString().slice(0, 10)).toBe(part.date);
            expect(t).toBeGreaterThanOrEqual(firstTs);
          }
          rows += batch.numRows;
        }
        expect(rows).toBe(part.rows);
      }
    });
  }

  it('rotates a part at maxRows', async () => {
    const root = nextRoot();
    const w = new DatasetWriter(root, { maxRows: 300 });
    const ts = Array.from({ length: 1000 }, (_, i) => T0 + i);
    // in batches that do not line up with the parts
    for (let at = 0; at < ts.length; at += 170) await w.write({ kind: 'quote', batch: quoteBatch(ts.slice(at, at + 170)) });
    const summary = await w.close();
    expect(summary.files.map((f) => f.rows)).toEqual([300, 300, 300, 100]);
    expect(summary.files.map((f) => parsePartFileName(f.path.split('/').pop()!)!.firstTs)).toEqual([T0, T0 + 300, T0 + 600, T0 + 900]);
  });

  it('rotates a part when it would span more than maxSec of exchange time', async () => {
    const root = nextRoot();
    const ts = Array.from({ length: 200 }, (_, i) => T0 + i * 137);
    const maxSec = 2;
    // independent count: greedy parts, each as long as its rows stay within maxSec of its first
    let expected = 0;
    let first = -Infinity;
    for (const t of ts) {
      if (t - first > maxSec * 1000) {
        expected++;
        first = t;
      }
    }
    const w = new DatasetWriter(root, { maxSec, format: 'jsonl' });
    await w.write({ kind: 'quote', batch: quoteBatch(ts) });
    const summary = await w.close();
    expect(summary.files.length).toBe(expected);
    for (const f of summary.files) expect(f.maxTs - f.minTs).toBeLessThanOrEqual(maxSec * 1000);
  });

  it('splits batches by symbol without reordering rows, and leaves no temporary file', async () => {
    const root = nextRoot();
    const ts = Array.from({ length: 500 }, (_, i) => T0 + i * 10);
    const batch = quoteBatch(ts, ['BTCUSDT', 'ETHUSDT', 'ETHUSDT', 'A/B']);
    const w = new DatasetWriter(root, { maxRows: 100 });
    await w.write({ kind: 'quote', batch });
    const summary = await w.close();
    const files = await listFiles(root);
    expect(files.filter((f) => f.split('/').some(isHiddenName)), 'no hidden or temporary files').toEqual([]);
    expect(files.every((f) => /^quote\/symbol=(BTCUSDT|ETHUSDT|A%2FB)\/date=2024-08-08\/part-\d+\.parquet$/.test(f)), files.join('\n')).toBe(true);
    const all = [...batchToEvents('quote', batch)];
    for (const symbol of ['BTCUSDT', 'ETHUSDT', 'A/B']) {
      const parts = summary.files.filter((f) => f.symbol === symbol).sort((a, b) => a.minTs - b.minTs);
      const got = [];
      for (const p of parts) for (const { batch: b } of await readFileRows(p.path)) got.push(...batchToEvents('quote', b));
      expect(got, symbol).toEqual(all.filter((e) => e.symbol === symbol));
    }
    expect(summary.rows.quote).toEqual({ BTCUSDT: { '2024-08-08': 125 }, ETHUSDT: { '2024-08-08': 250 }, 'A/B': { '2024-08-08': 125 } });
  });

  it('an interrupted writer leaves only hidden temporary files, which readers skip', async () => {
    const root = nextRoot();
    const w = new DatasetWriter(root, { maxRows: 300, rowGroupRows: 100 });
    await w.write({ kind: 'quote', batch: quoteBatch(Array.from({ length: 1000 }, (_, i) => T0 + i)) });
    // no close(): the last part is still being written (a row group of it is on disk)
    const files = await listFiles(root);
    const tmp = files.filter((f) => f.split('/').pop()!.endsWith('.tmp'));
    expect(tmp.length).toBe(1);
    expect(tmp.every((f) => f.split('/').pop()!.startsWith('.part-'))).toBe(true);
    const ds = await openDataset(root);
    expect(ds.files().length, 'only the three finished parts').toBe(3);
    let rows = 0;
    for await (const kb of ds.slice()) rows += kb.batch.numRows;
    expect(rows).toBe(900);
  });

  it('abort() removes the temporary files and keeps the finished parts', async () => {
    const root = nextRoot();
    const w = new DatasetWriter(root, { maxRows: 300, rowGroupRows: 100, format: 'parquet' });
    await w.write({ kind: 'quote', batch: quoteBatch(Array.from({ length: 1000 }, (_, i) => T0 + i)) });
    await w.abort();
    const files = await listFiles(root);
    expect(files.length).toBe(3);
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
    await expect(w.write({ kind: 'quote', batch: quoteBatch([T0]) })).rejects.toThrow(/after close/);
  });

  it('never replaces a part of the same name (a second convert into the same folder)', async () => {
    const root = nextRoot();
    const batch = quoteBatch(Array.from({ length: 50 }, (_, i) => T0 + i));
    const first = new DatasetWriter(root);
    await first.write({ kind: 'quote', batch });
    const a = await first.close();
    const before = await stat(a.files[0]!.path);
    const second = new DatasetWriter(root);
    await second.write({ kind: 'quote', batch });
    const b = await second.close();
    expect(b.files[0]!.path).toBe(a.files[0]!.path.replace('.parquet', '-1.parquet'));
    expect((await stat(a.files[0]!.path)).mtimeMs).toBe(before.mtimeMs);
    const ds = await openDataset(root);
    expect(ds.files().length).toBe(2);
    expect((await ds.slice().toTables()).quote.numRows).toBe(100);
  });

  it('puts rows without an exchange time in the Hive null partition', async () => {
    const root = nextRoot();
    const w = new DatasetWriter(root);
    await w.write({ kind: 'quote', batch: quoteBatch([T0, Number.NaN, T0 + 1]) });
    const s = await w.close();
    expect(s.rows.quote.BTCUSDT).toEqual({ '2024-08-08': 2, [NULL_PARTITION]: 1 });
  });

  it('refuses a batch without the columns of its kind', async () => {
    const w = new DatasetWriter(nextRoot());
    const b = quoteBatch([T0]).select(['ts', 'symbol']);
    await expect(w.write({ kind: 'quote', batch: b })).rejects.toThrow(/must have the quote columns/);
  });

  it('writes a dataset DuckDB reads with hive_partitioning', async () => {
    const root = nextRoot();
    const w = new DatasetWriter(root, { maxSec: 60 });
    const input: Record<EventKind, number> = { depth: 0, quote: 0, trade: 0, mark: 0 };
    for (const file of ['btcusdt_20240718.gz', 'btcusdt_20240719.gz']) {
      for await (const kb of readCapture(dataPath('binance-ws/usdm', file))) {
        input[kb.kind] += kb.batch.numRows;
        await w.write(kb);
      }
    }
    const summary = await w.close();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    for (const kind of EVENT_KINDS.filter((k) => input[k] > 0)) {
      const r = await con.runAndReadAll(
        `SELECT symbol, CAST(date AS VARCHAR) AS date, count(*)::DOUBLE AS n FROM read_parquet('${root}/${kind}/**/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY date`,
      );
      const rows = r.getRows() as [string, string, number][];
      expect(rows.reduce((n, row) => n + row[2], 0), kind).toBe(input[kind]);
      expect(Object.fromEntries(rows.map(([, date, n]) => [date, n])), kind).toEqual(summary.rows[kind].BTCUSDT);
    }
    con.closeSync();
  });
});
