/**
 * The three messages that make most of a Binance capture — `bookTicker` (futures' with `"e"`
 * first, spot's without `"e"` and `"u"` first), `depthUpdate` and `trade` — bare or in the
 * combined-stream wrapper `{"stream":…,"data":…}`, read from the line's text straight into the
 * capture reader's scratch events, without `JSON.parse`: a depth diff of a few hundred levels
 * is otherwise parsed into as many arrays and twice as many strings, each read once.
 *
 * The scanner accepts a strict subset of what `JSON.parse` and the per-type fast paths of
 * `capture-messages.ts` accept together, with the same values: `"e"` (or spot's `"u"`) first,
 * then the keys of the message type and no other, each once, in any order; integers as plain
 * digits (at most 15, so exact); `true` and `false`; strings without escapes or control
 * characters; decimals read
 * in place by the digit loop of `decimal` (`decimalIn`); JSON whitespace between tokens and
 * nothing after the message. On anything else it declines (returns {@link DECLINED}) and the
 * reader parses the line with `JSON.parse` as before, which accepts, skips or refuses it and
 * says why. A declined line may have left the scratch events half-written; the reader's fast
 * paths write every field of an event they accept.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Individual-Symbol-Book-Ticker-Streams
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Diff-Book-Depth-Streams
 * @see https://www.rfc-editor.org/rfc/rfc8259 (JSON: whitespace, strings, numbers)
 */
import type { DepthEvent, QuoteEvent, TradeEvent } from '../core/events.js';
import { decimalIn, isPartialDepth } from './capture-messages.js';

/** {@link CaptureScanner.scan}: the line is left to `JSON.parse`. */
export const DECLINED = 0;
/** {@link CaptureScanner.scan}: a bookTicker, in the scratch quote. */
export const SCANNED_QUOTE = 1;
/** {@link CaptureScanner.scan}: a depth diff, in the scratch depth event. */
export const SCANNED_DEPTH = 2;
/** {@link CaptureScanner.scan}: a trade, in the scratch trade event. */
export const SCANNED_TRADE = 3;

// the keys a message may hold, by index, named as Binance names them; a message holds each at
// most once (a bit per key marks those seen)
const K_e = 0, K_E = 1, K_T = 2, K_s = 3, K_U = 4, K_u = 5, K_pu = 6, K_b = 7, K_B = 8, K_a = 9, K_A = 10;
const K_t = 11, K_p = 12, K_q = 13, K_X = 14, K_m = 15, K_M = 16;
const KEYS = 17;
const mask = (...keys: number[]): number => keys.reduce((m, k) => m | (1 << k), 0);

// how each key's value is read
const UINT = 0, DEC = 1, TEXT = 2, BOOL = 3, SIDE = 4; // SIDE: a depth diff's levels, a bookTicker's decimal
const READ = Uint8Array.from([TEXT, UINT, UINT, TEXT, UINT, UINT, UINT, SIDE, DEC, SIDE, DEC, UINT, DEC, DEC, TEXT, BOOL, BOOL]);

/** The index of a one-character key, −1 for a key no scanned message has. */
const KEY_OF = new Int8Array(128).fill(-1);
for (const [c, k] of [['E', K_E], ['T', K_T], ['s', K_s], ['U', K_U], ['u', K_u], ['b', K_b], ['B', K_B], ['a', K_a], ['A', K_A], ['t', K_t], ['p', K_p], ['q', K_q], ['X', K_X], ['m', K_m], ['M', K_M]] as const) KEY_OF[c.charCodeAt(0)] = k;

const QUOTE = 0, DEPTH = 1, TRADE = 2;
/** Per message type: the keys it may hold, and those the reader's fast path requires (fillBookTicker, fillDepthUpdate, fillTrade). */
const ALLOWED = [mask(K_e, K_E, K_T, K_s, K_u, K_b, K_B, K_a, K_A), mask(K_e, K_E, K_T, K_s, K_U, K_u, K_pu, K_b, K_a), mask(K_e, K_E, K_T, K_s, K_t, K_p, K_q, K_X, K_m, K_M)];
const REQUIRED = [mask(K_u, K_s, K_b, K_B, K_a, K_A), mask(K_E, K_s, K_U, K_u, K_b, K_a), mask(K_E, K_T, K_s, K_t, K_p, K_q, K_m)];

/** See the module comment. One per file: it keeps the last symbol's and print kind's strings to hand them out again. */
export class CaptureScanner {
  /** Event time `E` of the last message scanned (`undefined` when it had none), as the sink takes it. */
  E: number | undefined = undefined;
  private text = '';
  private at = 0;
  private sym = '';
  private printKind = 'MARKET';
  // the message being scanned: its type, the keys seen, their numeric values by key index
  private type = QUOTE;
  private keys = 0;
  private readonly v = new Float64Array(KEYS);

  constructor(
    private readonly quote: QuoteEvent,
    private readonly depth: DepthEvent,
    private readonly trade: TradeEvent,
  ) {}

