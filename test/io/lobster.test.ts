import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchToEvents, f64Column, type KindBatch } from '../../src/core/batch.js';
import { UserInputError, type RejectRecord } from '../../src/core/errors.js';
import type { DepthEvent, EventKind, QuoteEvent } from '../../src/core/events.js';
import { lobsterDayStartMs, lobsterName, readLobster, type LobsterReadOptions } from '../../src/io/lobster.js';
import { newReadStats, type ReadStats } from '../../src/io/source.js';
import { dataPath } from '../helpers/data.js';
import { writeZip } from '../helpers/zip-writer.js';

const STEM = 'AMZN_2012-06-21_34200000_57600000';
const L1_DIR = dataPath('lobster', 'LOBSTER_SampleFile_AMZN_2012-06-21_1');
const L1_ZIP = dataPath('lobster', 'LOBSTER_SampleFile_AMZN_2012-06-21_1.zip');
const L5_ZIP = dataPath('lobster', 'LOBSTER_SampleFile_AMZN_2012-06-21_5.zip');
const L1_MSG = join(L1_DIR, `${STEM}_message_1.csv`);
const L1_BOOK = join(L1_DIR, `${STEM}_orderbook_1.csv`);

const tmp = mkdtempSync(join(tmpdir(), 'lobster-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Read {
  batches: KindBatch[];
  stats: ReadStats;
  rejects: RejectRecord[];
}

async function read(path: string, options: LobsterReadOptions = {}): Promise<Read> {
  const stats = newReadStats();
  const rejects: RejectRecord[] = [];
  const batches: KindBatch[] = [];
  for await (const b of readLobster(path, { ...options, stats, onReject: (r) => rejects.push(r) })) batches.push(b);
  return { batches, stats, rejects };
}

function eventsOf<K extends EventKind>(batches: KindBatch[], kind: K) {
  return batches.filter((b) => b.kind === kind).flatMap((b) => [...batchToEvents(kind, b.batch)]);
}

function column(batches: KindBatch[], kind: EventKind, name: string): Float64Array {
  const parts = batches.filter((b) => b.kind === kind).map((b) => f64Column(b.batch, name));
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Index of the first difference of two columns (NaN equals NaN), or -1. */
function firstDiff(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** The event at 0-based position `i` among the events of one kind, materialised alone. */
function eventAt<K extends EventKind>(batches: KindBatch[], kind: K, i: number) {
  for (const b of batches) {
    if (b.kind !== kind) continue;
    if (i < b.batch.numRows) return [...batchToEvents(kind, b.batch.slice(i, i + 1))][0]!;
    i -= b.batch.numRows;
  }
  throw new Error(`no ${kind} event ${i}`);
}

/** Non-empty lines of a CSV text, split on commas (an independent reading). */
const rowsOf = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split(','));

const entryCache = new Map<string, Promise<string>>();
/** One zip entry's text, inflated by yauzl directly (not through the reader's code); cached. */
function entryText(zipPath: string, name: string): Promise<string> {
  const key = `${zipPath}:${name}`;
  if (!entryCache.has(key)) entryCache.set(key, inflateEntry(zipPath, name));
  return entryCache.get(key)!;
}

function inflateEntry(zipPath: string, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName !== name) return zip.readEntry();
        zip.openReadStream(e, (e2, s) => {
          if (e2 || !s) return reject(e2);
          const parts: Buffer[] = [];
          s.on('data', (d: Buffer) => parts.push(d));
          s.on('end', () => {
            zip.close();
            resolve(Buffer.concat(parts).toString('utf8'));
          });
        });
      });
      zip.on('end', () => reject(new Error(`${name} not in ${zipPath}`)));
      zip.readEntry();
    });
  });
}

/** Non-empty lines of a text. */
const linesOf = (text: string) => text.split('\n').filter((l) => l.length > 0);

/** What the reader should make of book line `r` (1-based) at level 1, straight from the CSV text. */
function quoteOf(book: string[], r: number) {
  const b = book[r - 1]!.split(',');
  return { updateId: r, askPrice: Number(b[0]) / 10000, askQty: Number(b[1]), bidPrice: Number(b[2]) / 10000, bidQty: Number(b[3]) };
}

