/**
 * Cumulative volume delta (CVD): the running sum of aggressor-signed traded volume, `+qty` when
 * the taker bought and `−qty` when the taker sold. It is the trade-side counterpart of order
 * flow imbalance: OFI reads pressure from the book, CVD from the prints that hit it.
 *
 * Only market prints count. Binance USD-M trade streams also carry insurance-fund
 * (liquidation) and ADL prints, often far from the market; they are not voluntary aggression.
 * On Binance, `m: true` means the buyer was the maker, so the aggressor sold; readers turn that
 * into `side: 'sell'` (−1 in the Arrow `side` column).
 *
 * Resets: none (one running sum), per UTC day, per session (UTC start times of day), or a
 * rolling window of the last N market prints or the last T milliseconds. Values come in base
 * units (Σ ±qty) and quote units (Σ ±price·qty) at once.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Trade-Streams
 * @see Neumaier, "Rundungsfehleranalyse einiger Verfahren zur Summation endlicher Summen", ZAMM 54 (1974): the compensated sum used here.
 */
import { UserInputError } from '../core/errors.js';
import type { AggressorSide } from '../core/events.js';
import type { RecordBatch } from 'apache-arrow';
import type { StreamingCalculator } from './calculator.js';
import { tradeColumns, type TradeColumns } from '../core/columns.js';
import { SessionClock } from './sessions.js';

/**
 * When the sum starts again from zero.
 * - `'none'`: never;
 * - `'day'`: at every UTC midnight;
 * - `{ sessions: ['00:00', '08:00', '16:00'] }`: at each listed UTC time of day;
 * - `{ events: N }`: a rolling sum over the last N market prints;
 * - `{ ms: T }`: a rolling sum over the prints with `ts` in `(t − T, t]`, `t` the latest trade's ts.
 *   As in every rolling window here (`rolling-window.ts`), the clock is monotone: a print whose
 *   timestamp goes back is stamped with the latest one.
 *
 * A rolling window has a value once it is full: N market prints seen, or T elapsed since the
 * first trade (a sum over a partly covered span is not comparable with later ones). The other
 * resets have a value from the first trade on. A reset period only moves forward: a late print
 * whose timestamp falls before the current session's start is counted in the current session.
 */
export type CvdReset = 'none' | 'day' | { sessions: readonly string[] } | { events: number } | { ms: number };

/** Options of {@link CvdCalculator} and {@link cvd}. */
export interface CvdOptions {
  /** Default `'none'`. */
  reset?: CvdReset;
  /** Units of the streaming `value`: `'base'` (Σ ±qty, default) or `'quote'` (Σ ±price·qty). Columnar output has both. */
  unit?: 'base' | 'quote';
  /** `'market'` (default): count `printKind === 'MARKET'` only; `'all'`: count every print. */
  prints?: 'market' | 'all';
}

/** A trade as CVD reads it; a `TradeEvent` satisfies it. */
export interface CvdTrade {
  ts: number;
  price: number;
  qty: number;
  side: AggressorSide;
  printKind: string;
}

/** CVD of every row, in both units. `NaN` where the calculator is still warming up. */
export interface CvdColumns {
  base: Float64Array;
  quote: Float64Array;
}

/**
 * One-row trade columns, a class and not an object literal: V8 shares the hidden class of
 * literals with the same keys in the same order, so a literal `{ ts, price, qty }` of arrays here
 * would make a caller's `{ ts, price, qty, … }` trades store their numbers boxed.
 */
class OneTradeRow {
  readonly ts = new Float64Array(1);
  readonly price = new Float64Array(1);
  readonly qty = new Float64Array(1);
}

const NONE = 0;
const PERIOD = 1;
const EVENTS = 2;
const TIME = 3;

/**
 * The per-trade step both faces call. Keeps Neumaier-compensated sums so that a long run (and a
 * rolling window's add/remove) does not drift; a time window that empties restarts from an exact 0.
 * @internal
 */
export class CvdKernel {
  private readonly mode: number;
  private readonly span: number;
  private readonly clock: SessionClock | null;
  readonly countAll: boolean;
  // sums and their compensations
  private sb = 0;
  private cb = 0;
  private sq = 0;
  private cq = 0;
  private seen = 0;
  private counted = 0;
  private firstTs = NaN;
  private lastTs = -Infinity;
  // rolling window ring (ts, base, quote)
  private rts: Float64Array;
  private rb: Float64Array;
  private rq: Float64Array;
  private head = 0;
  private len = 0;
  /** One-row columns for {@link step}. */
  private readonly row = new OneTradeRow();

