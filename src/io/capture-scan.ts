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
import { decimalIn } from './capture-messages.js';

/** {@link CaptureScanner.scan}: the line is left to `JSON.parse`. */
export const DECLINED = 0;
/** {@link CaptureScanner.scan}: a bookTicker, in the scratch quote. */
export const SCANNED_QUOTE = 1;
/** {@link CaptureScanner.scan}: a depth diff, in the scratch depth event. */
export const SCANNED_DEPTH = 2;
/** {@link CaptureScanner.scan}: a trade, in the scratch trade event. */
export const SCANNED_TRADE = 3;

// key bits: a message has each key at most once
const K_E = 1, K_EE = 2, K_T = 4, K_S = 8, K_U = 16, K_UU = 32, K_PU = 64, K_B = 128, K_BB = 256, K_A = 512, K_AA = 1024;
const K_TT = 2048, K_P = 4096, K_Q = 8192, K_X = 16384, K_M = 32768, K_MM = 65536;
const BOOK_KEYS = K_E | K_EE | K_T | K_S | K_UU | K_B | K_BB | K_A | K_AA;
const DEPTH_KEYS = K_E | K_EE | K_T | K_S | K_U | K_UU | K_PU | K_B | K_A;
// futures' trade has the print kind X, spot's the "best match" flag M
const TRADE_KEYS = K_E | K_EE | K_T | K_S | K_TT | K_P | K_Q | K_X | K_M | K_MM;
const QUOTE = 0, DEPTH = 1, TRADE = 2;

/** See the module comment. One per file: it keeps the last symbol's and print kind's strings to hand them out again. */
export class CaptureScanner {
  /** Event time `E` of the last message scanned (`undefined` when it had none), as the sink takes it. */
  E: number | undefined = undefined;
  private text = '';
  private at = 0;
  private sym = '';
  private printKind = 'MARKET';
  // the fields of the message being scanned
  private keys = 0;
  private type = QUOTE;
  private vE = NaN;
  private vT = NaN;
  private vU = NaN;
  private vu = NaN;
  private vpu = NaN;
  private vb = NaN;
  private vB = NaN;
  private va = NaN;
  private vA = NaN;
  private vt = NaN;
  private vp = NaN;
  private vq = NaN;
  private vm = false;

  constructor(
    private readonly quote: QuoteEvent,
    private readonly depth: DepthEvent,
    private readonly trade: TradeEvent,
  ) {}

