/**
 * Binance websocket messages to events: one hand-written fast path per message type, and the
 * explanation of a refused message by the matching zod schema of `core/wire.ts`.
 *
 * The fast paths read a parsed message into a reused scratch event with `typeof` checks and
 * one `Number()` per decimal string, and accept exactly what the wire schemas accept (the
 * capture reader's tests check the two agree on mutated real messages). zod runs only on a
 * message a fast path refused, to name the field and say what was wrong with it.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams
 * @see https://developers.binance.com/docs/derivatives/coin-margined-futures/websocket-market-streams
 * @see https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams
 */
import type * as z from 'zod';
import type { RejectReason } from '../core/errors.js';
import type { DepthEvent, MarkEvent, QuoteEvent, TradeEvent } from '../core/events.js';
import { firstIssue, WireAggTrade, WireBookTicker, WireDepthSnapshot, WireDepthUpdate, WireMarkPrice, WireTrade } from '../core/wire.js';

/** A parsed JSON object. */
export type Msg = Record<string, unknown>;

/** The message types the capture reader turns into events. */
export type MessageType = 'trade' | 'aggTrade' | 'bookTicker' | 'depthUpdate' | 'depthSnapshot' | 'markPriceUpdate';

/** The wire schema that explains a refused message of each type. */
export const WIRE_SCHEMAS: Record<MessageType, z.ZodType> = {
  trade: WireTrade,
  aggTrade: WireAggTrade,
  bookTicker: WireBookTicker,
  depthUpdate: WireDepthUpdate,
  depthSnapshot: WireDepthSnapshot,
  markPriceUpdate: WireMarkPrice,
};

/**
 * Event types Binance streams carry that hold no trade, quote, depth or mark: a capture may
 * record them, and the reader counts them in `stats.skipped` under their own name.
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams
 */
export const UNUSED_EVENT_TYPES: ReadonlySet<string> = new Set([
  'kline',
  'continuous_kline',
  'markPriceKline',
  'indexPriceKline',
  '24hrTicker',
  '24hrMiniTicker',
  '1hTicker',
  '4hTicker',
  '1dTicker',
  'forceOrder',
  'indexPriceUpdate',
  'compositeIndex',
  'contractInfo',
  'assetIndexUpdate',
  'avgPrice',
]);

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * A Binance decimal string as a number, or `NaN` when the value is not a string that
 * `DECIMAL_RE` of `core/wire.ts` accepts.
 *
 * Plain decimals of up to 15 digits (every Binance price and quantity) are read by one pass
 * over the characters: the digits form an integer m < 2^53 and the value is m / 10^k, both
 * exact doubles, so the IEEE division rounds it exactly as `Number()` would (Clinger's fast
 * path) at about half the cost. Anything else goes to {@link decimalSlow}.
 *
 * @see W. D. Clinger, "How to read floating point numbers accurately", PLDI 1990.
 * @example decimal('61800.30') // 61800.3
 * @example decimal('0x10')     // NaN
 */
export function decimal(v: unknown): number {
  if (typeof v !== 'string') return Number.NaN;
  return decimalIn(v, 0, v.length);
}

/**
 * {@link decimal} of the characters `text[a, b)`, read in place: the capture scanner's decimal
 * strings, inside a line (`capture-scan.ts`), with no substring unless the slow path needs one.
 *
 * @example decimalIn('"b":"61800.30"', 5, 13) // 61800.3
 */
export function decimalIn(text: string, a: number, b: number): number {
  let i = a;
  let neg = false;
  if (i < b && text.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  let m = 0;
  let digits = 0;
  let dot = -1;
  for (; i < b; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
    } else if (c === 46 && dot < 0) dot = i;
    else return decimalSlow(text.slice(a, b));
  }
  if (digits === 0 || digits > 15) return decimalSlow(text.slice(a, b));
  const x = dot < 0 || dot === b - 1 ? m : m / POW10[b - dot - 1]!;
  return neg ? -x : x;
}

/**
 * {@link decimal} for exponents and long digit strings: `Number()`, after three character
 * checks that refuse what `Number()` takes but `DECIMAL_RE` does not (`""`, `" 1"`, `"0x1f"`,
 * `"+1"`, `"Infinity"`).
 */
function decimalSlow(v: string): number {
  const n = v.length;
  if (n === 0) return Number.NaN;
  const c0 = v.charCodeAt(0);
  // first: digit, '-' or '.'
  if (!((c0 >= 48 && c0 <= 57) || c0 === 45 || c0 === 46)) return Number.NaN;
  const cl = v.charCodeAt(n - 1);
  // last: digit or '.'
  if (!((cl >= 48 && cl <= 57) || cl === 46)) return Number.NaN;
  if (c0 === 48 && n > 2) {
    const c1 = v.charCodeAt(1) | 0x20; // lower case
    if (c1 === 120 || c1 === 111 || c1 === 98) return Number.NaN; // 0x 0o 0b
  }
  return Number(v);
}