  constructor(options: CvdOptions = {}) {
    const reset = options.reset ?? 'none';
    this.countAll = (options.prints ?? 'market') === 'all';
    let cap = 0;
    this.clock = null;
    if (reset === 'none') {
      this.mode = NONE;
      this.span = 0;
    } else if (reset === 'day') {
      this.mode = PERIOD;
      this.span = 0;
      this.clock = new SessionClock(['00:00']);
    } else if ('sessions' in reset) {
      this.mode = PERIOD;
      this.span = 0;
      this.clock = new SessionClock(reset.sessions);
    } else if ('events' in reset) {
      if (!Number.isInteger(reset.events) || reset.events < 1) {
        throw new UserInputError(`reset.events: expected an integer ≥ 1, got ${reset.events}`, 'E_OPTION');
      }
      this.mode = EVENTS;
      this.span = reset.events;
      cap = reset.events;
    } else if ('ms' in reset) {
      if (!(reset.ms > 0) || !Number.isFinite(reset.ms)) {
        throw new UserInputError(`reset.ms: expected a positive number of milliseconds, got ${reset.ms}`, 'E_OPTION');
      }
      this.mode = TIME;
      this.span = reset.ms;
      cap = 64;
    } else {
      throw new UserInputError(`reset: expected 'none', 'day', { sessions }, { events } or { ms }, got ${JSON.stringify(reset)}`, 'E_OPTION');
    }
    this.rts = new Float64Array(cap);
    this.rb = new Float64Array(cap);
    this.rq = new Float64Array(cap);
  }

  /** Σ ±qty so far (in the current period or window). */
  get base(): number {
    return this.sb + this.cb;
  }

  /** Σ ±price·qty so far. */
  get quote(): number {
    return this.sq + this.cq;
  }

  /** True once the value covers what the reset promises: one trade, or a full rolling window. */
  get ready(): boolean {
    if (this.seen === 0) return false;
    if (this.mode === EVENTS) return this.counted >= this.span;
    if (this.mode === TIME) return this.lastTs - this.firstTs >= this.span;
    return true;
  }

  /** One trade. `sign` is +1 (aggressor bought) or −1; `counts` is false for a non-market print. */
  step(ts: number, price: number, qty: number, sign: number, counts: boolean): void {
    const r = this.row;
    r.ts[0] = ts;
    r.price[0] = price;
    r.qty[0] = qty;
    this.stepAt(r.ts, r.price, r.qty, 0, sign, counts);
  }

  /**
   * The trade in row `j` of columns, the step both faces run ({@link step} through a one-row
   * column). It takes the row, not its numbers, and keeps its arithmetic inline: a call that V8
   * does not inline passes doubles boxed, an allocation each.
   */
  stepAt(tsCol: Float64Array, priceCol: Float64Array, qtyCol: Float64Array, j: number, sign: number, counts: boolean): void {
    let ts = tsCol[j]!;
    this.seen++;
    const mode = this.mode;
    if (mode === PERIOD) {
      if (this.clock!.advance(ts)) this.zero();
    } else if (mode === TIME) {
      // a monotone clock: a timestamp that goes back (or is NaN) is read as the latest one
      if (ts > this.lastTs) this.lastTs = ts;
      if (this.firstTs !== this.firstTs && this.lastTs > -Infinity) this.firstTs = this.lastTs;
      ts = this.lastTs;
      if (this.len > 0) {
        const cut = ts - this.span;
        while (this.len > 0 && this.rts[this.head]! <= cut) this.removeFront();
        if (this.len === 0) this.zero();
      }
    }
    if (!counts) return;
    this.counted++;
    const b = sign * qtyCol[j]!;
    const q = b * priceCol[j]!;
    if (mode === EVENTS || mode === TIME) {
      if (mode === EVENTS && this.len === this.span) this.removeFront();
      if (this.len === this.rts.length) this.grow();
      let i = this.head + this.len;
      if (i >= this.rts.length) i -= this.rts.length;
      this.rts[i] = ts;
      this.rb[i] = b;
      this.rq[i] = q;
      this.len++;
    }
    let s = this.sb;
    let t = s + b;
    this.cb += Math.abs(s) >= Math.abs(b) ? s - t + b : b - t + s;
    this.sb = t;
    s = this.sq;
    t = s + q;
    this.cq += Math.abs(s) >= Math.abs(q) ? s - t + q : q - t + s;
    this.sq = t;
  }

  reset(): void {
    this.zero();
    this.seen = 0;
    this.counted = 0;
    this.firstTs = NaN;
    this.lastTs = -Infinity;
    this.head = 0;
    this.len = 0;
    this.clock?.reset();
  }

  private zero(): void {
    this.sb = 0;
    this.cb = 0;
    this.sq = 0;
    this.cq = 0;
  }

  private removeFront(): void {
    const h = this.head;
    const b = -this.rb[h]!;
    const q = -this.rq[h]!;
    let s = this.sb;
    let t = s + b;
    this.cb += Math.abs(s) >= Math.abs(b) ? s - t + b : b - t + s;
    this.sb = t;
    s = this.sq;
    t = s + q;
    this.cq += Math.abs(s) >= Math.abs(q) ? s - t + q : q - t + s;
    this.sq = t;
    this.head = h + 1 === this.rts.length ? 0 : h + 1;
    this.len--;
  }