  /** Scan the JSON message at `text[start…]`: {@link SCANNED_QUOTE}, {@link SCANNED_DEPTH}, {@link SCANNED_TRADE} or {@link DECLINED}. */
  scan(text: string, start: number): number {
    this.text = text;
    this.at = start;
    this.keys = 0;
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
      if (this.type === DEPTH && partialDepth(text, s, streamEnd)) return DECLINED;
    } else {
      this.at = k0;
      if (!this.object() || !this.end()) return DECLINED;
    }
    return this.type === DEPTH ? this.finishDepth() : this.type === TRADE ? this.finishTrade() : this.finishQuote();
  }

  /** The members of a message after its `{`, through its `}`. */
  private object(): boolean {
    this.keys = 0;
    this.type = QUOTE;
    this.vE = this.vT = this.vU = this.vu = this.vpu = NaN;
    this.vb = this.vB = this.va = this.vA = NaN;
    this.vt = this.vp = this.vq = NaN;
    this.vm = false;
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
      this.keys = K_E;
    } else {
      this.at = k0;
      if (!this.keyIs('u')) return false;
      this.keys = K_UU;
      if (!this.value(K_UU)) return false;
    }
    const allowed = this.type === DEPTH ? DEPTH_KEYS : this.type === TRADE ? TRADE_KEYS : BOOK_KEYS;
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
      let bit: number;
      if (k2 === 34) {
        bit = keyBit(k1);
        this.at += 3;
      } else if (k1 === 112 && k2 === 117 && text.charCodeAt(this.at + 3) === 34) {
        bit = K_PU; // "pu"
        this.at += 4;
      } else return false;
      if (bit === 0 || (allowed & bit) === 0 || (this.keys & bit) !== 0) return false;
      this.keys |= bit;
      if (!this.punct(58)) return false; // :
      if (!this.value(bit)) return false;
    }
  }

  /** The value of key `bit`, into its field; false (decline) when it is not one the scanner reads (a NaN number). */
  private value(bit: number): boolean {
    let v: number;
    switch (bit) {
      case K_EE:
        v = this.vE = this.uint();
        break;
      case K_T:
        v = this.vT = this.uint();
        break;
      case K_U:
        v = this.vU = this.uint();
        break;
      case K_UU:
        v = this.vu = this.uint();
        break;
      case K_PU:
        v = this.vpu = this.uint();
        break;
      case K_S:
        return this.symbol();
      case K_B:
        if (this.type === DEPTH) return this.levels(this.depth.bidPrices, this.depth.bidQtys);
        v = this.vb = this.dec();
        break;
      case K_A:
        if (this.type === DEPTH) return this.levels(this.depth.askPrices, this.depth.askQtys);
        v = this.va = this.dec();
        break;
      case K_TT:
        v = this.vt = this.uint();
        break;
      case K_P:
        v = this.vp = this.dec();
        break;
      case K_Q:
        v = this.vq = this.dec();
        break;
      case K_X:
        return this.print();
      case K_M: {
        const b = this.bool();
        this.vm = b === 1;
        return b >= 0;
      }
      case K_MM:
        // spot's "best match" flag: read, not kept
        return this.bool() >= 0;
      case K_BB:
        v = this.vB = this.dec();
        break;
      case K_AA:
        v = this.vA = this.dec();
        break;
      default:
        return false;
    }
    return v === v;
  }

  private finishQuote(): number {
    // u, s and the four decimals are required; E and T are not (fillBookTicker)
    if ((this.keys & (K_UU | K_S | K_B | K_BB | K_A | K_AA)) !== (K_UU | K_S | K_B | K_BB | K_A | K_AA)) return DECLINED;
    const q = this.quote;
    const hasE = (this.keys & K_EE) !== 0;
    q.ts = hasE ? this.vE : (this.keys & K_T) !== 0 ? this.vT : Number.NaN;
    q.symbol = this.sym;
    q.bidPrice = this.vb;
    q.bidQty = this.vB;
    q.askPrice = this.va;
    q.askQty = this.vA;
    q.updateId = this.vu;
    this.E = hasE ? this.vE : undefined;
    return SCANNED_QUOTE;
  }

  private finishTrade(): number {
    // E, T, s, t, p, q and m are required; X is not (fillTrade)
    const need = K_EE | K_T | K_S | K_TT | K_P | K_Q | K_M;
    if ((this.keys & need) !== need) return DECLINED;
    const e = this.trade;
    e.ts = this.vE;
    e.symbol = this.sym;
    e.price = this.vp;
    e.qty = this.vq;
    e.side = this.vm ? 'sell' : 'buy';
    e.id = this.vt;
    e.firstId = this.vt;
    e.lastId = this.vt;
    e.printKind = (this.keys & K_X) !== 0 ? this.printKind : 'MARKET';
    this.E = this.vE;
    return SCANNED_TRADE;
  }

  private finishDepth(): number {
    // E, s, U, u, b and a are required; T and pu are not (fillDepthUpdate)
    if ((this.keys & (K_EE | K_S | K_U | K_UU | K_B | K_A)) !== (K_EE | K_S | K_U | K_UU | K_B | K_A)) return DECLINED;
    const d = this.depth;
    d.ts = this.vE;
    d.symbol = this.sym;
    d.isSnapshot = false;
    d.firstUpdateId = this.vU;
    d.lastUpdateId = this.vu;
    d.prevUpdateId = (this.keys & K_PU) !== 0 ? this.vpu : Number.NaN;
    this.E = this.vE;
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

  /** A JSON `true` (1) or `false` (0), or −1. */
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
    return -1;
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

/** The bit of a one-character key. */
function keyBit(c: number): number {
  switch (c) {
    case 69: // E
      return K_EE;
    case 84: // T
      return K_T;
    case 115: // s
      return K_S;
    case 85: // U
      return K_U;
    case 117: // u
      return K_UU;
    case 98: // b
      return K_B;
    case 66: // B
      return K_BB;
    case 97: // a
      return K_A;
    case 65: // A
      return K_AA;
    case 116: // t
      return K_TT;
    case 112: // p
      return K_P;
    case 113: // q
      return K_Q;
    case 88: // X
      return K_X;
    case 109: // m
      return K_M;
    case 77: // M
      return K_MM;
  }
  return 0;
}

/** `isPartialDepth` of the reader on `text[a, b)`: `@depth` followed by a digit. */
function partialDepth(text: string, a: number, b: number): boolean {
  const at = text.indexOf('@depth', a);
  if (at < 0 || at + 6 > b) return false;
  const c = text.charCodeAt(at + 6);
  return at + 6 < b && c >= 48 && c <= 57;
}
