import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { kindBatchesToEvents, type KindBatch } from '../../src/core/batch.js';
import { UserInputError, type RejectRecord } from '../../src/core/errors.js';
import type { MarketEvent, QuoteEvent, TradeEvent } from '../../src/core/events.js';
import { detectTimeUnit } from '../../src/core/time.js';
import { DumpBookTickerRow } from '../../src/core/wire.js';
import { readBinanceDump } from '../../src/io/binance-dump.js';
import { newReadStats, type ReadOptions, type ReadStats } from '../../src/io/source.js';
import { dataPath } from '../helpers/data.js';
import { writeZip } from '../helpers/zip-writer.js';

const BOOK_TICKER = dataPath('binance-dumps', 'BTCUSDT-bookTicker-2023-10-02-short.csv');
const AGG_CAPTURE = dataPath('binance-ws', 'recorded-aggtrade', 'BINANCE_FUTURES.ws.1.0');
const TRADE_CAPTURE = dataPath('binance-ws', 'usdm', 'btcusdt_20240808.gz');

const tmp = mkdtempSync(join(tmpdir(), 'binance-dump-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Read {
  events: MarketEvent[];
  batches: KindBatch[];
  stats: ReadStats;
  rejects: RejectRecord[];
}

async function read(path: string, options: ReadOptions = {}): Promise<Read> {
  const stats = newReadStats();
  const rejects: RejectRecord[] = [];
  const batches: KindBatch[] = [];
  for await (const b of readBinanceDump(path, { ...options, stats, onReject: (r) => rejects.push(r) })) batches.push(b);
  return { events: [...kindBatchesToEvents(batches)], batches, stats, rejects };
}

function write(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

function zip(name: string, entry: string, text: string): string {
  const p = join(tmp, name);
  writeZip(p, { [entry]: text });
  return p;
}

/** Data rows of a CSV text, by plain splitting (an independent reading of the file). */
function csvRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.replace(/\r$/, '').split(','));
}

describe('readBinanceDump: bookTicker (real USD-M dump)', () => {
  const text = readFileSync(BOOK_TICKER, 'utf8');
  const [header, ...rows] = csvRows(text);
  const expected: QuoteEvent[] = rows.map((r) => ({
    type: 'quote',
    symbol: 'BTCUSDT',
    ts: Number(r[6]),
    recvTs: Number.NaN,
    bidPrice: Number(r[1]),
    bidQty: Number(r[2]),
    askPrice: Number(r[3]),
    askQty: Number(r[4]),
    updateId: Number(r[0]),
  }));
  const headerless = text.slice(text.indexOf('\n') + 1);

  it('reads every row with the values of the text', async () => {
    const { events, stats, rejects } = await read(BOOK_TICKER);
    expect(header!.join(','), 'the file has its header row').toBe('update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time');
    expect(events.length, 'one quote per line after the header').toBe(text.trimEnd().split('\n').length - 1);
    expect(rejects).toEqual([]);
    expect(stats.skipped.header).toBe(1);
    expect(stats.events.quote).toBe(events.length);
    const first = rows[0]!;
    const last = rows[rows.length - 1]!;
    expect(events[0]).toEqual(expected[0]);
    expect(events[0]).toMatchObject({ updateId: 3319366863672, bidPrice: 27981.3, bidQty: 12.911, askPrice: 27981.4, askQty: 7.258, ts: Number(first[6]) });
    expect(events.at(-1)).toMatchObject({ updateId: Number(last[0]), askQty: Number(last[4]), ts: Number(last[6]) });
    expect(events).toEqual(expected);
  });

  it('reads the same without its header row (kind from the name, or from the shape)', async () => {
    const byName = await read(write('BTCUSDT-bookTicker-2023-10-02-short.csv', headerless));
    expect(byName.events).toEqual(expected);
    expect(byName.stats.skipped.header, 'no header to skip').toBeUndefined();
    const byShape = await read(write('anonymous.csv', headerless), { symbol: 'BTCUSDT' });
    expect(byShape.events).toEqual(expected);
  });

  it('reads the same from the zip Binance distributes, with or without header', async () => {
    const withHeader = await read(zip('BTCUSDT-bookTicker-2023-10-02.zip', 'BTCUSDT-bookTicker-2023-10-02.csv', text));
    expect(withHeader.events).toEqual(expected);
    const noHeader = await read(zip('BTCUSDT-bookTicker-2023-10-02-nh.zip', 'BTCUSDT-bookTicker-2023-10-02.csv', headerless));
    expect(noHeader.events).toEqual(expected);
  });

  it('cuts batches at the high-water mark', async () => {
    const { batches } = await read(BOOK_TICKER, { batchRows: 1000 });
    expect(batches.map((b) => b.batch.numRows)).toEqual([...Array(9).fill(1000), rows.length - 9000]);
    expect(batches.every((b) => b.kind === 'quote')).toBe(true);
  });

  it('reads microsecond times (spot dumps since 2025) to the same milliseconds', async () => {
    const us = rows.map((r) => [r[0], r[1], r[2], r[3], r[4], `${r[5]}000`, `${r[6]}000`].join(',')).join('\n');
    const { events } = await read(write('BTCUSDT-bookTicker-2025-01-02.csv', us));
    expect(events).toEqual(expected);
  });
});