// 34200.017459617 s after midnight of 2012-06-21 in New York (EDT, UTC−4)
const FIRST_TS = Date.UTC(2012, 5, 21, 13, 30, 0) + 17.459617;

describe('readLobster: level 1 (real AMZN sample)', () => {
  const msgs = rowsOf(readFileSync(L1_MSG, 'utf8'));
  const book = linesOf(readFileSync(L1_BOOK, 'utf8'));
  const executions = msgs.filter((m) => m[1] === '4' || m[1] === '5');
  const halts = msgs.filter((m) => m[1] === '7').length;
  let dir: Read;
  beforeAll(async () => {
    dir = await read(L1_DIR);
  });

  it('one quote per message row, one trade per execution, no depth at one level', () => {
    expect(dir.rejects).toEqual([]);
    expect(dir.stats.lines).toBe(msgs.length);
    expect(dir.stats.events.quote, 'message rows minus halts').toBe(msgs.length - halts);
    expect(dir.stats.events.trade).toBe(executions.length);
    expect(dir.stats.events.depth).toBe(0);
    expect(dir.stats.skipped.halt ?? 0).toBe(halts);
    expect(column(dir.batches, 'quote', 'updateId').length).toBe(msgs.length);
  });

  it('quotes carry level 1 of the book row, prices ÷ 10000, update id = row', () => {
    for (const r of [1, 2, 3, 1000, 30_000, msgs.length]) expect(eventAt(dir.batches, 'quote', r - 1), `row ${r}`).toMatchObject(quoteOf(book, r));
    const first = eventAt(dir.batches, 'quote', 0);
    expect(first).toMatchObject({ symbol: 'AMZN', askPrice: 223.95, bidPrice: 223.18 });
    expect(Number.isNaN(first.recvTs)).toBe(true);
  });

  it('timestamps: New York local seconds after midnight → UTC epoch ms', () => {
    const ts = column(dir.batches, 'quote', 'ts');
    expect(new Date(ts[0]!).toISOString()).toBe('2012-06-21T13:30:00.017Z');
    expect(Math.abs(ts[0]! - 1340285400017.459617)).toBeLessThan(1e-3);
    expect(Math.abs(ts[0]! - FIRST_TS)).toBeLessThan(1e-3);
    const lastSecs = Number(msgs.at(-1)![0]);
    expect(Math.abs(ts.at(-1)! - (Date.UTC(2012, 5, 21, 4) + lastSecs * 1000))).toBeLessThan(1e-3);
  });

  it('trades: price and size of the message, aggressor opposite to the resting order', () => {
    const trades = eventsOf(dir.batches, 'trade');
    const expected = executions.map((m) => ({
      price: Number(m[4]) / 10000,
      qty: Number(m[3]),
      side: m[5] === '-1' ? 'buy' : 'sell',
      id: Number(m[2]),
      printKind: m[1] === '4' ? 'MARKET' : 'HIDDEN',
    }));
    expect(trades.map(({ price, qty, side, id, printKind }) => ({ price, qty, side, id, printKind }))).toEqual(expected);
    // row 1 is a hidden sell order executed at 223.82: a buyer-initiated trade
    expect(trades[0]).toMatchObject({ ts: quoteTs(dir, 1), price: 223.82, qty: 1, side: 'buy', printKind: 'HIDDEN' });
  });

  it('the message CSV path, the order-book CSV path and the zip read the same as the folder', async () => {
    for (const p of [L1_MSG, L1_BOOK, L1_ZIP]) {
      const other = await read(p);
      expect(other.rejects, p).toEqual([]);
      expect(other.stats.events, p).toEqual(dir.stats.events);
      for (const [kind, cols] of [
        ['quote', ['ts', 'bidPrice', 'bidQty', 'askPrice', 'askQty', 'updateId']],
        ['trade', ['ts', 'price', 'qty', 'id']],
      ] as const) {
        for (const c of cols) expect(firstDiff(column(other.batches, kind, c), column(dir.batches, kind, c)), `${p} ${kind}.${c}`).toBe(-1);
      }
    }
  });

  it('symbol and time zone can be overridden', async () => {
    const r = await read(L1_ZIP, { symbol: 'AMZN.O', timeZone: 'UTC', batchRows: 100_000 });
    const q = eventsOf(r.batches, 'quote')[0]!;
    expect(q.symbol).toBe('AMZN.O');
    expect(Math.abs(q.ts - (Date.UTC(2012, 5, 21) + 34200017.459617))).toBeLessThan(1e-3);
  });
});

