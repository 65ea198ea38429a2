/**
 * The DataReader's merged stream against a naive merge: every event of every source as an
 * object, sorted by (exchange time, kind order, symbol, source order) — a stable sort over the
 * events listed source by source, kind by kind, in each kind's own order. On random sources and
 * on the real captures (BTCUSDT + ETHUSDT of the same window); through the streaming reader in
 * small chunks, the one-table reader, and in-memory Arrow tables.
 *
 * The captures hold one row that goes back in its kind's own stream: the REST depth snapshot,
 * recorded when it was received, after diffs with later exchange times (8 ms later on BTCUSDT).
 * A merge hands a source's rows out in the source's own order (it does not sort a stream), so
 * there the stream equals the naive sort once those rows are set aside, and equals, row for
 * row, the naive k-way merge that takes the least of the (source, kind) lists' next events.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Table, type RecordBatch } from 'apache-arrow';
import { UserInputError } from '../../src/core/errors.js';
import { batchToEvents, eventsToBatch } from '../../src/core/batch.js';
import { EVENT_KINDS, type EventKind, type MarketEvent } from '../../src/core/events.js';
import { readSource } from '../../src/io/detect.js';
import { writeJsonl } from '../../src/io/jsonl.js';
import { eventTableFromTables, EventTable, EventView, StreamMerge } from '../../src/backtest/data-reader.js';
import { convertSources } from '../../src/io/convert.js';
import { openDataset } from '../../src/io/dataset.js';
import { IpcCache } from '../../src/io/ipc-cache.js';
import { cachedEventTable, DataReader, type DataReaderOptions, type DataReadReport } from '../../src/runs/backtest-data.js';
import { QUARANTINE_FILE } from '../../src/io/quarantine.js';
import { dataPath } from '../helpers/data.js';

const BTC = dataPath('binance-ws', 'usdm', 'btcusdt_20240808.gz');
const ETH = dataPath('binance-ws', 'usdm', 'ethusdt_20240808.gz');
const RANK: Record<EventKind, number> = { depth: 0, quote: 1, trade: 2, mark: 3 };

/** A level list in short: its length, first and last value, and a position-weighted sum (an order change shows). */
function levels(xs: readonly number[]): string {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (i + 1) * xs[i]!;
  return `${xs.length}:${xs[0]}:${xs[xs.length - 1]}:${s}`;
}

/** One line per event: what identifies it and its values. */
function keyOf(e: MarketEvent): string {
  const base = `${e.type}|${e.symbol}|${e.ts}|${e.recvTs}`;
  switch (e.type) {
    case 'quote':
      return `${base}|${e.bidPrice}|${e.bidQty}|${e.askPrice}|${e.askQty}|${e.updateId}`;
    case 'trade':
      return `${base}|${e.price}|${e.qty}|${e.side}|${e.id}|${e.firstId}|${e.lastId}|${e.printKind}`;
    case 'depth':
      return `${base}|${e.isSnapshot}|${e.firstUpdateId}|${e.lastUpdateId}|${e.prevUpdateId}|${levels(e.bidPrices)}|${levels(e.bidQtys)}|${levels(e.askPrices)}|${levels(e.askQtys)}`;
    case 'mark':
      return `${base}|${e.markPrice}|${e.indexPrice}|${e.fundingRate}|${e.nextFundingTime}`;
  }
}

/** The naive merge: events of sources (each listed kind by kind in its own order), stably sorted by (ts, kind, symbol, source). */
function naive(sources: readonly (readonly MarketEvent[])[]): string[] {
  const all = sources.flatMap((evs, src) => evs.map((e, i) => ({ e, src, i })));
  all.sort((a, b) => a.e.ts - b.e.ts || RANK[a.e.type] - RANK[b.e.type] || (a.e.symbol < b.e.symbol ? -1 : a.e.symbol > b.e.symbol ? 1 : 0) || a.src - b.src);
  return all.map((x) => keyOf(x.e));
}