/** The aggTrade messages of the cryptofeed capture (`<secs>: <combined-stream JSON>`), by symbol. */
function captureAggTrades(): Map<string, Record<string, unknown>[]> {
  const bySymbol = new Map<string, Record<string, unknown>[]>();
  for (const line of readFileSync(AGG_CAPTURE, 'utf8').split('\n')) {
    const at = line.indexOf(': {');
    if (at < 0) continue;
    const msg = JSON.parse(line.slice(at + 2)) as { data?: Record<string, unknown> };
    if (msg.data?.e !== 'aggTrade') continue;
    const s = msg.data.s as string;
    if (!bySymbol.has(s)) bySymbol.set(s, []);
    bySymbol.get(s)!.push(msg.data);
  }
  return bySymbol;
}

describe('readBinanceDump: aggTrades (rows made from real aggTrade messages)', () => {
  const bySymbol = captureAggTrades();
  const HEADER = 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker';
  const rowsOf = (msgs: Record<string, unknown>[], time = (t: unknown) => String(t), extra = '') =>
    msgs.map((m) => `${m.a},${m.p},${m.q},${m.f},${m.l},${time(m.T)},${m.m}${extra}`).join('\n') + '\n';
  const expectedOf = (symbol: string, msgs: Record<string, unknown>[]): TradeEvent[] =>
    msgs.map((m) => ({
      type: 'trade',
      symbol,
      ts: m.T as number,
      recvTs: Number.NaN,
      price: Number(m.p),
      qty: Number(m.q),
      side: m.m ? 'sell' : 'buy',
      id: m.a as number,
      firstId: m.f as number,
      lastId: m.l as number,
      printKind: 'MARKET',
    }));

  it('the capture has aggTrades of four symbols', () => {
    expect([...bySymbol.keys()].sort()).toEqual(['AKROUSDT', 'CTKUSDT', 'KEEPUSDT', 'SUSHIUSDT']);
  });

  for (const [symbol, msgs] of bySymbol) {
    it(`${symbol}: header, no header, zip, µs and spot's extra column all read the same`, async () => {
      const expected = expectedOf(symbol, msgs);
      const body = rowsOf(msgs);
      const name = `${symbol}-aggTrades-2021-07-22`;
      const variants = [
        write(`${name}.csv`, `${HEADER}\n${body}`),
        write(`${name}-noheader.csv`, body),
        zip(`${name}.zip`, `${name}.csv`, body),
        zip(`${name}-h.zip`, `${name}.csv`, `${HEADER}\n${body}`),
        write(`${symbol}-aggTrades-2025-01-01.csv`, rowsOf(msgs, (t) => `${t}000`)),
        write(`${symbol}-aggTrades-2021-07-22-spot.csv`, `${HEADER},is_best_match\n${rowsOf(msgs, String, ',true')}`),
      ];
      for (const v of variants) {
        const { events, rejects } = await read(v);
        expect(rejects, v).toEqual([]);
        expect(events, v).toEqual(expected);
      }
      // headerless and nameless: told from the shape of its rows
      const { events } = await read(write(`${symbol}.txt`, body), { symbol });
      expect(events).toEqual(expected);
    });
  }
});

describe('readBinanceDump: trades (rows made from real USD-M trade messages)', () => {
  const trades: Record<string, unknown>[] = [];
  for (const line of gunzipSync(readFileSync(TRADE_CAPTURE)).toString('utf8').split('\n')) {
    const at = line.indexOf(' {');
    if (at < 0 || !line.includes('"e":"trade"')) continue;
    const data = (JSON.parse(line.slice(at + 1)) as { data: Record<string, unknown> }).data;
    // dump rows carry no print kind; keep the market prints, which is what the reader labels them
    if (data.X === 'MARKET') trades.push(data);
  }
  const HEADER = 'id,price,qty,quote_qty,time,is_buyer_maker';
  const rowsOf = (time: (t: unknown) => string) =>
    trades.map((d) => `${d.t},${d.p},${d.q},${(Number(d.p) * Number(d.q)).toFixed(8)},${time(d.T)},${d.m}`).join('\n') + '\n';
  const expected: TradeEvent[] = trades.map((d) => ({
    type: 'trade',
    symbol: 'BTCUSDT',
    ts: d.T as number,
    recvTs: Number.NaN,
    price: Number(d.p),
    qty: Number(d.q),
    side: d.m ? 'sell' : 'buy',
    id: d.t as number,
    firstId: d.t as number,
    lastId: d.t as number,
    printKind: 'MARKET',
  }));

  it('reads header / no header / zip / µs variants to the values of the messages', async () => {
    expect(trades.length, 'the capture has thousands of market trades').toBeGreaterThan(20_000);
    const body = rowsOf(String);
    const variants = [
      write('BTCUSDT-trades-2024-08-08.csv', `${HEADER}\n${body}`),
      write('BTCUSDT-trades-2024-08-08-nh.csv', body),
      zip('BTCUSDT-trades-2024-08-08.zip', 'BTCUSDT-trades-2024-08-08.csv', body),
      zip('BTCUSDT-trades-2024-08-08-h.zip', 'BTCUSDT-trades-2024-08-08.csv', `${HEADER}\n${body}`),
      write('BTCUSDT-trades-2025-01-01.csv', rowsOf((t) => `${t}000`)),
    ];
    for (const v of variants) {
      const { events, rejects, stats } = await read(v, { batchRows: 4096 });
      expect(rejects, v).toEqual([]);
      expect(stats.events.trade).toBe(trades.length);
      expect(events, v).toEqual(expected);
    }
    const anonymous = await read(write('trades.csv', body), { symbol: 'BTCUSDT' });
    expect(anonymous.events).toEqual(expected);
  });
});