function quoteTs(r: Read, row: number): number {
  return column(r.batches, 'quote', 'ts')[row - 1]!;
}

describe('readLobster: level 5 (real AMZN sample zip, 24 MB inflated)', () => {
  let msgs: string[][];
  let book: string[];
  let r: Read;
  let rssGrowth = 0;
  let linesAtFirstBatch = 0;
  beforeAll(async () => {
    // streamed read first, measured before the test inflates the entries itself
    globalThis.gc?.();
    const rss0 = process.memoryUsage().rss;
    const stats = newReadStats();
    const batches: KindBatch[] = [];
    let maxRss = rss0;
    for await (const b of readLobster(L5_ZIP, { stats, batchRows: 8192 })) {
      if (batches.length === 0) linesAtFirstBatch = stats.lines;
      batches.push(b);
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
    }
    rssGrowth = maxRss - rss0;
    r = { batches, stats, rejects: [] };
    msgs = rowsOf(await entryText(L5_ZIP, `${STEM}_message_5.csv`));
    book = linesOf(await entryText(L5_ZIP, `${STEM}_orderbook_5.csv`));
  });

  it('streams: batches come while reading, memory stays bounded', () => {
    expect(linesAtFirstBatch, 'the first batch is cut after 8192 rows, not at the end').toBe(8192);
    expect(r.batches.length).toBeGreaterThan(30);
    // the batches themselves are kept by this test (~40 MB); whole inflated entries as strings would add ~50 MB more
    expect(rssGrowth, `RSS grew by ${(rssGrowth / 2 ** 20).toFixed(0)} MB`).toBeLessThan(150 * 2 ** 20);
  });

  it('counts equal an independent count of the message file', () => {
    expect(r.stats.lines).toBe(msgs.length);
    expect(book.length).toBe(msgs.length);
    const halts = msgs.filter((m) => m[1] === '7').length;
    expect(r.stats.events.quote).toBe(msgs.length - halts);
    expect(r.stats.events.depth).toBe(msgs.length - halts);
    expect(r.stats.events.trade).toBe(msgs.filter((m) => m[1] === '4' || m[1] === '5').length);
    expect(r.stats.skipped.halt ?? 0).toBe(halts);
    expect(r.stats.rejected).toBe(0);
  });

  it('depth snapshots hold all five levels of the book row; quotes its level 1', () => {
    for (const row of [1, 2, 777, 100_000, msgs.length]) {
      const b = book[row - 1]!.split(',').map(Number);
      const lvl = (off: number, scale: number) => [0, 1, 2, 3, 4].map((l) => b[4 * l + off]! / scale);
      expect(eventAt(r.batches, 'depth', row - 1), `row ${row}`).toMatchObject({
        isSnapshot: true,
        lastUpdateId: row,
        askPrices: lvl(0, 10000),
        askQtys: lvl(1, 1),
        bidPrices: lvl(2, 10000),
        bidQtys: lvl(3, 1),
      });
      expect(eventAt(r.batches, 'quote', row - 1), `row ${row}`).toMatchObject(quoteOf(book, row));
    }
    // every snapshot, read from the list columns: at most 5 levels a side, no dummy price
    for (const b of r.batches.filter((x) => x.kind === 'depth')) {
      for (const side of ['askPrices', 'bidPrices']) {
        const data = b.batch.getChild(side)!.data[0]!;
        const offsets = data.valueOffsets;
        let widest = 0;
        for (let i = 0; i < b.batch.numRows; i++) widest = Math.max(widest, offsets[i + 1]! - offsets[i]!);
        expect(widest).toBeLessThanOrEqual(5);
        const prices = data.children[0]!.values as Float64Array;
        expect(prices.every((p) => p > 0 && p < 1e5), 'no dummy price').toBe(true);
      }
    }
    expect(Math.abs(eventAt(r.batches, 'depth', 0).ts - FIRST_TS)).toBeLessThan(1e-3);
  });

  it('batches come in groups (depth, quote, trade) covering consecutive rows', () => {
    let prevMax = 0;
    let i = 0;
    while (i < r.batches.length) {
      const group: KindBatch[] = [];
      do group.push(r.batches[i++]!);
      while (i < r.batches.length && r.batches[i]!.kind !== 'depth');
      expect(group.map((b) => b.kind).slice(0, 2)).toEqual(['depth', 'quote']);
      const dIds = Array.from(f64Column(group[0]!.batch, 'lastUpdateId'));
      const qIds = Array.from(f64Column(group[1]!.batch, 'updateId'));
      expect(dIds).toEqual(qIds);
      expect(qIds[0]).toBe(prevMax + 1);
      prevMax = qIds.at(-1)!;
    }
    expect(prevMax).toBe(msgs.length);
  });
});