/** The naive k-way merge: the least next event of the lists (each a source's kind in its own order), again and again. */
function headMerge(lists: readonly (readonly MarketEvent[])[], srcOf: readonly number[]): string[] {
  const pos = lists.map(() => 0);
  const out: string[] = [];
  for (;;) {
    let best = -1;
    for (let l = 0; l < lists.length; l++) {
      const e = lists[l]![pos[l]!];
      if (!e) continue;
      if (best < 0) {
        best = l;
        continue;
      }
      const b = lists[best]![pos[best]!]!;
      const c = e.ts - b.ts || RANK[e.type] - RANK[b.type] || (e.symbol < b.symbol ? -1 : e.symbol > b.symbol ? 1 : 0) || srcOf[l]! - srcOf[best]!;
      if (c < 0) best = l;
    }
    if (best < 0) return out;
    out.push(keyOf(lists[best]![pos[best]!++]!));
  }
}

/** Keys of a table's events in merged order, through the object view (which also checks it). */
function keysOf(tables: readonly EventTable[]): string[] {
  const view = new EventView();
  const out: string[] = [];
  let badTimes = 0;
  for (const t of tables) {
    for (let i = 0; i < t.length; i++) {
      const e = view.at(t, i);
      if (!(e.ts === t.ts[i] || (Number.isNaN(e.ts) && Number.isNaN(t.ts[i]!)))) badTimes++;
      out.push(keyOf(e));
    }
  }
  expect(badTimes, 'the merged ts column is the row\'s own time').toBe(0);
  return out;
}

/** Every event of a file, kind by kind, each kind in file order. */
async function eventsOf(path: string): Promise<{ events: MarketEvent[]; tables: Partial<Record<EventKind, Table>> }> {
  const byKind: Record<EventKind, RecordBatch[]> = { depth: [], quote: [], trade: [], mark: [] };
  for await (const { kind, batch } of readSource(path)) byKind[kind].push(batch);
  const events: MarketEvent[] = [];
  const tables: Partial<Record<EventKind, Table>> = {};
  for (const k of EVENT_KINDS) {
    for (const b of byKind[k]) events.push(...batchToEvents(k, b));
    if (byKind[k].length) tables[k] = new Table(byKind[k]);
  }
  return { events, tables };
}

function firstDifference(a: readonly string[], b: readonly string[]): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return `event ${i}: ${a[i]} ≠ ${b[i]}`;
  return '';
}