describe('readBinanceDump: refused input', () => {
  const text = readFileSync(BOOK_TICKER, 'utf8');
  const lines = text.split('\n').slice(0, 21); // header + 20 rows

  it('rejects a bad number, a missing column and a bad boolean with file, line and field; keeps the rest', async () => {
    const bad = [...lines];
    bad[3] = bad[3]!.replace(/^(\d+),[^,]+,/, '$1,27981.3x,'); // line 4: bid price
    bad[6] = bad[6]!.split(',').slice(0, 6).join(','); // line 7: event_time missing
    bad[9] = bad[9]!.replace(/,(\d+)$/, ',$1abc'); // line 10: event_time not a number
    const p = write('BTCUSDT-bookTicker-bad.csv', bad.join('\n'));
    const { events, rejects, stats } = await read(p);
    expect(rejects.map((r) => [r.file, r.line, r.field, r.reason])).toEqual([
      [p, 4, 'best_bid_price', 'bad-number'],
      [p, 7, 'event_time', 'missing-field'],
      [p, 10, 'event_time', 'bad-number'],
    ]);
    expect(rejects[0]!.message).toContain("got '27981.3x'");
    expect(rejects[1]!.message).toMatch(/expected 7 columns/);
    expect(rejects[0]!.text).toBe(bad[3]);
    expect(stats.rejected).toBe(3);
    expect(events.length).toBe(17);
    const good = csvRows(lines.join('\n')).slice(1).filter((_, i) => ![2, 5, 8].includes(i));
    expect(events.map((e) => (e as QuoteEvent).updateId)).toEqual(good.map((r) => Number(r[0])));
  });

  it('rejects a bad boolean in a zipped aggTrades dump, naming archive:entry', async () => {
    const msgs = captureAggTrades().get('SUSHIUSDT')!;
    const rows = msgs.map((m) => `${m.a},${m.p},${m.q},${m.f},${m.l},${m.T},${m.m}`);
    rows[4] = rows[4]!.replace(/,(true|false)$/, ',yes');
    const p = zip('SUSHIUSDT-aggTrades-2021-07-22.zip', 'SUSHIUSDT-aggTrades-2021-07-22.csv', rows.join('\n'));
    const { events, rejects } = await read(p);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ file: `${p}:SUSHIUSDT-aggTrades-2021-07-22.csv`, line: 5, field: 'is_buyer_maker', reason: 'bad-value' });
    expect(events.length).toBe(msgs.length - 1);
  });

  it('the fast path refuses exactly what the zod row schema refuses', async () => {
    // one real row with one field replaced by odd text, many times: accepted ⇔ schema accepts
    const row = lines[1]!.split(',');
    const odd = ['', '-', '.', '1.', '.5', '-0.5', '1e3', '1E-2', '1e', '0x10', ' 1', '1 ', '+1', 'NaN', 'true', '١', '12.34.5', '007', '-7', '99999999999999999999'];
    const out: string[] = [];
    const want: boolean[] = [];
    for (let col = 0; col < 7; col++) {
      for (const o of odd) {
        const r = [...row];
        r[col] = o;
        out.push(r.join(','));
        // beyond the schema, the reader also refuses an event time that is not an epoch in the file's unit
        want.push(DumpBookTickerRow.safeParse(r).success && (col !== 6 || detectTimeUnit(Number(o)) === 'ms'));
      }
    }
    const p = write('BTCUSDT-bookTicker-odd.csv', out.join('\n'));
    const { rejects } = await read(p);
    const refused = new Set(rejects.map((r) => r.line));
    expect(out.map((_, i) => !refused.has(i + 1))).toEqual(want);
    expect(rejects.every((r) => r.field !== undefined), 'every refusal names its column').toBe(true);
  });

  it('an undecidable file is a one-line UserInputError naming it', async () => {
    const p = write('mystery.csv', '1,2,3,4,5\n6,7,8,9,10\n');
    const err = await read(p, { symbol: 'X' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect((err as Error).message).toContain(p);
    expect((err as Error).message).not.toContain('\n');
    const noSymbol = await read(write('nameless.csv', lines.slice(1).join('\n'))).catch((e: unknown) => e);
    expect(noSymbol).toBeInstanceOf(UserInputError);
    await expect(read(join(tmp, 'missing-aggTrades.csv'))).rejects.toThrow(/no such file/);
  });
});