  private grow(): void {
    const cap = this.rts.length * 2;
    const ts = new Float64Array(cap);
    const b = new Float64Array(cap);
    const q = new Float64Array(cap);
    for (let k = 0; k < this.len; k++) {
      let i = this.head + k;
      if (i >= this.rts.length) i -= this.rts.length;
      ts[k] = this.rts[i]!;
      b[k] = this.rb[i]!;
      q[k] = this.rq[i]!;
    }
    this.rts = ts;
    this.rb = b;
    this.rq = q;
    this.head = 0;
  }
}

/**
 * Streaming CVD. `update(trade)` returns the CVD after it in the chosen unit, or `null` while a
 * rolling window is still filling; `base` and `quote` read both units. A non-market print moves
 * the clock (a reset or a window edge may pass) but adds nothing.
 *
 * `updateColumns` is the columnar face over one chunk, continuing this calculator's state, so a
 * reader's batches can be fed one after another; {@link cvd} is the same over one table.
 *
 * @example
 * const c = new CvdCalculator();
 * c.update({ ts: 1, price: 100, qty: 2, side: 'buy', printKind: 'MARKET' });  // 2
 * c.update({ ts: 2, price: 101, qty: 0.5, side: 'sell', printKind: 'MARKET' }); // 1.5
 * c.update({ ts: 3, price: 90, qty: 9, side: 'sell', printKind: 'INSURANCE_FUND' }); // 1.5
 * c.quote; // 200 − 50.5 = 149.5
 */
export class CvdCalculator implements StreamingCalculator<CvdTrade, number> {
  private readonly k: CvdKernel;
  private readonly useQuote: boolean;

  constructor(readonly options: CvdOptions = {}) {
    this.k = new CvdKernel(options);
    this.useQuote = options.unit === 'quote';
  }

  update(t: CvdTrade): number | null {
    this.k.step(t.ts, t.price, t.qty, t.side === 'buy' ? 1 : -1, this.k.countAll || t.printKind === 'MARKET');
    return this.value;
  }

  get value(): number | null {
    if (!this.k.ready) return null;
    return this.useQuote ? this.k.quote : this.k.base;
  }

  get isReady(): boolean {
    return this.k.ready;
  }

  /** CVD in base units (Σ ±qty); `null` while warming up. */
  get base(): number | null {
    return this.k.ready ? this.k.base : null;
  }

  /** CVD in quote units (Σ ±price·qty); `null` while warming up. */
  get quote(): number | null {
    return this.k.ready ? this.k.quote : null;
  }

  reset(): void {
    this.k.reset();
  }

  /**
   * The columnar face over one chunk of trades, continuing from this calculator's state (and
   * leaving it after the chunk's last row). Writes into `out` when given (length ≥ rows).
   */
  updateColumns(trades: TradeColumns, out?: CvdColumns): CvdColumns {
    const n = trades.ts.length;
    const res = out ?? { base: new Float64Array(n), quote: new Float64Array(n) };
    if (res.base.length < n || res.quote.length < n) throw new UserInputError(`out: holds ${Math.min(res.base.length, res.quote.length)} rows, the chunk ${n} trades`, 'E_OPTION');
    for (const name of ['price', 'qty', 'side'] as const) {
      if (trades[name].length < n) throw new UserInputError(`trades.${name}: holds ${trades[name].length} values, ts ${n}`, 'E_OPTION');
    }
    cvdKernelLoop(this.k, trades, res, n);
    return res;
  }
}

function cvdKernelLoop(k: CvdKernel, t: TradeColumns, out: CvdColumns, n: number): void {
  const { ts, price, qty, side } = t;
  const market = k.countAll ? undefined : t.market;
  const ob = out.base;
  const oq = out.quote;
  for (let i = 0; i < n; i++) {
    k.stepAt(ts, price, qty, i, side[i]!, market === undefined || market[i] === 1);
    if (k.ready) {
      ob[i] = k.base;
      oq[i] = k.quote;
    } else {
      ob[i] = NaN;
      oq[i] = NaN;
    }
  }
}

/**
 * CVD of every trade of a table, in base and quote units (`NaN` while warming up). Takes typed
 * columns or a trade record batch; with a batch the market-print mask comes from its
 * `printKind` column.
 *
 * @example
 * cvd({ ts, price, qty, side, market }, { reset: 'day' }).base
 */
export function cvd(trades: TradeColumns | RecordBatch, options: CvdOptions = {}, out?: CvdColumns): CvdColumns {
  const cols = isBatch(trades) ? tradeColumns(trades) : trades;
  return new CvdCalculator(options).updateColumns(cols, out);
}

function isBatch(x: TradeColumns | RecordBatch): x is RecordBatch {
  return typeof (x as RecordBatch).getChild === 'function';
}
