import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { batchToEvents, eventsToBatch, f64Column, type KindBatch } from '../../src/core/batch.js';
import { EVENT_KINDS, type EventKind, type MarketEvent } from '../../src/core/events.js';
import { eventSchema } from '../../src/core/schema.js';
import { symbolCodes } from '../../src/io/batch-ops.js';
import { readCapture } from '../../src/io/capture.js';
import { openDataset, type Dataset, type SliceOptions } from '../../src/io/dataset.js';
import { DatasetWriter, type DatasetFormat } from '../../src/io/hive.js';
import { writeJsonl } from '../../src/io/jsonl.js';
import { writeParquet } from '../../src/io/parquet.js';
import { dataPath } from '../helpers/data.js';
import { anyEvent, byKind, SYMBOLS } from '../helpers/event-arbs.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ofi-dataset-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
let rootNo = 0;
const nextRoot = () => join(dir, `ds${++rootNo}`);

const KIND_RANK = Object.fromEntries(EVENT_KINDS.map((k, i) => [k, i])) as Record<EventKind, number>;
/** The merge order, written out plainly: time, kind, symbol; input order breaks the rest. */
function mergeOrder(events: readonly MarketEvent[]): MarketEvent[] {
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.ts - b.e.ts || KIND_RANK[a.e.type] - KIND_RANK[b.e.type] || (a.e.symbol < b.e.symbol ? -1 : a.e.symbol > b.e.symbol ? 1 : 0) || a.i - b.i)
    .map((x) => x.e);
}

function inSlice(e: MarketEvent, s: SliceOptions): boolean {
  return (
    (!s.kinds || s.kinds.includes(e.type)) &&
    (!s.symbols || s.symbols.includes(e.symbol)) &&
    (s.start === undefined || e.ts >= s.start) &&
    (s.end === undefined || e.ts < s.end)
  );
}

async function collect(it: AsyncIterable<KindBatch> | Iterable<KindBatch>): Promise<MarketEvent[]> {
  const out: MarketEvent[] = [];
  for await (const { kind, batch } of it) for (const e of batchToEvents(kind, batch)) out.push(e);
  return out;
}

/** Write events (in time order) through a DatasetWriter, a kind's events in chunks of `chunk`. */
async function writeDataset(root: string, events: readonly MarketEvent[], opts: { format: DatasetFormat; maxRows: number; maxSec: number; chunk: number }) {
  const w = new DatasetWriter(root, opts);
  const groups = byKind(events);
  for (const kind of EVENT_KINDS) {
    const list = groups[kind];
    for (let at = 0; at < list.length; at += opts.chunk) {
      const batch = eventsToBatch(kind, list.slice(at, at + opts.chunk) as never);
      if (batch) await w.write({ kind, batch });
    }
  }
  return w.close();
}

const T0 = Date.UTC(2024, 7, 7, 0, 0, 0);
const STEP = 2.5 * 3600_000; // 40 steps span four UTC days, and many events share a time