  /** Scan the JSON message at `text[start…]`: {@link SCANNED_QUOTE}, {@link SCANNED_DEPTH}, {@link SCANNED_TRADE} or {@link DECLINED}. */
  scan(text: string, start: number): number {
    this.text = text;
    this.at = start;
    if (!this.punct(123)) return DECLINED; // {
    // the wrapper: "stream" first, then "data"
    const k0 = this.at;
    if (this.keyIs('stream')) {
      const s = this.str();
      if (s < 0) return DECLINED;
      const streamEnd = this.at - 1;
      if (!this.punct(44) || !this.keyIs('data')) return DECLINED; // ,
      if (!this.punct(123) || !this.object()) return DECLINED;
      if (!this.punct(125) || !this.end()) return DECLINED; // }
      // a top-N book stream (`@depth5`, `@depth20@100ms`) is skipped by the reader, not read
      if (this.type === DEPTH && isPartialDepth(text, s, streamEnd)) return DECLINED;
    } else {
      this.at = k0;
      if (!this.object() || !this.end()) return DECLINED;
    }
    const need = REQUIRED[this.type]!;
    if ((this.keys & need) !== need) return DECLINED;
    return this.type === DEPTH ? this.finishDepth() : this.type === TRADE ? this.finishTrade() : this.finishQuote();
  }

  /** The members of a message after its `{`, through its `}`. */
  private object(): boolean {
    this.keys = 0;
    this.type = QUOTE;
    const text = this.text;
    // "e" comes first in every Binance message that has one, and says which keys may follow;
    // spot's bookTicker has none and starts with "u"
    const k0 = this.at;
    if (this.keyIs('e')) {
      const e = this.str();
      if (e < 0) return false;
      const eEnd = this.at - 1;
      if (eEnd - e === 10 && text.startsWith('bookTicker', e)) this.type = QUOTE;
      else if (eEnd - e === 11 && text.startsWith('depthUpdate', e)) this.type = DEPTH;
      else if (eEnd - e === 5 && text.startsWith('trade', e)) this.type = TRADE;
      else return false;
      this.keys = 1 << K_e;
    } else {
      this.at = k0;
      if (!this.keyIs('u')) return false;
      this.keys = 1 << K_u;
      if (!this.value(K_u)) return false;
    }
    const allowed = ALLOWED[this.type]!;
    for (;;) {
      this.ws();
      const c = text.charCodeAt(this.at);
      if (c === 125) {
        this.at++;
        return true;
      }
      if (c !== 44) return false;
      this.at++;
      this.ws();
      // a key of one or two characters
      if (text.charCodeAt(this.at) !== 34) return false;
      const k1 = text.charCodeAt(this.at + 1);
      const k2 = text.charCodeAt(this.at + 2);
      let k: number;
      if (k2 === 34) {
        k = k1 < 128 ? KEY_OF[k1]! : -1;
        this.at += 3;
      } else if (k1 === 112 && k2 === 117 && text.charCodeAt(this.at + 3) === 34) {
        k = K_pu;
        this.at += 4;
      } else return false;
      if (k < 0) return false;
      const bit = 1 << k;
      if ((allowed & bit) === 0 || (this.keys & bit) !== 0) return false;
      this.keys |= bit;
      if (!this.punct(58)) return false; // :
      if (!this.value(k)) return false;
    }
  }

  /** The value of key `k`, into its field; false (decline) when it is not one the scanner reads. */
  private value(k: number): boolean {
    let x: number;
    switch (READ[k]) {
      case UINT:
        x = this.uint();
        break;
      case DEC:
        x = this.dec();
        break;
      case BOOL:
        x = this.bool();
        break;
      case SIDE:
        if (this.type === DEPTH) return k === K_b ? this.levels(this.depth.bidPrices, this.depth.bidQtys) : this.levels(this.depth.askPrices, this.depth.askQtys);
        x = this.dec();
        break;
      default:
        return k === K_s ? this.symbol() : this.print();
    }
    this.v[k] = x;
    return x === x;
  }

  private has(k: number): boolean {
    return (this.keys & (1 << k)) !== 0;
  }

  private finishQuote(): number {
    const q = this.quote;
    const v = this.v;
    const hasE = this.has(K_E);
    q.ts = hasE ? v[K_E]! : this.has(K_T) ? v[K_T]! : Number.NaN;
    q.symbol = this.sym;
    q.bidPrice = v[K_b]!;
    q.bidQty = v[K_B]!;
    q.askPrice = v[K_a]!;
    q.askQty = v[K_A]!;
    q.updateId = v[K_u]!;
    this.E = hasE ? v[K_E] : undefined;
    return SCANNED_QUOTE;
  }

