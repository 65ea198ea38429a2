/**
 * The capture scanner (bookTickers, depth diffs and trades read from the text, without
 * JSON.parse) against JSON.parse and the per-type fast paths: on every line of the real captures
 * it reads every bookTicker, depth diff and trade to the same values and declines every other
 * line; on lines
 * mutated in their text (whitespace, escapes, numbers of other forms, keys repeated or unknown,
 * brackets and quotes moved or lost), whatever it reads, JSON.parse and the fast paths read
 * too, to the same values — what it cannot be sure of, it leaves to them.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DepthEvent, QuoteEvent, TradeEvent } from '../../src/core/events.js';
import { fillBookTicker, fillDepthUpdate, fillTrade, isPartialDepth, type Msg } from '../../src/io/capture-messages.js';
import { CaptureScanner, DECLINED, SCANNED_DEPTH, SCANNED_QUOTE, SCANNED_TRADE } from '../../src/io/capture-scan.js';
import { dataPath } from '../helpers/data.js';

const quote = (): QuoteEvent => ({ type: 'quote', symbol: '', ts: 0, recvTs: 0, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0, updateId: 0 });
const trade = (): TradeEvent => ({ type: 'trade', symbol: '', ts: 0, recvTs: 0, price: 0, qty: 0, side: 'buy', id: 0, firstId: 0, lastId: 0, printKind: '' });
const depth = (): DepthEvent => ({ type: 'depth', symbol: '', ts: 0, recvTs: 0, isSnapshot: false, firstUpdateId: 0, lastUpdateId: 0, prevUpdateId: 0, bidPrices: [], bidQtys: [], askPrices: [], askQtys: [] });

type Reference =
  | { kind: typeof SCANNED_QUOTE; event: QuoteEvent; E: unknown }
  | { kind: typeof SCANNED_DEPTH; event: DepthEvent; E: unknown }
  | { kind: typeof SCANNED_TRADE; event: TradeEvent; E: unknown }
  | { kind: typeof DECLINED };

/** What the capture reader makes of a JSON message through JSON.parse and its fast paths: a quote, depth diff or trade it accepts, or anything else. */
function reference(json: string): Reference {
  let o: unknown;
  try {
    o = JSON.parse(json);
  } catch {
    return { kind: DECLINED };
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return { kind: DECLINED };
  let m = o as Msg;
  let stream = '';
  if (m.stream !== undefined) {
    const data = m.data;
    if (typeof m.stream !== 'string' || data === null || typeof data !== 'object' || Array.isArray(data)) return { kind: DECLINED };
    stream = m.stream;
    m = data as Msg;
  }
  const bookTicker = m.e === 'bookTicker' || (m.e === undefined && !('lastUpdateId' in m) && 'u' in m && ('B' in m || 'A' in m));
  if (bookTicker) {
    const q = quote();
    return fillBookTicker(m, q) ? { kind: SCANNED_QUOTE, event: q, E: m.E } : { kind: DECLINED };
  }
  if (m.e === 'trade') {
    const t = trade();
    return fillTrade(m, t) ? { kind: SCANNED_TRADE, event: t, E: m.E } : { kind: DECLINED };
  }
  if (m.e === 'depthUpdate' && !isPartialDepth(stream)) {
    const d = depth();
    return fillDepthUpdate(m, d) ? { kind: SCANNED_DEPTH, event: d, E: m.E } : { kind: DECLINED };
  }
  return { kind: DECLINED };
}

interface Scratch {
  q: QuoteEvent;
  d: DepthEvent;
  t: TradeEvent;
  scanner: CaptureScanner;
}
function scratch(): Scratch {
  const q = quote();
  const d = depth();
  const t = trade();
  return { q, d, t, scanner: new CaptureScanner(q, d, t) };
}

/** The scanner's reading of a JSON message (a fresh scanner, or the one given, to test its symbol reuse). */
function scan(json: string, s?: Scratch): Reference {
  const own = s ?? scratch();
  const k = own.scanner.scan(json, 0);
  if (k === SCANNED_QUOTE) return { kind: k, event: { ...own.q }, E: own.scanner.E };
  if (k === SCANNED_TRADE) return { kind: k, event: { ...own.t }, E: own.scanner.E };
  if (k === SCANNED_DEPTH) return { kind: k, event: { ...own.d, bidPrices: [...own.d.bidPrices], bidQtys: [...own.d.bidQtys], askPrices: [...own.d.askPrices], askQtys: [...own.d.askQtys] }, E: own.scanner.E };
  return { kind: DECLINED };
}

function linesOf(file: string): string[] {
  const raw = readFileSync(dataPath('binance-ws', ...file.split('/')));
  return (raw[0] === 0x1f ? gunzipSync(raw) : raw).toString('utf8').split('\n').filter((l) => l.includes('{'));
}
const jsonOf = (line: string): string => line.slice(line.indexOf('{'));

const FILES = ['usdm/btcusdt_20240718.gz', 'usdm/btcusdt_20240719.gz', 'usdm/btcusdt_20240808.gz', 'usdm/ethusdt_20240808.gz', 'spot/btcusdt_20240808.gz', 'recorded-aggtrade/BINANCE_FUTURES.ws.1.0'];

describe('CaptureScanner on the real captures', () => {
  for (const file of FILES) {
    it(`${file}: every bookTicker, depth diff and trade read to the values JSON.parse and the fast paths give; every other line declined`, () => {
      const shared = scratch();
      const counts = { quote: 0, depth: 0, trade: 0, other: 0 };
      for (const line of linesOf(file)) {
        const json = jsonOf(line);
        const want = reference(json);
        const got = scan(json, shared);
        expect(got, json.slice(0, 120)).toEqual(want);
        if (want.kind === SCANNED_QUOTE) counts.quote++;
        else if (want.kind === SCANNED_DEPTH) counts.depth++;
        else if (want.kind === SCANNED_TRADE) counts.trade++;
        else counts.other++;
      }
      if (!file.startsWith('recorded-aggtrade')) {
        expect(counts.quote + counts.depth, 'the file has bookTickers and depth diffs').toBeGreaterThan(1000);
        expect(counts.trade, 'and trades').toBeGreaterThan(100);
      }
    });
  }
});

describe('CaptureScanner on mutated lines', () => {
  const pick = (file: string, test: (l: string) => boolean): string => jsonOf(linesOf(file).find(test)!);
  // a depth diff cut to its first levels, so that mutations land everywhere in it
  const shortDepth = (json: string): string => {
    const o = JSON.parse(json) as { data: Msg };
    o.data.b = (o.data.b as unknown[]).slice(0, 3);
    o.data.a = (o.data.a as unknown[]).slice(0, 2);
    return JSON.stringify(o);
  };
  const usdmBook = pick('usdm/btcusdt_20240808.gz', (l) => l.includes('@bookTicker'));
  const usdmDepth = shortDepth(pick('usdm/btcusdt_20240808.gz', (l) => l.includes('depthUpdate')));
  const spotBook = pick('spot/btcusdt_20240808.gz', (l) => l.includes('@bookTicker'));
  const spotDepth = shortDepth(pick('spot/btcusdt_20240808.gz', (l) => l.includes('depthUpdate')));
  const usdmTrade = pick('usdm/btcusdt_20240808.gz', (l) => l.includes('"e":"trade"'));
  const spotTrade = pick('spot/btcusdt_20240808.gz', (l) => l.includes('"e":"trade"'));
  const bare = (json: string): string => JSON.stringify((JSON.parse(json) as { data: Msg }).data);
  const SEEDS = [usdmBook, usdmDepth, spotBook, spotDepth, usdmTrade, spotTrade, bare(usdmBook), bare(usdmDepth), bare(spotBook), bare(usdmTrade), usdmDepth.replace('@depth@0ms', '@depth20@100ms')];

  it('the seeds: each read as JSON.parse reads it (the top-N book stream declined)', () => {
    for (const s of SEEDS) expect(scan(s)).toEqual(reference(s));
    expect(SEEDS.slice(0, -1).every((s) => scan(s).kind !== DECLINED)).toBe(true);
    expect(scan(SEEDS[SEEDS.length - 1]!).kind).toBe(DECLINED);
  });

  const SNIPPETS = [' ', '\t', '\r', '\n', '\\u0041', '\\"', '"', ',', ':', '{', '}', '[', ']', '0', '1', '-', '.', 'e', 'E', '5', '.0', 'e2', ',"E":1', ',"x":1', ',"u":7', ',"pu":-1', ',"T":3', '"e":"bookTicker",', '"e":"trade",', ',"s":""', ',"X":"ADL"', ',"m":true', ',"M":1', 'null', 'true', 'false', 'tru', '\u0001', 'é', '"0x1f"', '1e3', '00'];
  const mutation = fc.oneof(
    fc.tuple(fc.constant('insert' as const), fc.nat(), fc.constantFrom(...SNIPPETS)),
    fc.tuple(fc.constant('delete' as const), fc.nat(), fc.integer({ min: 1, max: 6 })),
    fc.tuple(fc.constant('replace' as const), fc.nat(), fc.constantFrom(...SNIPPETS)),
  );
  const apply = (s: string, [op, at, x]: [string, number, string | number]): string => {
    const i = at % (s.length + 1);
    if (op === 'insert') return s.slice(0, i) + x + s.slice(i);
    if (op === 'delete') return s.slice(0, i) + s.slice(i + (x as number));
    return s.slice(0, i) + x + s.slice(i + 1);
  };

  it('whatever the scanner reads, JSON.parse and the fast paths read to the same values', () => {
    let read = 0;
    fc.assert(
      fc.property(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 3 }), (seed, ms) => {
        const json = ms.reduce(apply, seed);
        const got = scan(json);
        if (got.kind === DECLINED) return;
        read++;
        expect(got, json).toEqual(reference(json));
      }),
      { numRuns: 20_000 },
    );
    // the mutations that keep a message valid (whitespace, a digit in a number) are read, not all declined
    expect(read).toBeGreaterThan(1000);
  });

  it('a repeated symbol is handed out as the same string, a new one as its own', () => {
    const { q, scanner: s } = scratch();
    expect(s.scan(usdmBook, 0)).toBe(SCANNED_QUOTE);
    const first = q.symbol;
    expect(s.scan(usdmBook, 0)).toBe(SCANNED_QUOTE);
    expect(q.symbol).toBe(first);
    expect(s.scan(usdmBook.replace(/BTCUSDT/g, 'ETHUSDT'), 0)).toBe(SCANNED_QUOTE);
    expect(q.symbol).toBe('ETHUSDT');
  });
});
