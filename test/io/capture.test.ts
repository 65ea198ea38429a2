import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { batchToEvents, type KindBatch } from '../../src/core/batch.js';
import type { RejectRecord } from '../../src/core/errors.js';
import type { DepthEvent, EventKind, EventOf, MarkEvent, QuoteEvent, TradeEvent } from '../../src/core/events.js';
import { KIND_METADATA_KEY } from '../../src/core/schema.js';
import * as wire from '../../src/core/wire.js';
import { readCapture, symbolFromFileName } from '../../src/io/capture.js';
import { newReadStats, type ReadOptions, type ReadStats } from '../../src/io/source.js';
import { dataPath } from '../helpers/data.js';

const WS = (...p: string[]) => dataPath('binance-ws', ...p);
const USDM_0808 = WS('usdm', 'btcusdt_20240808.gz');
const USDM_0718 = WS('usdm', 'btcusdt_20240718.gz');
const USDM_0719 = WS('usdm', 'btcusdt_20240719.gz');
const SPOT = WS('spot', 'btcusdt_20240808.gz');
const AGG = WS('recorded-aggtrade', 'BINANCE_FUTURES.ws.1.0');
const ALL_FILES = [USDM_0808, WS('usdm', 'ethusdt_20240808.gz'), USDM_0718, USDM_0719, SPOT, AGG];