describe('DataReader on the real captures (BTCUSDT + ETHUSDT, same window)', () => {
  it('the merged stream equals the naive merge, streamed in small chunks, as one table, and from Arrow tables', async () => {
    const btc = await eventsOf(BTC);
    const eth = await eventsOf(ETH);
    const sorted = naive([btc.events, eth.events]);
    expect(sorted.length).toBe(btc.events.length + eth.events.length);
    const lists = [btc, eth].flatMap((s) => EVENT_KINDS.map((k) => s.events.filter((e) => e.type === k)));
    const want = headMerge(lists, [0, 0, 0, 0, 1, 1, 1, 1]);
    // the rows that go back in their own kind's stream: the REST snapshots, one per capture
    const late = lists.flatMap((l) => l.filter((e, i) => i > 0 && e.ts < l[i - 1]!.ts).map(keyOf));
    expect(late.map((k) => k.split('|').slice(0, 5).join('|'))).toEqual([
      expect.stringMatching(/^depth\|BTCUSDT\|\d+\|[\d.]+\|true$/),
      expect.stringMatching(/^depth\|ETHUSDT\|\d+\|[\d.]+\|true$/),
    ]);
    const lateSet = new Set(late);
    expect(firstDifference(want.filter((k) => !lateSet.has(k)), sorted.filter((k) => !lateSet.has(k))), 'equals the naive sort but for the late rows').toBe('');

    // small batches and chunks: many boundaries of each kind fall inside the others' runs
    const reader = await DataReader.open([BTC, ETH], { batchRows: 1000, chunk: 777 });
    const chunks: EventTable[] = [];
    for await (const c of reader.chunks()) {
      expect(c.length).toBeLessThanOrEqual(777);
      chunks.push(c);
    }
    const streamed = keysOf(chunks);
    expect(firstDifference(streamed, want)).toBe('');
    expect(reader.report.sources.map((s) => s.events.quote + s.events.trade + s.events.depth)).toEqual([btc.events.length, eth.events.length]);

    const whole = await (await DataReader.open([ETH, BTC])).table();
    expect(firstDifference(keysOf([whole]), want), 'source order only breaks ties within a symbol').toBe('');

    const fromTables = eventTableFromTables([btc.tables, eth.tables]);
    expect(firstDifference(keysOf([fromTables]), want)).toBe('');
    expect(fromTables.symbols.slice().sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
  });

  it('an empty list of inputs is refused with an error, not read as a market with no events', async () => {
    const err = await DataReader.open([]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect((err as UserInputError).code).toBe('E_INPUT');
    expect((err as Error).message).toMatch(/^no input files were given: name at least one capture/);
  });

  it('the chunks are views of fresh memory: an earlier chunk is unchanged by later ones', async () => {
    const reader = await DataReader.open([BTC], { chunk: 5000 });
    const it = reader.chunks();
    const first = (await it.next()).value as EventTable;
    const snapshot = Array.from(first.ts);
    for await (const _ of it) void _;
    expect(Array.from(first.ts)).toEqual(snapshot);
  });
});

describe('DataReader on every kind of source', () => {
  it('LOBSTER, a Binance dump, a multi-symbol aggTrade capture and a capture together: every event once, in the naive merge order', async () => {
    const paths = [
      dataPath('lobster', 'LOBSTER_SampleFile_AMZN_2012-06-21_1.zip'),
      dataPath('binance-dumps', 'BTCUSDT-bookTicker-2023-10-02-short.csv'),
      dataPath('binance-ws', 'recorded-aggtrade', 'BINANCE_FUTURES.ws.1.0'),
      dataPath('binance-ws', 'usdm', 'btcusdt_20240718.gz'),
    ];
    // the dump carries no symbol: the option names it (and, as in the io readers, overrides the others' file-name guesses)
    const options = { symbol: 'BTCUSDT' };
    const lists: MarketEvent[][] = [];
    const srcOf: number[] = [];
    for (const [i, path] of paths.entries()) {
      const evs: MarketEvent[] = [];
      for await (const { kind, batch } of readSource(path, options)) evs.push(...batchToEvents(kind, batch));
      for (const k of EVENT_KINDS) {
        lists.push(evs.filter((e) => e.type === k));
        srcOf.push(i);
      }
    }
    const reader = await DataReader.open(paths, { ...options, chunk: 1000 });
    const chunks: EventTable[] = [];
    for await (const c of reader.chunks()) chunks.push(c);
    expect(reader.report.sources.map((s) => s.error ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'ok']);
    const want = headMerge(lists, srcOf);
    expect(want.length).toBeGreaterThan(80_000);
    expect(firstDifference(keysOf(chunks), want)).toBe('');
  });
});

describe('DataReader over a dataset folder', () => {
  it('the dataset written from two captures streams (its files\' own batches, in runs) as the captures do, in chunks of any size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ofi-reader-ds-'));
    try {
      // the bundled sample: 180 s of BTCUSDT and ETHUSDT, finely interleaved
      const inputs = ['btcusdt_20240808.gz', 'ethusdt_20240808.gz'].map((f) => fileURLToPath(new URL(`../../data/sample/${f}`, import.meta.url)));
      await convertSources(inputs, { out: join(dir, 'ds') });
      const direct = keysOf([await (await DataReader.open(inputs)).table()]);
      const chunks: EventTable[] = [];
      for await (const c of (await DataReader.open([join(dir, 'ds')], { chunk: 777 })).chunks()) chunks.push(c);
      expect(chunks.length).toBe(Math.ceil(direct.length / 777));
      expect(firstDifference(keysOf(chunks), direct)).toBe('');
      // the runs cover every row of the slice's batches once, in the same order, and are views of few batches
      const slice = (await openDataset(join(dir, 'ds'))).slice({});
      let rows = 0;
      const batches = new Set<unknown>();
      for await (const r of slice.runs()) {
        rows += r.to - r.from;
        batches.add(r.batch);
      }
      let merged = 0;
      for await (const kb of slice.batches()) merged += kb.batch.numRows;
      expect(rows).toBe(merged);
      expect(batches.size).toBeLessThan(100);
      // the same runs in blocks (what the reader takes: an async step per block, not per run)
      const one: string[] = [];
      for await (const r of slice.runs()) one.push(`${r.kind} ${r.batch.numRows} ${r.from} ${r.to}`);
      const blocked: string[] = [];
      let blocks = 0;
      for await (const block of (await openDataset(join(dir, 'ds'))).slice({}).runBlocks()) {
        blocks++;
        expect(block.length, 'no empty block').toBeGreaterThan(0);
        for (const r of block) blocked.push(`${r.kind} ${r.batch.numRows} ${r.from} ${r.to}`);
      }
      expect(blocked).toEqual(one);
      expect(blocks).toBeLessThan(one.length / 100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('DataReader through the Arrow IPC cache, for sweeps', () => {
  it('a dataset slice from the cache (a miss, then a hit) gives the stream of the capture it was converted from; shared memory survives a structured clone; folds by time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ofi-reader-ipc-'));
    try {
      const capture = dataPath('binance-ws', 'usdm', 'btcusdt_20240718.gz');
      await convertSources([capture], { out: join(dir, 'ds') });
      const cache = new IpcCache(join(dir, 'cache'));
      const slice = (await openDataset(join(dir, 'ds'))).slice({});
      const miss = await cachedEventTable(cache, slice);
      const hit = await cachedEventTable(cache, slice, { shared: true });
      expect([miss.hit, hit.hit]).toEqual([false, true]);
      const direct = keysOf([await (await DataReader.open([capture])).table()]);
      expect(firstDifference(keysOf([miss.table]), direct)).toBe('');
      expect(firstDifference(keysOf([hit.table]), direct)).toBe('');
      expect(hit.table.quote.bidPrice.buffer).toBeInstanceOf(SharedArrayBuffer);
      // what a worker receives: the same memory, not a copy
      const copy = EventTable.fromData(structuredClone(hit.table.data()));
      expect(copy.quote.bidPrice.buffer).toBeInstanceOf(SharedArrayBuffer);
      hit.table.quote.bidPrice[0] = -1;
      expect(copy.quote.bidPrice[0]).toBe(-1);
      // a fold: the events of one minute, counted against the times
      const t = miss.table;
      const start = Date.parse('2024-07-18T23:58:00Z');
      const fold = t.between(start, start + 60_000);
      let inside = 0;
      for (let i = 0; i < t.length; i++) if (t.ts[i]! >= start && t.ts[i]! < start + 60_000) inside++;
      expect(fold.length).toBe(inside);
      expect(fold.ts[0]!).toBeGreaterThanOrEqual(start);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- random sources ----------------------------------------------------------------------

const SYMBOLS = ['AAA', 'BBB', 'CCC'];

/** A random source: one symbol, each kind's times non-decreasing, small integer times so ties are common. */
const sourceArb = fc
  .record({
    symbol: fc.constantFrom(...SYMBOLS),
    kinds: fc.array(fc.record({ kind: fc.constantFrom<EventKind>('depth', 'quote', 'trade', 'mark'), dt: fc.integer({ min: 0, max: 3 }), v: fc.integer({ min: 1, max: 999 }) }), { maxLength: 60 }),
  })
  .map(({ symbol, kinds }) => {
    const t: Record<string, number> = { depth: 0, quote: 0, trade: 0, mark: 0 };
    const byKind: Record<EventKind, MarketEvent[]> = { depth: [], quote: [], trade: [], mark: [] };
    for (const { kind, dt, v } of kinds) {
      t[kind]! += dt;
      const ts = 1_700_000_000_000 + t[kind]!;
      const base = { symbol, ts, recvTs: ts + v / 100 };
      const e: MarketEvent =
        kind === 'quote'
          ? { type: 'quote', ...base, bidPrice: v, bidQty: 1, askPrice: v + 1, askQty: 2, updateId: v }
          : kind === 'trade'
            ? { type: 'trade', ...base, price: v, qty: 1, side: v % 2 ? 'buy' : 'sell', id: v, firstId: v, lastId: v, printKind: v % 5 ? 'MARKET' : 'INSURANCE_FUND' }
            : kind === 'depth'
              ? { type: 'depth', ...base, isSnapshot: v % 7 === 0, firstUpdateId: v, lastUpdateId: v + 1, prevUpdateId: v - 1, bidPrices: Array.from({ length: v % 4 }, (_, i) => v - i), bidQtys: Array.from({ length: v % 4 }, () => 1), askPrices: [v + 1], askQtys: [3] }
              : { type: 'mark', ...base, markPrice: v, indexPrice: v, fundingRate: 1e-4, nextFundingTime: ts + 1000 };
      byKind[kind].push(e);
    }
    return { symbol, byKind };
  });

type Source = { symbol: string; byKind: Record<EventKind, MarketEvent[]> };

function eventsBySource(sources: readonly Source[]): MarketEvent[][] {
  return sources.map((s) => EVENT_KINDS.flatMap((k) => s.byKind[k]));
}

/** A source's kinds as tables, each cut into batches of random sizes. */
function tablesOf(s: Source, cut: number): Partial<Record<EventKind, Table>> {
  const out: Partial<Record<EventKind, Table>> = {};
  for (const k of EVENT_KINDS) {
    const evs = s.byKind[k];
    if (evs.length === 0) continue;
    const batches: RecordBatch[] = [];
    for (let i = 0; i < evs.length; i += cut) batches.push(eventsToBatch(k, evs.slice(i, i + cut) as never)!);
    out[k] = new Table(batches);
  }
  return out;
}

describe('DataReader on random sources', () => {
  it('in-memory tables in batches of any size, and chunks of any size, give the naive merge', () => {
    fc.assert(
      fc.property(fc.array(sourceArb, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 50 }), (sources, cut, chunk) => {
        const want = naive(eventsBySource(sources));
        expect(firstDifference(keysOf([eventTableFromTables(sources.map((s) => tablesOf(s, cut)))]), want)).toBe('');
        // the same lanes through the chunked merge
        const lanes = sources.flatMap((s) => EVENT_KINDS.filter((k) => s.byKind[k].length).map((k) => ({ k, batches: tablesOf(s, cut)[k]!.batches, next: 0 })));
        const m = new StreamMerge(lanes.length, { chunk });
        const chunks: EventTable[] = [];
        for (;;) {
          const l = m.needs();
          if (l >= 0) {
            const lane = lanes[l]!;
            if (lane.next < lane.batches.length) m.push(l, lane.k, lane.batches[lane.next++]!);
            else m.end(l);
            continue;
          }
          const t = m.take();
          if (t) chunks.push(t);
          if (m.done) break;
        }
        const last = m.finish();
        if (last) chunks.push(last);
        for (const c of chunks) expect(c.length).toBeLessThanOrEqual(chunk);
        expect(firstDifference(keysOf(chunks), want)).toBe('');
      }),
      { numRuns: 150 },
    );
  });

  it('files (JSONL, kinds interleaved in time) read by the streaming reader give the naive merge', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ofi-reader-'));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(sourceArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 40 }), async (sources, chunk) => {
          const paths: string[] = [];
          sources = sources.filter((s) => EVENT_KINDS.some((k) => s.byKind[k].length > 0));
          if (sources.length === 0) {
            // no files: refused by name, not read as a market with no events
            await expect(DataReader.open([])).rejects.toThrow(/no input files were given/);
            return;
          }
          for (const [i, s] of sources.entries()) {
            // a file in time order across kinds, as a recorder writes it (kind order on ties)
            const evs = EVENT_KINDS.flatMap((k) => s.byKind[k]).sort((a, b) => a.ts - b.ts || RANK[a.type] - RANK[b.type]);
            const path = join(dir, `src${i}-${Math.random().toString(36).slice(2)}.jsonl`);
            await writeJsonl(path, evs.map((e) => ({ kind: e.type, batch: eventsToBatch(e.type, [e] as never)! })));
            paths.push(path);
          }
          const reader = await DataReader.open(paths, { chunk, batchRows: 3 });
          const chunks: EventTable[] = [];
          for await (const c of reader.chunks()) chunks.push(c);
          expect(firstDifference(keysOf(chunks), naive(eventsBySource(sources)))).toBe('');
        }),
        { numRuns: 40 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Every array and string of a table, in order: equal bytes give equal fingerprints. */
function tableBytes(tables: readonly EventTable[]): string {
  const h = createHash('sha256');
  const walk = (o: object): void => {
    for (const [k, v] of Object.entries(o)) {
      h.update(k);
      if (ArrayBuffer.isView(v)) h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      else if (Array.isArray(v)) h.update(JSON.stringify(v));
      else if (v !== null && typeof v === 'object') walk(v);
      else h.update(String(v));
    }
  };
  for (const t of tables) walk(t.data());
  return h.digest('hex');
}

/** Every chunk and the report; a consumer slower than the reading waits `delayMs` after each chunk. */
async function readAll(inputs: string[], options: DataReaderOptions, delayMs = 0): Promise<{ chunks: EventTable[]; report: unknown }> {
  const reader = await DataReader.open(inputs, options);
  const chunks: EventTable[] = [];
  for await (const c of reader.chunks()) {
    chunks.push(c);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  }
  return { chunks, report: reader.report };
}

describe('DataReader on a worker thread', () => {
  it('gives the chunks and the report read here, byte for byte: captures, LOBSTER, a dump, refused lines and a source cut short', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ofi-reader-worker-'));
    try {
      // a real capture with two damaged lines, and one cut off mid-stream
      const lines = gunzipSync(readFileSync(BTC)).toString('utf8').split('\n').slice(0, 4000);
      lines[10] = lines[10]!.slice(0, 80);
      const trade = lines.findIndex((l, i) => i > 100 && l.includes('@trade'));
      lines[trade] = lines[trade]!.replace(/"p":"[^"]*"/, '"p":"12,5"');
      const damaged = join(dir, 'btcusdt_20240808_damaged.txt');
      writeFileSync(damaged, `${lines.join('\n')}\n`);
      const whole = readFileSync(ETH);
      const cut = join(dir, 'ethusdt_20240808.gz');
      writeFileSync(cut, whole.subarray(0, whole.length >> 1));
      const inputs = [damaged, cut, dataPath('lobster', 'LOBSTER_SampleFile_AMZN_2012-06-21_1.zip'), dataPath('binance-dumps', 'BTCUSDT-bookTicker-2023-10-02-short.csv')];
      for (const chunk of [777, 16_384]) {
        const here = await readAll(inputs, { symbol: 'BTCUSDT', chunk, quarantineDir: join(dir, `q-here-${chunk}`) });
        // a slow consumer and one chunk ahead: the worker waits for each acknowledgement
        const there = await readAll(inputs, { symbol: 'BTCUSDT', chunk, quarantineDir: join(dir, `q-worker-${chunk}`), worker: true, ahead: 1 }, chunk < 1000 ? 5 : 0);
        expect(there.chunks.length).toBe(here.chunks.length);
        expect(there.chunks.map((c) => c.length)).toEqual(here.chunks.map((c) => c.length));
        expect(tableBytes(there.chunks)).toBe(tableBytes(here.chunks));
        const report = (r: unknown): string => JSON.stringify(r).replaceAll(`q-worker-${chunk}`, `q-here-${chunk}`);
        expect(report(there.report)).toBe(report(here.report));
        const { sources, quarantine } = there.report as DataReadReport;
        expect(quarantine?.count, 'the damaged lines are quarantined by the worker').toBe(2);
        expect(readFileSync(join(dir, `q-worker-${chunk}`, QUARANTINE_FILE), 'utf8')).toBe(readFileSync(join(dir, `q-here-${chunk}`, QUARANTINE_FILE), 'utf8'));
        expect(sources[1]!.error, 'the cut source keeps what it gave and says why it ended').toBeTruthy();
        expect(sources.filter((s) => s.error === undefined)).toHaveLength(3);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a caller that stops early stops the worker, and a failing read throws with the toolkit\'s error', async () => {
    // a worker thread is a thread of this process (Linux lists them in /proc/self/task)
    const threads = (): number => readdirSync('/proc/self/task').length;
    const before = threads();
    const reader = await DataReader.open([BTC, ETH], { worker: true, chunk: 1000 });
    let n = 0;
    for await (const c of reader.chunks()) {
      expect(c.length).toBe(1000);
      if (++n === 1) expect(threads(), 'the worker runs').toBeGreaterThan(before);
      if (n === 3) break;
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(threads(), 'the worker is gone').toBeLessThanOrEqual(before);

    // a quarantine folder that cannot be made (a file stands in its way): the same error as read here
    const dir = mkdtempSync(join(tmpdir(), 'ofi-reader-worker-'));
    try {
      const blocker = join(dir, 'file');
      writeFileSync(blocker, '');
      const lines = gunzipSync(readFileSync(BTC)).toString('utf8').split('\n').slice(0, 100);
      lines[5] = '{';
      const damaged = join(dir, 'btcusdt_20240808_damaged.txt');
      writeFileSync(damaged, `${lines.join('\n')}\n`);
      const quarantineDir = join(blocker, 'q');
      const here = await readAll([damaged], { quarantineDir }).then(() => null, (e: Error) => e);
      const there = await readAll([damaged], { quarantineDir, worker: true }).then(() => null, (e: Error) => e);
      expect(here).toBeInstanceOf(Error);
      expect(there).toBeInstanceOf(Error);
      expect(there!.message).toContain(here!.message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