/**
 * A top-N book stream (`btcusdt@depth5`, `btcusdt@depth20@100ms`): neither diffs nor full
 * snapshots, so the capture reader skips it. `stream[a, b)`, the whole string by default (the
 * capture scanner passes the stream name's place in a line).
 *
 * @example isPartialDepth('btcusdt@depth20@100ms') // true; 'btcusdt@depth@100ms' → false
 */
export function isPartialDepth(stream: string, a = 0, b = stream.length): boolean {
  const at = stream.indexOf('@depth', a);
  if (at < 0 || at + 6 >= b) return false;
  const c = stream.charCodeAt(at + 6);
  return c >= 48 && c <= 57;
}

/** An update id, trade id or epoch-ms integer as the schemas' `Id` / `EpochMs` accept it. */
function isUInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isSymbol(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

/** `<symbol>@trade`. Futures carry `X` (print kind); spot has none and only prints market trades. */
export function fillTrade(m: Msg, e: TradeEvent): boolean {
  const E = m.E, T = m.T, s = m.s, t = m.t, mk = m.m, X = m.X;
  if (!isUInt(E) || !isUInt(T) || !isSymbol(s) || !isUInt(t) || typeof mk !== 'boolean') return false;
  if (X !== undefined && typeof X !== 'string') return false;
  const p = decimal(m.p), q = decimal(m.q);
  if (p !== p || q !== q) return false;
  e.ts = E;
  e.symbol = s;
  e.price = p;
  e.qty = q;
  e.side = mk ? 'sell' : 'buy';
  e.id = t;
  e.firstId = t;
  e.lastId = t;
  e.printKind = X === undefined ? 'MARKET' : X;
  return true;
}

/** `<symbol>@aggTrade`: the aggregate id `a` is the event id, `f`..`l` the trades it covers. */
export function fillAggTrade(m: Msg, e: TradeEvent): boolean {
  const E = m.E, T = m.T, s = m.s, a = m.a, f = m.f, l = m.l, mk = m.m;
  if (!isUInt(E) || !isUInt(T) || !isSymbol(s) || !isUInt(a) || !isUInt(f) || !isUInt(l) || typeof mk !== 'boolean') return false;
  const p = decimal(m.p), q = decimal(m.q);
  if (p !== p || q !== q) return false;
  e.ts = E;
  e.symbol = s;
  e.price = p;
  e.qty = q;
  e.side = mk ? 'sell' : 'buy';
  e.id = a;
  e.firstId = f;
  e.lastId = l;
  // only market trades are aggregated (insurance-fund and ADL prints are not)
  e.printKind = 'MARKET';
  return true;
}

/** `<symbol>@bookTicker`. Spot sends neither `e`, `E` nor `T`: `ts` is then left `NaN`. */
export function fillBookTicker(m: Msg, e: QuoteEvent): boolean {
  const E = m.E, T = m.T, s = m.s, u = m.u;
  if ((E !== undefined && !isUInt(E)) || (T !== undefined && !isUInt(T)) || !isUInt(u) || !isSymbol(s)) return false;
  const b = decimal(m.b), B = decimal(m.B), a = decimal(m.a), A = decimal(m.A);
  if (b !== b || B !== B || a !== a || A !== A) return false;
  e.ts = E !== undefined ? E : T !== undefined ? T : Number.NaN;
  e.symbol = s;
  e.bidPrice = b;
  e.bidQty = B;
  e.askPrice = a;
  e.askQty = A;
  e.updateId = u;
  return true;
}

/** `<symbol>@depth`: a diff. Futures carry `pu` (the previous diff's `u`); spot does not. */
export function fillDepthUpdate(m: Msg, e: DepthEvent): boolean {
  const E = m.E, T = m.T, s = m.s, U = m.U, u = m.u, pu = m.pu;
  if (!isUInt(E) || (T !== undefined && !isUInt(T)) || !isSymbol(s) || !isUInt(U) || !isUInt(u)) return false;
  if (pu !== undefined && !(typeof pu === 'number' && Number.isSafeInteger(pu))) return false;
  if (!fillLevels(m.b, e.bidPrices, e.bidQtys) || !fillLevels(m.a, e.askPrices, e.askQtys)) return false;
  e.ts = E;
  e.symbol = s;
  e.isSnapshot = false;
  e.firstUpdateId = U;
  e.lastUpdateId = u;
  e.prevUpdateId = pu === undefined ? Number.NaN : pu;
  return true;
}

/**
 * A REST depth snapshot (`GET /fapi/v1/depth`, `/dapi/v1/depth`, `/api/v3/depth`) recorded in
 * the capture. USD-M and spot answers name no symbol (COIN-M's has `symbol`, used when
 * present); the caller supplies one when `e.symbol` is left empty. Spot snapshots have no
 * `E`/`T`: `ts` is then left `NaN`.
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Order-Book
 * @see https://developers.binance.com/docs/derivatives/coin-margined-futures/market-data/Order-Book
 */
export function fillDepthSnapshot(m: Msg, e: DepthEvent): boolean {
  const E = m.E, T = m.T, id = m.lastUpdateId, sym = m.symbol;
  if (!isUInt(id) || (E !== undefined && !isUInt(E)) || (T !== undefined && !isUInt(T))) return false;
  if (!fillLevels(m.bids, e.bidPrices, e.bidQtys) || !fillLevels(m.asks, e.askPrices, e.askQtys)) return false;
  e.ts = E !== undefined ? E : T !== undefined ? T : Number.NaN;
  e.symbol = isSymbol(sym) ? sym : '';
  e.isSnapshot = true;
  e.firstUpdateId = Number.NaN;
  e.lastUpdateId = id;
  e.prevUpdateId = Number.NaN;
  return true;
}

/**
 * `<symbol>@markPrice`. `T` here is the next funding time, not a transaction time; delivery
 * contracts send `"r":""` and `"T":0` (no funding), which become `NaN`.
 * @see https://developers.binance.com/docs/derivatives/coin-margined-futures/websocket-market-streams/Mark-Price-Stream
 */
export function fillMarkPrice(m: Msg, e: MarkEvent): boolean {
  const E = m.E, T = m.T, s = m.s, r = m.r, P = m.P;
  if (!isUInt(E) || !isUInt(T) || !isSymbol(s)) return false;
  const p = decimal(m.p), i = decimal(m.i);
  if (p !== p || i !== i) return false;
  const settle = P === undefined ? 0 : decimal(P);
  const rate = r === '' ? Number.NaN : decimal(r);
  if (settle !== settle || (rate !== rate && r !== '')) return false;
  e.ts = E;
  e.symbol = s;
  e.markPrice = p;
  e.indexPrice = i;
  e.fundingRate = rate;
  e.nextFundingTime = T === 0 ? Number.NaN : T;
  return true;
}

/** `[[price, qty], …]` into two reused arrays. */
function fillLevels(v: unknown, prices: number[], qtys: number[]): boolean {
  if (!Array.isArray(v)) return false;
  const n = v.length;
  prices.length = n;
  qtys.length = n;
  for (let i = 0; i < n; i++) {
    const l: unknown = v[i];
    if (!Array.isArray(l) || l.length !== 2) return false;
    const p = decimal(l[0]), q = decimal(l[1]);
    if (p !== p || q !== q) return false;
    prices[i] = p;
    qtys[i] = q;
  }
  return true;
}

/** Why a message was refused, for a reject record. */
export interface Refusal {
  reason: RejectReason;
  field?: string;
  message: string;
}

/**
 * Explain a message a fast path refused, with its wire schema: the first issue zod finds,
 * its dotted field (`data.p`) and a reason — `missing-field` when the value is absent,
 * `bad-number` for a malformed decimal string or integer, `bad-value` otherwise.
 */
export function explain(type: MessageType, m: Msg, prefix: string): Refusal {
  const r = WIRE_SCHEMAS[type].safeParse(m);
  if (r.success) {
    // the fast path is stricter than its schema: a bug, but the line still must not vanish
    return { reason: 'bad-value', message: `${type} message refused by the reader although its schema accepts it` };
  }
  const issue = r.error.issues[0]!;
  const { field, message } = firstIssue(r.error, prefix);
  const value = valueAt(m, issue.path);
  const got = value === undefined ? '' : `, got ${show(value)}`;
  const reason: RejectReason = value === undefined ? 'missing-field' : isNumberIssue(issue, value) ? 'bad-number' : 'bad-value';
  return field ? { reason, field, message: `${message}${got}` } : { reason, message: `${message}${got}` };
}

/** A malformed decimal string or integer, or a number where a decimal string belongs. */
function isNumberIssue(issue: z.core.$ZodIssue, value: unknown): boolean {
  switch (issue.code) {
    case 'invalid_format':
      return true;
    case 'invalid_type':
      return issue.expected === 'number' || issue.expected === 'int' || (issue.expected === 'string' && typeof value === 'number');
    case 'too_small':
    case 'too_big':
      return issue.origin === 'number';
    case 'invalid_union':
      return typeof value === 'string' || typeof value === 'number';
    default:
      return false;
  }
}

function valueAt(m: unknown, path: readonly PropertyKey[]): unknown {
  let v = m;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