  private finishTrade(): number {
    const e = this.trade;
    const v = this.v;
    e.ts = v[K_E]!;
    e.symbol = this.sym;
    e.price = v[K_p]!;
    e.qty = v[K_q]!;
    e.side = v[K_m] === 1 ? 'sell' : 'buy';
    e.id = e.firstId = e.lastId = v[K_t]!;
    e.printKind = this.has(K_X) ? this.printKind : 'MARKET';
    this.E = v[K_E];
    return SCANNED_TRADE;
  }

  private finishDepth(): number {
    const d = this.depth;
    const v = this.v;
    d.ts = v[K_E]!;
    d.symbol = this.sym;
    d.isSnapshot = false;
    d.firstUpdateId = v[K_U]!;
    d.lastUpdateId = v[K_u]!;
    d.prevUpdateId = this.has(K_pu) ? v[K_pu]! : Number.NaN;
    this.E = v[K_E];
    return SCANNED_DEPTH;
  }

  /** `[[price, qty], …]` of decimal strings into two reused arrays. */
  private levels(prices: number[], qtys: number[]): boolean {
    if (!this.punct(91)) return false; // [
    const text = this.text;
    let n = 0;
    this.ws();
    if (text.charCodeAt(this.at) === 93) this.at++; // ]
    else {
      for (;;) {
        if (!this.punct(91)) return false;
        const p = this.dec();
        if (p !== p || !this.punct(44)) return false;
        const q = this.dec();
        if (q !== q || !this.punct(93)) return false;
        prices[n] = p;
        qtys[n] = q;
        n++;
        this.ws();
        const c = text.charCodeAt(this.at++);
        if (c === 93) break;
        if (c !== 44) return false;
        this.ws();
      }
    }
    prices.length = n;
    qtys.length = n;
    return true;
  }

  /** A string `"…"` without escapes or control characters: the index of its first character (the cursor after its closing quote), or −1. */
  private str(): number {
    const text = this.text;
    this.ws();
    if (text.charCodeAt(this.at) !== 34) return -1;
    const a = ++this.at;
    for (let i = a; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        this.at = i + 1;
        return a;
      }
      if (c === 92 || c < 32) return -1;
    }
    return -1;
  }

  /** The symbol string (not empty: the fast path refuses an empty one). */
  private symbol(): boolean {
    const s = this.known(this.sym);
    if (s === null || s === '') return false;
    this.sym = s;
    return true;
  }

  /** A trade's print kind `X`. */
  private print(): boolean {
    const x = this.known(this.printKind);
    if (x === null) return false;
    this.printKind = x;
    return true;
  }

  /** A string as {@link str} reads it, as `last` itself when it is the same (no new string per line), or null. */
  private known(last: string): string | null {
    const a = this.str();
    if (a < 0) return null;
    const b = this.at - 1;
    return b - a === last.length && this.text.startsWith(last, a) ? last : this.text.slice(a, b);
  }

  /** A JSON `true` (1) or `false` (0), or NaN. */
  private bool(): number {
    this.ws();
    const text = this.text;
    const at = this.at;
    if (text.startsWith('true', at)) {
      this.at = at + 4;
      return 1;
    }
    if (text.startsWith('false', at)) {
      this.at = at + 5;
      return 0;
    }
    return Number.NaN;
  }

  /** A decimal string as `decimal` reads it, or NaN (then the line is declined). */
  private dec(): number {
    const a = this.str();
    return a < 0 ? Number.NaN : decimalIn(this.text, a, this.at - 1);
  }

  /** A JSON integer of 1 to 15 plain digits (no sign, fraction, exponent or leading zero), or NaN. */
  private uint(): number {
    const text = this.text;
    this.ws();
    let i = this.at;
    const a = i;
    let v = 0;
    for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) v = v * 10 + (c - 48);
    const n = i - a;
    if (n === 0 || n > 15 || (n > 1 && text.charCodeAt(a) === 48)) return Number.NaN;
    const c = text.charCodeAt(i);
    if (c === 46 || c === 101 || c === 69) return Number.NaN; // . e E: a JSON number of another form
    this.at = i;
    return v;
  }

  /** `"name"` then `:`. */
  private keyIs(name: string): boolean {
    this.ws();
    const text = this.text;
    const at = this.at;
    if (text.charCodeAt(at) !== 34 || !text.startsWith(name, at + 1) || text.charCodeAt(at + 1 + name.length) !== 34) return false;
    this.at = at + name.length + 2;
    return this.punct(58);
  }

  /** Whitespace, then the character `c`. */
  private punct(c: number): boolean {
    this.ws();
    if (this.text.charCodeAt(this.at) !== c) return false;
    this.at++;
    return true;
  }

  /** Nothing but whitespace to the end of the line. */
  private end(): boolean {
    this.ws();
    return this.at === this.text.length;
  }

  /** JSON whitespace: space, tab, line feed, carriage return. */
  private ws(): void {
    const text = this.text;
    let i = this.at;
    for (let c = text.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = text.charCodeAt(++i));
    this.at = i;
  }
}
