import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DepthEvent, MarkEvent, QuoteEvent, TradeEvent } from '../../src/core/events.js';
import { DECIMAL_RE } from '../../src/core/wire.js';
import {
  decimal,
  explain,
  fillAggTrade,
  fillBookTicker,
  fillDepthSnapshot,
  fillDepthUpdate,
  fillMarkPrice,
  fillTrade,
  isPartialDepth,
  WIRE_SCHEMAS,
  type MessageType,
  type Msg,
} from '../../src/io/capture-messages.js';
import { dataPath } from '../helpers/data.js';

describe('decimal()', () => {
  it('accepts exactly what DECIMAL_RE accepts, with the value Number() gives', () => {
    const chars = fc.constantFrom(...'0123456789.-+eExXbBoO \t\nI_,'.split(''));
    const plain = fc.stringMatching(/^-?\d{0,17}\.?\d{0,17}$/); // the digit-loop path and its 15-digit edge
    const text = fc.oneof(plain, fc.string({ unit: chars, maxLength: 8 }), fc.string({ maxLength: 6 }), fc.double().map(String));
    fc.assert(
      fc.property(text, (s) => {
        const v = decimal(s);
        if (DECIMAL_RE.test(s)) expect(v).toBe(Number(s));
        else expect(v, JSON.stringify(s)).toBeNaN();
      }),
      { numRuns: 30_000 },
    );
    for (const s of ['', ' 1', '1 ', '0x10', '0b1', '0o7', '+1', 'Infinity', '-', '.', '1e', '1_0']) expect(decimal(s), s).toBeNaN();
    for (const s of ['61800.30', '0.00000000', '-1.5', '.5', '5.', '1e-7', '1E+3']) expect(decimal(s), s).toBe(Number(s));
    expect(decimal(61800.3)).toBeNaN();
  });
});

describe('isPartialDepth()', () => {
  it('tells top-N book streams from diff streams, in a whole name or a range of a line', () => {
    for (const s of ['btcusdt@depth5', 'btcusdt@depth20@100ms', 'ethusdt@depth10@500ms']) expect(isPartialDepth(s), s).toBe(true);
    for (const s of ['btcusdt@depth', 'btcusdt@depth@100ms', 'btcusdt@depth@0ms', 'btcusdt@bookTicker', '', '@dept']) expect(isPartialDepth(s), s).toBe(false);
    // a range ends where the stream name does: a "@depth5" further on is not its own
    const line = '{"stream":"btcusdt@bookTicker","data":{"s":"x@depth5"}}';
    const a = line.indexOf('btcusdt');
    const b = line.indexOf('"', a);
    expect(isPartialDepth(line, a, b)).toBe(false);
    expect(isPartialDepth(line)).toBe(true);
  });
});

// one real message of each type and variant, from the captures
function firstData(file: string, test: (line: string) => boolean): Msg {
  const raw = readFileSync(dataPath('binance-ws', ...file.split('/')));
  const text = (raw[0] === 0x1f ? gunzipSync(raw) : raw).toString('utf8');
  const line = text.split('\n').find(test)!;
  const o = JSON.parse(line.slice(line.indexOf('{')));
  return o.data ?? o;
}

const trade = (): TradeEvent => ({ type: 'trade', symbol: '', ts: 0, recvTs: 0, price: 0, qty: 0, side: 'buy', id: 0, firstId: 0, lastId: 0, printKind: '' });
const quote = (): QuoteEvent => ({ type: 'quote', symbol: '', ts: 0, recvTs: 0, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0, updateId: 0 });
const depth = (): DepthEvent => ({ type: 'depth', symbol: '', ts: 0, recvTs: 0, isSnapshot: false, firstUpdateId: 0, lastUpdateId: 0, prevUpdateId: 0, bidPrices: [], bidQtys: [], askPrices: [], askQtys: [] });
const mark = (): MarkEvent => ({ type: 'mark', symbol: '', ts: 0, recvTs: 0, markPrice: 0, indexPrice: 0, fundingRate: 0, nextFundingTime: 0 });

const FAST: Record<MessageType, (m: Msg) => boolean> = {
  trade: (m) => fillTrade(m, trade()),
  aggTrade: (m) => fillAggTrade(m, trade()),
  bookTicker: (m) => fillBookTicker(m, quote()),
  depthUpdate: (m) => fillDepthUpdate(m, depth()),
  depthSnapshot: (m) => fillDepthSnapshot(m, depth()),
  markPriceUpdate: (m) => fillMarkPrice(m, mark()),
};