describe('readLobster: halts, dummy levels, mismatches and bad rows (files cut from the real sample)', () => {
  const msgText = readFileSync(L1_MSG, 'utf8').split('\n').slice(0, 40);
  const bookText = readFileSync(L1_BOOK, 'utf8').split('\n').slice(0, 40);

  function pairDir(name: string, msg: string[], bookRows: string[], level = 1): string {
    const d = join(tmp, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `${STEM}_message_${level}.csv`), msg.join('\n') + '\n');
    writeFileSync(join(d, `${STEM}_orderbook_${level}.csv`), bookRows.join('\n') + '\n');
    return d;
  }

  it('trading halts (type 7, as the ReadMe shows them) are counted, not turned into events', async () => {
    const t = msgText[9]!.split(',')[0];
    // halt, quoting and resume messages; their book rows repeat the preceding state
    const halt = [`${t},7,0,0,-1,-1`, `${t},7,0,0,0,-1`, `${t},7,0,0,1,-1`];
    const msg = [...msgText.slice(0, 10), ...halt, ...msgText.slice(10)];
    const bookRows = [...bookText.slice(0, 10), bookText[9]!, bookText[9]!, bookText[9]!, ...bookText.slice(10)];
    const r = await read(pairDir('halts', msg, bookRows));
    expect(r.rejects).toEqual([]);
    expect(r.stats.skipped.halt).toBe(3);
    expect(r.stats.events.quote).toBe(40);
    expect(Array.from(column(r.batches, 'quote', 'updateId').slice(8, 12)), 'update id is the row number, halts included').toEqual([9, 10, 14, 15]);
  });

  it('dummy levels (±9999999999, size 0) are dropped from depth; an empty level 1 side quotes NaN', async () => {
    const l5 = (await entryText(L5_ZIP, `${STEM}_orderbook_5.csv`)).split('\n', 3).map((l) => l.split(','));
    const l5msg = (await entryText(L5_ZIP, `${STEM}_message_5.csv`)).split('\n', 3);
    const thin = [...l5[0]!];
    thin.splice(12, 8, '9999999999', '0', thin[14]!, thin[15]!, '9999999999', '0', '-9999999999', '0'); // asks: 3 levels; bids: 4
    const empty = [...l5[1]!];
    for (let l = 0; l < 5; l++) empty.splice(4 * l, 2, '9999999999', '0'); // no asks at all
    const d = pairDir('dummies', l5msg, [thin.join(','), empty.join(','), l5[2]!.join(',')], 5);
    const r = await read(d);
    expect(r.rejects).toEqual([]);
    const depths = eventsOf(r.batches, 'depth') as DepthEvent[];
    expect(depths.map((x) => [x.askPrices.length, x.bidPrices.length])).toEqual([
      [3, 4],
      [0, 5],
      [5, 5],
    ]);
    expect(depths[0]!.askQtys.every((q) => q > 0)).toBe(true);
    const q = (eventsOf(r.batches, 'quote') as QuoteEvent[])[1]!;
    expect(Number.isNaN(q.askPrice) && q.askQty === 0).toBe(true);
    expect(q.bidPrice).toBe(Number(l5[1]![2]) / 10000);
  });

  it('a message file longer than its book: the extra rows are rejected, the rest read', async () => {
    const r = await read(pairDir('short-book', msgText, bookText.slice(0, 37)));
    expect(r.stats.events.quote).toBe(37);
    expect(r.rejects.map((x) => [x.line, x.reason])).toEqual([
      [38, 'bad-row'],
      [39, 'bad-row'],
      [40, 'bad-row'],
    ]);
    expect(r.rejects[0]!.file).toMatch(/message_1\.csv$/);
    expect(r.rejects[0]!.message).toMatch(/no order-book row: .*orderbook_1\.csv ends after 37 rows/);
    const back = await read(pairDir('short-msg', msgText.slice(0, 38), bookText));
    expect(back.rejects.map((x) => [x.file.endsWith('orderbook_1.csv'), x.line])).toEqual([
      [true, 39],
      [true, 40],
    ]);
  });

  it('bad rows are rejected with file, line and column; the rest intact', async () => {
    const msg = [...msgText];
    msg[4] = msg[4]!.replace(/,(-?1)$/, ',2'); // direction
    msg[6] = msg[6]!.split(',').slice(0, 5).join(','); // direction missing
    msg[8] = msg[8]!.replace(/^([^,]+),(\d),(\d+),(\d+),/, '$1,$2,$3,1x,'); // size
    const bookRows = [...bookText];
    bookRows[0] = bookRows[0]!.split(',').slice(0, 3).join(','); // first row short: levels from the name
    bookRows[11] = bookRows[11]!.replace(/^(\d+),(\d+),/, '$1,,'); // ask size empty
    const d = pairDir('bad', msg, bookRows);
    const r = await read(d);
    expect(r.rejects.map((x) => [x.file.split('_').pop(), x.line, x.field, x.reason])).toEqual([
      ['1.csv', 1, 'bid_size_1', 'missing-field'],
      ['1.csv', 5, 'direction', 'bad-value'],
      ['1.csv', 7, 'direction', 'missing-field'],
      ['1.csv', 9, 'size', 'bad-number'],
      ['1.csv', 12, 'ask_size_1', 'bad-number'],
    ]);
    expect(r.rejects.map((x) => /message|orderbook/.exec(x.file)![0])).toEqual(['orderbook', 'message', 'message', 'message', 'orderbook']);
    expect(r.rejects[3]!.message).toContain("got '1x'");
    expect(r.stats.events.quote).toBe(35);
    const ids = Array.from(column(r.batches, 'quote', 'updateId'));
    expect(ids).toEqual([...Array(40).keys()].map((i) => i + 1).filter((i) => ![1, 5, 7, 9, 12].includes(i)));
  });

  it('missing or ambiguous input is a one-line UserInputError', async () => {
    const lone = join(tmp, 'lone');
    mkdirSync(lone);
    writeFileSync(join(lone, `${STEM}_message_1.csv`), msgText.join('\n'));
    await expect(read(join(lone, `${STEM}_message_1.csv`))).rejects.toThrow(/order-book file .*orderbook_1\.csv is missing/);
    await expect(read(lone)).rejects.toBeInstanceOf(UserInputError);
    const notLobster = join(tmp, 'x.csv');
    writeFileSync(notLobster, '1,2\n');
    await expect(read(notLobster)).rejects.toThrow(/not a LOBSTER file name/);
    const oddZip = join(tmp, 'odd.zip');
    writeZip(oddZip, { 'readme.txt': 'hello' });
    await expect(read(oddZip)).rejects.toThrow(/no LOBSTER pair/);
    await expect(read(join(tmp, 'nope'))).rejects.toThrow(/no such file/);
  });
});

describe('LOBSTER names and days', () => {
  it('parses the naming convention', () => {
    expect(lobsterName(`x/${STEM}_orderbook_10.csv`)).toEqual({ ticker: 'AMZN', date: '2012-06-21', part: 'orderbook', level: 10, sibling: `${STEM}_message_10.csv` });
    expect(lobsterName('AMZN.csv')).toBeNull();
  });

  it('takes the New York offset of the date from Intl: EDT in June, EST in January', () => {
    expect(lobsterDayStartMs('2012-06-21', 'America/New_York')).toBe(Date.UTC(2012, 5, 21, 4));
    expect(lobsterDayStartMs('2012-01-03', 'America/New_York')).toBe(Date.UTC(2012, 0, 3, 5));
    expect(lobsterDayStartMs('2012-06-21', 'UTC')).toBe(Date.UTC(2012, 5, 21));
    expect(() => lobsterDayStartMs('2012-06-21', 'Mars/Olympus')).toThrow(UserInputError);
  });
});