const tmp = mkdtempSync(join(tmpdir(), 'capture-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

interface Read {
  batches: KindBatch[];
  stats: ReadStats;
  rejects: RejectRecord[];
  of<K extends EventKind>(kind: K): EventOf<K>[];
}

async function read(path: string, options: ReadOptions = {}): Promise<Read> {
  const stats = newReadStats();
  const rejects: RejectRecord[] = [];
  const batches: KindBatch[] = [];
  for await (const b of readCapture(path, { ...options, stats, onReject: (r) => rejects.push(r) })) batches.push(b);
  const of = <K extends EventKind>(kind: K): EventOf<K>[] => batches.filter((b) => b.kind === kind).flatMap((b) => [...batchToEvents(kind, b.batch)]);
  return { batches, stats, rejects, of };
}

/** The text lines of a capture, gunzipped by its magic bytes (an independent reading). */
function textLines(path: string): string[] {
  const raw = readFileSync(path);
  const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function write(name: string, lines: string[], gzip = false): string {
  const p = join(tmp, name);
  const text = lines.join('\n') + '\n';
  writeFileSync(p, gzip ? gzipSync(text) : text);
  return p;
}

/** Message counts by plain substring tests on each line. */
function countMessages(lines: string[]) {
  const c = { trade: 0, aggTrade: 0, bookTicker: 0, depthUpdate: 0, snapshot: 0, kline: 0 };
  for (const l of lines) {
    if (l.includes('"e":"trade"')) c.trade++;
    else if (l.includes('"e":"aggTrade"')) c.aggTrade++;
    else if (l.includes('@bookTicker"')) c.bookTicker++;
    else if (l.includes('"e":"depthUpdate"')) c.depthUpdate++;
    else if (l.includes('"lastUpdateId"')) c.snapshot++;
    else if (l.includes('"e":"kline"')) c.kline++;
  }
  return c;
}

/** The JSON part of a `<ns> <json>` line, parsed independently. */
function json(line: string): Record<string, any> {
  const o = JSON.parse(line.slice(line.indexOf('{')));
  return o.data ?? o;
}

describe('readCapture: every real capture', () => {
  for (const file of ALL_FILES) {
    it(`${file.split('/').slice(-2).join('/')}: counts per message type equal an independent count`, async () => {
      const lines = textLines(file);
      const want = countMessages(lines);
      const schemas = [wire.WireTrade, wire.WireAggTrade, wire.WireBookTicker, wire.WireDepthUpdate, wire.WireDepthSnapshot, wire.WireMarkPrice, wire.WireCombined];
      const spies = schemas.map((s) => vi.spyOn(s as { safeParse: (v: unknown) => unknown }, 'safeParse'));
      const r = await read(file);
      expect(r.rejects, 'no rejects on real data').toEqual([]);
      expect(r.stats.lines).toBe(lines.length);
      expect(r.stats.events.trade).toBe(want.trade + want.aggTrade);
      expect(r.stats.events.quote).toBe(want.bookTicker);
      expect(r.stats.events.depth).toBe(want.depthUpdate + want.snapshot);
      expect(r.stats.events.mark).toBe(0);
      expect(r.stats.skipped.kline ?? 0).toBe(want.kline);
      for (const s of spies) expect(s, 'zod never runs on good lines').not.toHaveBeenCalled();
      const rows = r.batches.reduce((n, b) => n + b.batch.numRows, 0);
      expect(rows).toBe(r.stats.events.trade + r.stats.events.quote + r.stats.events.depth);
      const accounted = rows + r.stats.rejected + Object.values(r.stats.skipped).reduce((a, b) => a + b, 0);
      expect(accounted, 'every line is an event, a reject or a counted skip').toBe(lines.length);
    });
  }
});

describe('readCapture: receive time', () => {
  it('first line of usdm/btcusdt_20240808.gz: recvTs in ms from ns text, ts = E', async () => {
    const r = await read(USDM_0808);
    const first = r.of('depth')[0]!;
    expect(first.recvTs).toBeCloseTo(1723161255030.314667, 3);
    expect(first.ts).toBe(1723161256299);
    expect(first.symbol).toBe('BTCUSDT');
    expect(first.prevUpdateId).toBe(5123107831937);
  });

  // the same real lines with their ns receive times rewritten in each unit
  const src = textLines(USDM_0808).slice(0, 300);
  const ns = src.map((l) => l.slice(0, l.indexOf(' ')));
  const body = src.map((l) => l.slice(l.indexOf(' ') + 1));
  const expectMs = ns.map((t) => Number(t.slice(0, -6)) + Number(t.slice(-6)) / 1e6);
  const variants = {
    ns: { lines: src, tol: 0, want: expectMs },
    us: { lines: ns.map((t, i) => `${t.slice(0, -3)} ${body[i]}`), tol: 0, want: ns.map((t) => Number(t.slice(0, -6)) + Number(t.slice(-6, -3)) / 1e3) },
    ms: { lines: ns.map((t, i) => `${t.slice(0, -6)} ${body[i]}`), tol: 0, want: ns.map((t) => Number(t.slice(0, -6))) },
    s: { lines: ns.map((t, i) => `${t.slice(0, -9)}.${t.slice(-9, -3)}: ${body[i]}`), tol: 1e-3, want: ns.map((t) => Number(t.slice(0, -6)) + Number(t.slice(-6, -3)) / 1e3) },
  };
  for (const [unit, v] of Object.entries(variants)) {
    it(`detects ${unit} and converts to ms`, async () => {
      const r = await read(write(`unit-${unit}.txt`, v.lines));
      expect(r.rejects).toEqual([]);
      const got = r.batches.flatMap((b) => [...b.batch.getChild('recvTs')!.toArray()] as number[]).sort((a, b) => a - b);
      const want = [...v.want].sort((a, b) => a - b);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(v.tol);
    });
  }

  it('refuses a later receive time that does not fit the unit told from the first one', async () => {
    const lines = [...src.slice(0, 5), variants.ms.lines[5]!, ...src.slice(6, 10)];
    const r = await read(write('unit-mixed.txt', lines));
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects[0]).toMatchObject({ line: 6, reason: 'bad-value', field: 'recvTs' });
    expect(r.rejects[0]!.message).toMatch(/does not fit the file's unit \(ns, told from line 1\)/);
    expect(r.stats.lines).toBe(10);
  });

  it('reads bare JSON lines with recvTs NaN', async () => {
    const r = await read(write('bare.txt', body.slice(0, 20)));
    expect(r.rejects).toEqual([]);
    expect(r.stats.lines).toBe(20);
    for (const e of r.of('trade')) expect(e.recvTs).toBeNaN();
    for (const e of r.of('quote')) expect(Number.isFinite(e.ts)).toBe(true);
  });
});

describe('readCapture: spot', async () => {
  const lines = textLines(SPOT);
  const r = await read(SPOT);

  it('quotes carry no E: ts = recvTs + the latest (E − recvTs) offset of the file, about 1.27 s', () => {
    const want: number[] = [];
    let offset = Number.NaN;
    for (const l of lines) {
      const recv = Number(l.slice(0, 13)) + Number(l.slice(13, 19)) / 1e6;
      const d = json(l);
      if (typeof d.E === 'number') offset = d.E - recv;
      if (l.includes('@bookTicker"')) want.push(recv + offset);
    }
    const quotes = r.of('quote');
    expect(quotes).toHaveLength(want.length);
    quotes.forEach((q, i) => expect(Math.abs(q.ts - want[i]!)).toBeLessThan(1e-3));
    const offsets = quotes.map((q) => q.ts - q.recvTs).sort((a, b) => a - b);
    const median = offsets[offsets.length >> 1]!;
    expect(median).toBeGreaterThan(1200);
    expect(median).toBeLessThan(1350);
    expect(r.stats.skipped['ts-estimated-without-offset']).toBeUndefined();
  });

  it('depth diffs have no pu (NaN); the REST snapshot takes the symbol of the other messages', () => {
    const depth = r.of('depth');
    const diffs = depth.filter((d) => !d.isSnapshot);
    expect(diffs.length).toBe(countMessages(lines).depthUpdate);
    for (const d of diffs) expect(d.prevUpdateId).toBeNaN();
    const snaps = depth.filter((d) => d.isSnapshot);
    const snapLine = lines.find((l) => l.includes('"lastUpdateId"'))!;
    expect(snaps).toHaveLength(1);
    expect(snaps[0]).toMatchObject({ symbol: 'BTCUSDT', lastUpdateId: json(snapLine).lastUpdateId });
    expect(snaps[0]!.bidPrices.length).toBe(json(snapLine).bids.length);
    expect(Number.isFinite(snaps[0]!.ts)).toBe(true);
  });

  it('trades: m:true ⇒ sell, ids and prices as sent, printKind MARKET', () => {
    const raw = lines.filter((l) => l.includes('"e":"trade"')).map(json);
    const trades = r.of('trade');
    expect(trades).toHaveLength(raw.length);
    trades.forEach((t, i) => {
      expect(t.side).toBe(raw[i]!.m ? 'sell' : 'buy');
      expect(t.id).toBe(raw[i]!.t);
      expect(t.price).toBe(Number(raw[i]!.p));
      expect(t.ts).toBe(raw[i]!.E);
    });
    expect(trades.filter((t) => t.side === 'sell').length).toBe(lines.filter((l) => l.includes('"e":"trade"') && l.includes('"m":true')).length);
    expect(new Set(trades.map((t) => t.printKind))).toEqual(new Set(['MARKET']));
  });
});

describe('readCapture: recorded aggTrade capture (cryptofeed, seconds)', async () => {
  const lines = textLines(AGG);
  const r = await read(AGG);

  it('aggTrades become trades with id a, firstId f, lastId l', () => {
    const raw = lines.filter((l) => l.includes('"e":"aggTrade"')).map(json);
    const trades = r.of('trade');
    expect(trades).toHaveLength(raw.length);
    trades.forEach((t, i) => {
      expect([t.id, t.firstId, t.lastId]).toEqual([raw[i]!.a, raw[i]!.f, raw[i]!.l]);
      expect(t.printKind).toBe('MARKET');
      expect(t.symbol).toBe(raw[i]!.s);
    });
  });

  it('several symbols; the URL line and kline lines are skipped, not refused', () => {
    const symbols = new Set(lines.slice(1).map((l) => json(l).s as string));
    const seen = new Set([...r.of('trade'), ...r.of('quote'), ...r.of('depth')].map((e) => e.symbol));
    expect(symbols.size).toBeGreaterThan(1);
    expect(seen).toEqual(symbols);
    expect(r.stats.skipped.url).toBe(1);
    expect(r.stats.skipped.kline).toBe(lines.filter((l) => l.includes('"e":"kline"')).length);
    expect(r.rejects).toEqual([]);
  });

  it('receive time from seconds with a fraction', () => {
    const first = lines[1]!;
    const want = Number(first.slice(0, first.indexOf(':'))) * 1e3;
    expect(Math.abs(r.of('quote')[0]!.recvTs - want)).toBeLessThan(1e-3);
  });
});

describe('readCapture: a recording split at midnight', () => {
  it('the last depth u of the first file is the first pu of the second', async () => {
    const a = await read(USDM_0718);
    const b = await read(USDM_0719);
    expect(a.rejects.concat(b.rejects)).toEqual([]);
    const lastU = a.of('depth').filter((d) => !d.isSnapshot).at(-1)!.lastUpdateId;
    const firstPu = b.of('depth')[0]!.prevUpdateId;
    // independently, from the text
    const lastLineU = json(textLines(USDM_0718).filter((l) => l.includes('"e":"depthUpdate"')).at(-1)!).u;
    expect(lastU).toBe(lastLineU);
    expect(firstPu).toBe(lastU);
    const tradeIds = [...a.of('trade'), ...b.of('trade')].map((t) => t.id);
    expect(tradeIds.every((id, i) => i === 0 || id > tradeIds[i - 1]!), 'trade ids increase across the split').toBe(true);
  });
});

describe('readCapture: a corrupted copy', () => {
  it('refuses exactly the broken lines, naming line, field and reason; every other line is intact', async () => {
    const orig = textLines(USDM_0718);
    const lines = orig.slice();
    lines.splice(100, 5); // five lines gone
    const tradeAt = lines.findIndex((l, i) => i > 200 && l.includes('"e":"trade"'));
    const quoteAt = lines.findIndex((l, i) => i > 300 && l.includes('@bookTicker"'));
    const depthAt = lines.findIndex((l, i) => i > 400 && l.includes('"e":"depthUpdate"') && l.includes('"a":[["'));
    const jsonAt = 500;
    const broken = lines.slice();
    broken[jsonAt] = broken[jsonAt]!.slice(0, -7); // truncated JSON
    broken[tradeAt] = broken[tradeAt]!.replace(/"p":"[^"]*",/, ''); // price removed
    broken[quoteAt] = broken[quoteAt]!.replace(/"b":"[^"]*"/, '"b":"abc"'); // non-number bid
    broken[depthAt] = broken[depthAt]!.replace(/"a":\[\["([^"]*)","[^"]*"\]/, '"a":[["$1","1,5"]'); // bad ask qty
    const spies = [wire.WireTrade, wire.WireBookTicker, wire.WireDepthUpdate].map((s) => vi.spyOn(s as { safeParse: (v: unknown) => unknown }, 'safeParse'));
    const r = await read(write('corrupt.gz', broken, true));
    for (const s of spies) expect(s, 'zod explains each refused message once').toHaveBeenCalledTimes(1);
    const by = (line: number) => r.rejects.find((x) => x.line === line);
    expect(r.rejects).toHaveLength(4);
    expect(by(jsonAt + 1)).toMatchObject({ reason: 'bad-json' });
    expect(by(tradeAt + 1)).toMatchObject({ reason: 'missing-field', field: 'data.p' });
    expect(by(quoteAt + 1)).toMatchObject({ reason: 'bad-number', field: 'data.b' });
    expect(by(quoteAt + 1)!.message).toMatch(/decimal string, got "abc"/);
    expect(by(depthAt + 1)).toMatchObject({ reason: 'bad-number', field: 'data.a.0.1' });
    for (const x of r.rejects) expect(x.text).toBe(broken[x.line - 1]);
    expect(r.stats.lines).toBe(broken.length);

    // the same file with the broken lines left out reads to the very same events
    const bad = new Set([jsonAt, tradeAt, quoteAt, depthAt]);
    const clean = lines.filter((_, i) => !bad.has(i));
    const want = countMessages(clean);
    expect(r.stats.events.trade).toBe(want.trade);
    expect(r.stats.events.quote).toBe(want.bookTicker);
    expect(r.stats.events.depth).toBe(want.depthUpdate + want.snapshot);
    const c = await read(write('clean.txt', clean));
    for (const kind of ['trade', 'quote', 'depth'] as const) expect(r.of(kind)).toEqual(c.of(kind));
    const o = await read(USDM_0718);
    const gone = countMessages([...orig.slice(100, 105), ...[...bad].map((i) => lines[i]!)]);
    expect(r.stats.events.trade).toBe(o.stats.events.trade - gone.trade);
    expect(r.stats.events.quote).toBe(o.stats.events.quote - gone.bookTicker);
    expect(r.stats.events.depth).toBe(o.stats.events.depth - gone.depthUpdate - gone.snapshot);
  });

  it('refuses unknown shapes and counts known unused ones', async () => {
    const lines = [
      '1723161255030314667 {"stream":"btcusdt@forceOrder","data":{"e":"forceOrder","E":1723161256299,"o":{}}}',
      '1723161255030314668 {"stream":"btcusdt@foo","data":{"e":"somethingNew","E":1723161256299}}',
      '1723161255030314669 {"hello":"world"}',
      '1723161255030314670 {"result":null,"id":1}',
      '',
      'garbage',
    ];
    const r = await read(write('shapes.txt', lines));
    expect(r.stats.skipped).toMatchObject({ forceOrder: 1, 'ws-response': 1, blank: 1 });
    expect(r.rejects.map((x) => [x.line, x.reason, x.field])).toEqual([
      [2, 'unknown-message', 'data.e'],
      [3, 'unknown-message', undefined],
      [6, 'bad-value', 'recvTs'],
    ]);
  });
});

describe('readCapture: exchange time and symbol not in the message', () => {
  const spot = textLines(SPOT);
  const quotes = spot.filter((l) => l.includes('@bookTicker"'));
  const withE = spot.filter((l) => l.includes('"e":"trade"'));

  it('holds events back until an E gives the offset, keeping their order', async () => {
    const lines = [...quotes.slice(0, 3), withE[0]!, ...quotes.slice(3, 5)];
    const r = await read(write('held.txt', lines));
    const recv = (l: string) => Number(l.slice(0, 13)) + Number(l.slice(13, 19)) / 1e6;
    const offset = json(withE[0]!).E - recv(withE[0]!);
    const got = r.of('quote');
    expect(got.map((q) => q.updateId)).toEqual(quotes.slice(0, 5).map((l) => json(l).u));
    got.forEach((q, i) => expect(Math.abs(q.ts - (recv(quotes[i]!) + offset))).toBeLessThan(1e-3));
  });

  it('without any E in the file, ts = recvTs and the estimates are counted', async () => {
    const r = await read(write('noE.txt', quotes.slice(0, 10)));
    const got = r.of('quote');
    expect(got).toHaveLength(10);
    for (const q of got) expect(q.ts).toBe(q.recvTs);
    expect(r.stats.skipped['ts-estimated-without-offset']).toBe(10);
  });

  const usdm = textLines(USDM_0808);
  const snapAt = usdm.findIndex((l) => l.includes('"lastUpdateId"'));
  const snapshot = usdm[snapAt]!;

  it('a snapshot first in the file waits for the symbol of the next message', async () => {
    const r = await read(write('snapfirst.txt', usdm.slice(snapAt, snapAt + 50)));
    const depth = r.of('depth');
    expect(depth[0]).toMatchObject({ isSnapshot: true, symbol: 'BTCUSDT', lastUpdateId: json(snapshot).lastUpdateId, ts: json(snapshot).E });
    expect(depth.slice(1).every((d) => !d.isSnapshot)).toBe(true);
  });

  it('a lone snapshot: symbol from options, else the file name, else refused', async () => {
    const named = await read(write('ethusdt_20240808.txt', [snapshot]));
    expect(named.of('depth')[0]!.symbol).toBe('ETHUSDT');
    const given = await read(write('ethusdt_20240808.txt', [snapshot]), { symbol: 'btcusdt' });
    expect(given.of('depth')[0]!.symbol).toBe('BTCUSDT');
    const anon = await read(write('capture.txt', [snapshot]));
    expect(anon.of('depth')).toEqual([]);
    expect(anon.rejects).toMatchObject([{ line: 1, reason: 'missing-field', field: 'symbol' }]);
  });

  it('file names give symbols the hftbacktest way', () => {
    expect(symbolFromFileName('/x/btcusdt_20240808.gz')).toBe('BTCUSDT');
    expect(symbolFromFileName('btcusd_perp_20240808.gz')).toBe('BTCUSD_PERP');
    expect(symbolFromFileName('BINANCE_FUTURES.ws.1.0')).toBe('');
  });
});

describe('readCapture: COIN-M and markPrice (documented example messages)', () => {
  // The documented example shapes of Binance's websocket docs (no real COIN-M or markPrice
  // capture is at hand): COIN-M aggTrade, bookTicker, depthUpdate and markPrice, the COIN-M
  // pair markPrice array, and the USD-M markPrice example.
  // https://developers.binance.com/docs/derivatives/coin-margined-futures/websocket-market-streams
  // https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Mark-Price-Stream
  // and the COIN-M REST depth answer, which names its symbol:
  // https://developers.binance.com/docs/derivatives/coin-margined-futures/market-data/Order-Book
  const fixture = [
    '{"stream":"btcusd_200626@aggTrade","data":{"e":"aggTrade","E":1591261134288,"a":424951,"s":"BTCUSD_200626","p":"9643.5","q":"2","f":606073,"l":606073,"T":1591261134199,"m":false}}',
    '{"e":"bookTicker","u":17242169,"s":"BTCUSD_200626","ps":"BTCUSD","b":"9548.1","B":"52","a":"9548.5","A":"11","T":1591268628155,"E":1591268628166}',
    '{"e":"depthUpdate","E":1591270260907,"T":1591270260891,"s":"BTCUSD_200626","ps":"BTCUSD","U":17285681,"u":17285702,"pu":17285675,"b":[["9517.6","10"]],"a":[["9518.5","45"]]}',
    '{"e":"markPriceUpdate","E":1596095725000,"s":"BTCUSD_201225","p":"10934.62615417","P":"10962.17178236","i":"10933.62615417","r":"","T":0}',
    '{"stream":"btcusd@markPrice","data":[{"e":"markPriceUpdate","E":1596095725000,"s":"BTCUSD_201225","p":"10934.62615417","P":"10962.17178236","i":"10933.62615417","r":"","T":0},{"e":"markPriceUpdate","E":1596095725000,"s":"BTCUSD_PERP","p":"11012.31359011","P":"10962.17178236","i":"10933.62615417","r":"0.00000000","T":1596096000000}]}',
    '{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}',
    '{"lastUpdateId":16769853,"symbol":"BTCUSD_PERP","pair":"BTCUSD","E":1591250106370,"T":1591250106368,"bids":[["9638.0","431"]],"asks":[["9638.2","12"]]}',
  ];

  it('reads every documented shape with the values the docs show', async () => {
    const r = await read(write('coinm.txt', fixture));
    expect(r.rejects).toEqual([]);
    expect(r.stats.events).toEqual({ trade: 1, quote: 1, depth: 2, mark: 4 });
    expect(r.of('trade')[0]).toMatchObject({ symbol: 'BTCUSD_200626', ts: 1591261134288, price: 9643.5, qty: 2, side: 'buy', id: 424951, firstId: 606073, lastId: 606073 });
    expect(r.of('trade')[0]!.recvTs).toBeNaN();
    expect(r.of('quote')[0]).toMatchObject({ symbol: 'BTCUSD_200626', ts: 1591268628166, bidPrice: 9548.1, bidQty: 52, askPrice: 9548.5, askQty: 11, updateId: 17242169 });
    expect(r.of('depth')[0]).toMatchObject({ symbol: 'BTCUSD_200626', ts: 1591270260907, firstUpdateId: 17285681, lastUpdateId: 17285702, prevUpdateId: 17285675, bidPrices: [9517.6], bidQtys: [10], askPrices: [9518.5], askQtys: [45] });
    expect(r.of('depth')[1]).toMatchObject({ isSnapshot: true, symbol: 'BTCUSD_PERP', ts: 1591250106370, lastUpdateId: 16769853, bidPrices: [9638], bidQtys: [431], askPrices: [9638.2], askQtys: [12] });
    const marks = r.of('mark') as MarkEvent[];
    expect(marks.map((m) => m.symbol)).toEqual(['BTCUSD_201225', 'BTCUSD_201225', 'BTCUSD_PERP', 'BTCUSDT']);
    expect(marks[0]).toMatchObject({ ts: 1596095725000, markPrice: 10934.62615417, indexPrice: 10933.62615417 });
    expect(marks[0]!.fundingRate, 'delivery contracts have no funding').toBeNaN();
    expect(marks[0]!.nextFundingTime).toBeNaN();
    expect(marks[2]).toMatchObject({ fundingRate: 0, nextFundingTime: 1596096000000 });
    expect(marks[3]).toMatchObject({ ts: 1562305380000, markPrice: 11794.15, indexPrice: 11784.62659091, fundingRate: 0.00038167, nextFundingTime: 1562306400000 });
  });

  it('names the field of a bad element in an array stream', async () => {
    const bad = fixture[4]!.replace('"p":"11012.31359011"', '"p":"11,012.3"');
    const r = await read(write('coinm-bad.txt', [bad]));
    expect(r.stats.events.mark).toBe(1);
    expect(r.rejects).toMatchObject([{ line: 1, reason: 'bad-number', field: 'data.1.p' }]);
  });
});

describe('readCapture: batches', () => {
  it('cut at batchRows, one kind per batch, in file order within a kind', async () => {
    const r = await read(USDM_0718, { batchRows: 1000 });
    const byKind = new Map<string, number[]>();
    for (const b of r.batches) {
      expect(b.batch.schema.metadata.get(KIND_METADATA_KEY)).toBe(b.kind);
      byKind.set(b.kind, [...(byKind.get(b.kind) ?? []), b.batch.numRows]);
    }
    for (const [kind, sizes] of byKind) {
      expect(sizes.slice(0, -1).every((n) => n === 1000), kind).toBe(true);
      expect(sizes.at(-1)!).toBeGreaterThan(0);
      expect(sizes.at(-1)!).toBeLessThanOrEqual(1000);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(r.stats.events[kind as EventKind]);
    }
    const recv = r.of('quote').map((q: QuoteEvent) => q.recvTs);
    expect(recv.every((t, i) => i === 0 || t >= recv[i - 1]!)).toBe(true);
    const trades: TradeEvent[] = r.of('trade');
    const depth: DepthEvent[] = r.of('depth');
    expect(trades.length + depth.length).toBeGreaterThan(0);
  });
});