const usdmSnapshot = firstData('usdm/btcusdt_20240718.gz', (l) => l.includes('lastUpdateId'));
const SAMPLES: [MessageType, string, Msg][] = [
  ['trade', 'USD-M', firstData('usdm/btcusdt_20240808.gz', (l) => l.includes('"e":"trade"'))],
  ['trade', 'spot', firstData('spot/btcusdt_20240808.gz', (l) => l.includes('"e":"trade"'))],
  ['aggTrade', 'USD-M', firstData('recorded-aggtrade/BINANCE_FUTURES.ws.1.0', (l) => l.includes('"e":"aggTrade"'))],
  ['bookTicker', 'USD-M', firstData('usdm/btcusdt_20240808.gz', (l) => l.includes('@bookTicker'))],
  ['bookTicker', 'spot', firstData('spot/btcusdt_20240808.gz', (l) => l.includes('@bookTicker'))],
  ['depthUpdate', 'USD-M', firstData('usdm/btcusdt_20240718.gz', (l) => l.includes('"e":"depthUpdate"'))],
  ['depthUpdate', 'spot', firstData('spot/btcusdt_20240808.gz', (l) => l.includes('"e":"depthUpdate"'))],
  ['depthSnapshot', 'USD-M', { ...usdmSnapshot, bids: (usdmSnapshot.bids as unknown[]).slice(0, 5), asks: (usdmSnapshot.asks as unknown[]).slice(0, 5) }],
  // the documented example (no real markPrice capture is at hand)
  // https://developers.binance.com/docs/derivatives/coin-margined-futures/websocket-market-streams/Mark-Price-Stream
  ['markPriceUpdate', 'COIN-M', { e: 'markPriceUpdate', E: 1596095725000, s: 'BTCUSD_201225', p: '10934.62615417', P: '10962.17178236', i: '10933.62615417', r: '', T: 0 }],
];

const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 2 ** 40 }),
  fc.double(),
  fc.constantFrom(2 ** 53, 1.5, -1, 0),
  fc.constantFrom('', '1', '0.5', 'abc', '1e3', ' 2', 'X', 'MARKET'),
  fc.string({ maxLength: 4 }),
  fc.constantFrom([], [['1', '2']], [['1']], [['1', '2', '3']], [[1, 2]], [['a', '1']], ['1', '2'], {}),
);

function mutate(m: Msg, path: (string | number)[], value: unknown): Msg {
  const copy = structuredClone(m) as Record<string | number, unknown>;
  let o: Record<string | number, unknown> = copy;
  for (const k of path.slice(0, -1)) {
    const next = o[k];
    if (next === null || typeof next !== 'object') return copy;
    o = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined && !Array.isArray(o)) delete o[last];
  else o[last] = value;
  return copy;
}

describe('fast paths agree with the wire schemas', () => {
  for (const [type, variant, sample] of SAMPLES) {
    it(`${type} (${variant}): the real message passes both; every mutation passes both or neither`, () => {
      expect(FAST[type](sample)).toBe(true);
      expect(WIRE_SCHEMAS[type].safeParse(sample).success).toBe(true);
      const keys = [...Object.keys(sample), 'X', 'pu', 'T', 'E', 'P', 'r'];
      const levelKey = 'b' in sample && Array.isArray(sample.b) ? 'b' : 'bids' in sample ? 'bids' : null;
      const path = fc.oneof(
        fc.constantFrom(...keys).map((k) => [k] as (string | number)[]),
        ...(levelKey ? [fc.tuple(fc.constant(levelKey), fc.constant(0), fc.constantFrom(0, 1, 2)).map((p) => p as (string | number)[])] : []),
      );
      fc.assert(
        fc.property(path, anyValue, (p, v) => {
          const m = mutate(sample, p, v);
          if (p[0] === 'e' || (p[0] === levelKey && !Array.isArray((sample[levelKey] as unknown[])[0]))) return;
          const fast = FAST[type](m);
          const schema = WIRE_SCHEMAS[type].safeParse(m).success;
          expect(fast, `${p.join('.')} = ${JSON.stringify(v)}`).toBe(schema);
          if (!fast) expect(explain(type, m, 'data').message).not.toMatch(/although its schema accepts it/);
        }),
        { numRuns: 1500 },
      );
    });
  }

  it('explain() names field and reason', () => {
    const t = SAMPLES[0]![2];
    expect(explain('trade', mutate(t, ['p'], undefined), 'data')).toMatchObject({ reason: 'missing-field', field: 'data.p' });
    expect(explain('trade', mutate(t, ['q'], '1,5'), 'data')).toMatchObject({ reason: 'bad-number', field: 'data.q' });
    expect(explain('trade', mutate(t, ['t'], 1.5), '')).toMatchObject({ reason: 'bad-number', field: 't' });
    expect(explain('trade', mutate(t, ['m'], 'yes'), 'data')).toMatchObject({ reason: 'bad-value', field: 'data.m' });
  });
});