describe('openDataset / slice', () => {
  it('a slice equals the filter of the whole, in merge order (property)', async () => {
    // a wide spread (dates, pruning) and a narrow one (many sources meeting at one time)
    const ts = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 8, max: 11 })).map((k) => T0 + k * STEP);
    const window = fc.option(fc.integer({ min: -2, max: 42 }).map((k) => T0 + k * STEP - 1), { nil: undefined });
    const sliceArb = fc.record(
      {
        kinds: fc.subarray([...EVENT_KINDS], { minLength: 1 }),
        symbols: fc.subarray([...SYMBOLS], { minLength: 1 }),
        start: window,
        end: window,
        batchRows: fc.integer({ min: 1, max: 50 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(anyEvent({ ts }), { maxLength: 80 }),
        fc.constantFrom<DatasetFormat>('parquet', 'jsonl'),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 12 * 3600 }),
        fc.integer({ min: 1, max: 40 }),
        sliceArb,
        async (raw, format, maxRows, maxSec, chunk, slice) => {
          const events = [...raw].sort((a, b) => a.ts - b.ts); // stable: ties keep input order
          const root = nextRoot();
          await writeDataset(root, events, { format, maxRows, maxSec, chunk });
          const ds = await openDataset(root);
          expect(await collect(ds.slice()), 'the whole, merged').toEqual(mergeOrder(events));
          const want = mergeOrder(events.filter((e) => inSlice(e, slice)));
          const got = ds.slice(slice);
          const batches: KindBatch[] = [];
          for await (const kb of got) batches.push(kb);
          expect(batches.every((kb) => kb.batch.numRows > 0 && kb.batch.numRows <= (slice.batchRows ?? Infinity))).toBe(true);
          expect(await collect(batches), 'the slice').toEqual(want);
          const tables = await got.toTables();
          for (const kind of EVENT_KINDS) {
            const rows = tables[kind].batches.flatMap((b) => [...batchToEvents(kind, b)]);
            expect(rows, `${kind} table`).toEqual(want.filter((e) => e.type === kind));
          }
          await rm(root, { recursive: true, force: true });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('prunes by date directory and by part first time', async () => {
    const root = nextRoot();
    const events: MarketEvent[] = [];
    for (let k = 0; k < 40; k++) {
      events.push({ type: 'trade', symbol: 'BTCUSDT', ts: T0 + k * STEP, recvTs: Number.NaN, price: 1, qty: 1, side: 'buy', id: k, firstId: k, lastId: k, printKind: 'MARKET' });
    }
    await writeDataset(root, events, { format: 'parquet', maxRows: 2, maxSec: 1e6, chunk: 100 });
    const ds = await openDataset(root);
    const day2 = Date.UTC(2024, 7, 8);
    const files = ds.slice({ start: day2, end: day2 + 86_400_000 }).files();
    expect(new Set(files.map((f) => f.date))).toEqual(new Set(['2024-08-08']));
    // parts hold two trades 2.5 h apart; a window ending before a part's first time skips it
    const end = T0 + 10 * STEP; // the part starting at step 10 begins exactly at the end
    const names = ds.slice({ end }).files().map((f) => basename(f.path));
    expect(names).toContain(`part-${T0 + 8 * STEP}.parquet`);
    expect(names).not.toContain(`part-${T0 + 10 * STEP}.parquet`);
    const got = await collect(ds.slice({ end }));
    expect(got.map((e) => (e as { id: number }).id)).toEqual([...Array(10).keys()]);
  });

  it('reads single files: a Parquet file of one kind, a JSONL file of mixed kinds and symbols', async () => {
    const events: MarketEvent[] = fc.sample(anyEvent({ ts: fc.integer({ min: 0, max: 30 }).map((k) => T0 + k * 1000) }), { numRuns: 200, seed: 7 });
    events.sort((a, b) => a.ts - b.ts);
    const jsonl = join(dir, 'mixed.jsonl');
    const groups = byKind(events);
    await writeJsonl(jsonl, EVENT_KINDS.flatMap((k) => (groups[k].length ? [{ kind: k, batch: eventsToBatch(k, groups[k] as never)! }] : [])));
    const dsJ = await openDataset(jsonl);
    expect(dsJ.files()).toMatchObject([{ format: 'jsonl', kind: null, symbol: null }]);
    // one file of several symbols: ties across symbols keep file order, so compare per symbol
    const slice = { symbols: ['ETHUSDT'], start: T0 + 5000, end: T0 + 20_000 };
    expect(await collect(dsJ.slice(slice))).toEqual(mergeOrder(events.filter((e) => inSlice(e, slice))));
    const all = await collect(dsJ.slice());
    expect(all.length).toBe(events.length);
    for (let i = 1; i < all.length; i++) expect(all[i]!.ts >= all[i - 1]!.ts).toBe(true);

    // a refused line is reported once, however many kinds are read from the file
    const bad = join(dir, 'bad.jsonl');
    await writeJsonl(bad, [{ kind: 'quote', batch: eventsToBatch('quote', groups.quote as never)! }, { kind: 'trade', batch: eventsToBatch('trade', groups.trade as never)! }]);
    await appendFile(bad, '{"type":"trade","ts":"soon"}\n');
    const rejected: number[] = [];
    const tables = await (await openDataset(bad)).slice({ onReject: (r) => rejected.push(r.line) }).toTables();
    expect(rejected).toEqual([groups.quote.length + groups.trade.length + 1]);
    expect(tables.quote.numRows + tables.trade.numRows).toBe(groups.quote.length + groups.trade.length);

    const pq = join(dir, 'trades.parquet');
    const trades = groups.trade;
    await writeParquet(pq, eventSchema('trade'), [eventsToBatch('trade', trades as never)!]);
    const dsP = await openDataset(pq);
    expect(dsP.files()).toMatchObject([{ format: 'parquet', kind: 'trade' }]);
    const t = await dsP.slice({ symbols: ['BTCUSDT'] }).toTables();
    expect(t.trade.batches.flatMap((b) => [...batchToEvents('trade', b)])).toEqual(trades.filter((e) => e.symbol === 'BTCUSDT'));
    expect(t.quote.numRows).toBe(0);
    expect((await dsP.slice({ kinds: ['quote'] }).toTables()).trade.numRows).toBe(0);
  });

  describe('on real captures of two symbols', () => {
    let ds: Dataset;
    const input: KindBatch[] = [];
    beforeAll(async () => {
      for (const file of ['btcusdt_20240808.gz', 'ethusdt_20240808.gz']) {
        for await (const kb of readCapture(dataPath('binance-ws/usdm', file), { batchRows: 10_000 })) if (kb.kind !== 'depth') input.push(kb);
      }
      const root = nextRoot();
      const w = new DatasetWriter(root, { maxSec: 60 });
      for (const kb of input) await w.write(kb);
      await w.close();
      ds = await openDataset(root);
    }, 60_000);

    it('merges quotes and trades of BTCUSDT and ETHUSDT by (ts, kind, symbol)', async () => {
      // independent reference: every input row as (ts, kind, symbol, id), each (kind, symbol)
      // stream in its own order, then sorted stably by the merge key
      const rows: { ts: number; kind: EventKind; symbol: string; id: number; i: number }[] = [];
      for (const { kind, batch } of input) {
        const ts = f64Column(batch, 'ts');
        const id = f64Column(batch, kind === 'trade' ? 'id' : 'updateId');
        const { names, codes } = symbolCodes(batch);
        for (let r = 0; r < batch.numRows; r++) rows.push({ ts: ts[r]!, kind, symbol: names[codes[r]!]!, id: id[r]!, i: rows.length });
      }
      const streams = new Map<string, typeof rows>();
      for (const r of rows) {
        const k = `${r.kind}/${r.symbol}`;
        if (!streams.has(k)) streams.set(k, []);
        streams.get(k)!.push(r);
      }
      // a stream that goes back in time cannot be merged by time alone; say so rather than hide it
      let backwards = 0;
      for (const s of streams.values()) for (let i = 1; i < s.length; i++) if (s[i]!.ts < s[i - 1]!.ts) backwards++;
      expect(backwards, 'exchange times within one stream').toBeLessThanOrEqual(2);

      const got: string[] = [];
      let batches = 0;
      for await (const { kind, batch } of ds.slice()) {
        batches++;
        const ts = f64Column(batch, 'ts');
        const id = f64Column(batch, kind === 'trade' ? 'id' : 'updateId');
        const { names, codes } = symbolCodes(batch);
        for (let r = 0; r < batch.numRows; r++) got.push(`${ts[r]}|${kind}|${names[codes[r]!]}|${id[r]}`);
      }
      expect(got.length).toBe(rows.length);
      expect(new Set(got.map((g) => g.split('|')[2])), 'both symbols').toEqual(new Set(['BTCUSDT', 'ETHUSDT']));
      let outOfOrder = 0;
      for (let i = 1; i < got.length; i++) {
        const [ta, ka, sa] = got[i - 1]!.split('|');
        const [tb, kb, sb] = got[i]!.split('|');
        const a = [Number(ta), KIND_RANK[ka as EventKind], sa!] as const;
        const b = [Number(tb), KIND_RANK[kb as EventKind], sb!] as const;
        if (a[0] > b[0] || (a[0] === b[0] && (a[1] > b[1] || (a[1] === b[1] && a[2] > b[2])))) outOfOrder++;
      }
      expect(outOfOrder, 'only where a stream itself goes back').toBeLessThanOrEqual(backwards);
      expect(batches).toBeGreaterThan(1);
      // same multiset of rows
      const want = rows.map((r) => `${r.ts}|${r.kind}|${r.symbol}|${r.id}`).sort();
      expect([...got].sort()).toEqual(want);
    });

    it('slices a minute of one symbol, and stops early without trouble', async () => {
      const start = Date.UTC(2024, 7, 8, 23, 57);
      const end = start + 60_000;
      const tables = await ds.slice({ symbols: ['ETHUSDT'], start, end }).toTables();
      let want = 0;
      for (const { kind, batch } of input) {
        if (kind !== 'quote') continue;
        const ts = f64Column(batch, 'ts');
        const { names, codes } = symbolCodes(batch);
        for (let r = 0; r < batch.numRows; r++) if (names[codes[r]!] === 'ETHUSDT' && ts[r]! >= start && ts[r]! < end) want++;
      }
      expect(want).toBeGreaterThan(1000);
      expect(tables.quote.numRows).toBe(want);
      const sym = tables.quote.getChild('symbol')!;
      expect(new Set(sym.toArray())).toEqual(new Set(['ETHUSDT']));
      const files = ds.slice({ symbols: ['ETHUSDT'], start, end }).files();
      expect(files.every((f) => f.symbol === 'ETHUSDT')).toBe(true);
      expect(files.length).toBeLessThan(ds.files().length / 2);
      let n = 0;
      for await (const kb of ds.slice()) {
        n += kb.batch.numRows;
        if (n > 1000) break;
      }
      expect(n).toBeGreaterThan(1000);
    });
  });
});
