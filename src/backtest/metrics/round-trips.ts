/**
 * Round trips from a fills ledger: the trades that trade statistics count.
 *
 * A round trip (vectorbt's "position") opens with the fill that takes a symbol's position away
 * from flat and closes with the fill that brings it back to flat. Fills that add to it belong
 * to it; fills that reduce it are partial exits. A fill that crosses flat (a flip) is cut in
 * two: the quantity that brings the position to flat closes the round trip, the rest opens the
 * next one, and the fill's fee is shared between the two in proportion to quantity.
 *
 * Partial exits are matched first in, first out: each exit quantity is taken from the oldest
 * entry lot still open, and realises `(exit price − lot price) · quantity` (the other way round
 * for a short). Once the round trip is closed its gross PnL is the same under any matching
 * (every entry has been matched), but FIFO decides what an exit realises while it is open and
 * the quantity-weighted holding time. A round trip's net PnL is its gross PnL minus the fees
 * of its fills; funding is not a trade's but the account's, and is reported beside them.
 *
 * A position is flat when what is left is below 1e-9 of the round trip's largest size, so the
 * float residue of adding lot-sized quantities (0.001 + 0.002 − 0.003) does not keep a round
 * trip open.
 *
 * @see https://vectorbt.dev/api/portfolio/trades/ (entry trades, exit trades and positions; open vs closed)
 */
import type { Fill, OrderSide } from '../types.js';

/** Relative size below which a position is flat. */
export const FLAT_EPSILON = 1e-9;

/** One round trip. */
export interface RoundTrip {
  /** 1, 2, 3 … in the order they opened (across symbols). */
  id: number;
  symbol: string;
  direction: 'long' | 'short';
  status: 'open' | 'closed';
  /** Time of the opening fill and of the closing fill (NaN while open), ms. */
  entryTs: number;
  exitTs: number;
  /** Base quantity bought (long) or sold (short) into the round trip, adds included. */
  entryQty: number;
  /** Quantity-weighted average entry price. */
  entryPrice: number;
  /** Quantity taken out so far, and its quantity-weighted average price (NaN before an exit). */
  exitQty: number;
  exitPrice: number;
  /** Largest absolute position held. */
  maxQty: number;
  /** Gross PnL: FIFO-realised on exits, plus (open) the rest marked at the latest mark. */
  grossPnl: number;
  /** Fees of its fills (its share of a flip's fee), quote currency. */
  fees: number;
  /** grossPnl − fees. */
  pnl: number;
  /** pnl / (entryQty · entryPrice): the return on the notional put in. */
  return: number;
  /** Entry to exit, or to the latest time seen while open, ms. */
  durationMs: number;
  /** FIFO quantity-weighted mean time from entry lot to its exit, ms (NaN before an exit). */
  holdingMs: number;
  /** Fills (or parts of a flip) in it. */
  fills: number;
  /** Tag of the opening fill (the signal that opened it) and of the latest exit fill. */
  entryTag: string;
  exitTag: string;
  /** Strategy mode at the opening fill, when known. */
  mode: string;
  /** UTC hour (0–23) of the opening fill. */
  entryHour: number;
}

/** A round trip in progress, with its FIFO lots. */
class OpenTrip {
  // lots as parallel arrays used as a queue: quantity left and price
  lotQty: number[] = [];
  lotPrice: number[] = [];
  lotTs: number[] = [];
  head = 0;
  qty = 0; // open quantity, > 0
  realized = 0;
  entryNotional = 0;
  exitNotional = 0;
  heldQtyMs = 0;
  trip: RoundTrip;

  constructor(id: number, fill: Fill, sign: 1 | -1, mode: string) {
    this.trip = {
      id,
      symbol: fill.symbol,
      direction: sign > 0 ? 'long' : 'short',
      status: 'open',
      entryTs: fill.ts,
      exitTs: Number.NaN,
      entryQty: 0,
      entryPrice: Number.NaN,
      exitQty: 0,
      exitPrice: Number.NaN,
      maxQty: 0,
      grossPnl: 0,
      fees: 0,
      pnl: 0,
      return: 0,
      durationMs: 0,
      holdingMs: Number.NaN,
      fills: 0,
      entryTag: fill.tag,
      exitTag: '',
      mode,
      entryHour: Math.floor(fill.ts / 3_600_000) % 24,
    };
  }

  get sign(): 1 | -1 {
    return this.trip.direction === 'long' ? 1 : -1;
  }

  add(qty: number, price: number, ts: number, fee: number): void {
    this.lotQty.push(qty);
    this.lotPrice.push(price);
    this.lotTs.push(ts);
    this.qty += qty;
    this.entryNotional += qty * price;
    const t = this.trip;
    t.entryQty += qty;
    t.entryPrice = this.entryNotional / t.entryQty;
    if (this.qty > t.maxQty) t.maxQty = this.qty;
    t.fees += fee;
    t.fills++;
  }

  /** Take `qty` out FIFO at `price`; true when the round trip is flat after it. */
  reduce(qty: number, price: number, ts: number, fee: number, tag: string): boolean {
    const s = this.sign;
    let left = qty;
    while (left > 0 && this.head < this.lotQty.length) {
      const lq = this.lotQty[this.head]!;
      const m = lq <= left ? lq : left;
      this.realized += s * m * (price - this.lotPrice[this.head]!);
      this.heldQtyMs += m * (ts - this.lotTs[this.head]!);
      left -= m;
      if (m === lq) this.head++;
      else this.lotQty[this.head] = lq - m;
    }
    this.qty -= qty;
    this.exitNotional += qty * price;
    const t = this.trip;
    t.exitQty += qty;
    t.exitPrice = this.exitNotional / t.exitQty;
    t.holdingMs = this.heldQtyMs / t.exitQty;
    t.fees += fee;
    t.fills++;
    t.exitTag = tag;
    if (this.qty <= t.maxQty * FLAT_EPSILON || this.head >= this.lotQty.length) {
      this.qty = 0;
      t.status = 'closed';
      t.exitTs = ts;
      this.finish(ts, Number.NaN);
      return true;
    }
    return false;
  }

  /** Fill in the PnL fields: realised, plus the open rest at `mark` (the last fill price when NaN). */
  finish(now: number, mark: number): RoundTrip {
    const t = this.trip;
    let unrealized = 0;
    if (this.qty > 0) {
      const px = mark === mark ? mark : (t.exitQty > 0 ? t.exitPrice : t.entryPrice);
      for (let i = this.head; i < this.lotQty.length; i++) unrealized += this.sign * this.lotQty[i]! * (px - this.lotPrice[i]!);
    }
    t.grossPnl = this.realized + unrealized;
    t.pnl = t.grossPnl - t.fees;
    t.return = t.entryQty * t.entryPrice > 0 ? t.pnl / (t.entryQty * t.entryPrice) : 0;
    t.durationMs = (t.status === 'closed' ? t.exitTs : Math.max(now, t.entryTs)) - t.entryTs;
    return t;
  }
}

/**
 * Fills in, round trips out: per symbol, the round trip in progress with its FIFO lots.
 * `onClose` hears each round trip as it closes; open ones are read with {@link RoundTrips.open}.
 */
export class RoundTrips {
  private readonly trips = new Map<string, OpenTrip>();
  private nextId = 1;
  /** Latest fill time seen (what an open round trip's duration runs to). */
  lastTs = Number.NaN;

  constructor(private readonly onClose: (trip: RoundTrip) => void) {}

  /** Add a fill; `mode` is the strategy mode to label a round trip it opens with. */
  update(fill: Fill, mode = ''): void {
    if (!(fill.qty > 0)) return;
    if (!(this.lastTs >= fill.ts)) this.lastTs = fill.ts;
    const sign: 1 | -1 = sideSign(fill.side);
    let open = this.trips.get(fill.symbol);
    if (!open) {
      open = new OpenTrip(this.nextId++, fill, sign, mode);
      this.trips.set(fill.symbol, open);
      open.add(fill.qty, fill.price, fill.ts, fill.fee);
      return;
    }
    if (open.sign === sign) {
      open.add(fill.qty, fill.price, fill.ts, fill.fee);
      return;
    }
    // an opposite fill: a partial exit, a close, or a flip
    const close = fill.qty >= open.qty * (1 - FLAT_EPSILON) ? open.qty : fill.qty;
    const rest = fill.qty - close;
    const flips = rest > open.trip.maxQty * FLAT_EPSILON;
    const closeFee = flips ? (fill.fee * close) / fill.qty : fill.fee;
    if (open.reduce(close, fill.price, fill.ts, closeFee, fill.tag)) {
      this.trips.delete(fill.symbol);
      this.onClose(open.trip);
      if (flips) {
        const next = new OpenTrip(this.nextId++, fill, sign, mode);
        this.trips.set(fill.symbol, next);
        next.add(rest, fill.price, fill.ts, fill.fee - closeFee);
      }
    }
  }

  /** Signed open quantity of a symbol (0 when flat). */
  position(symbol: string): number {
    const t = this.trips.get(symbol);
    return t ? t.sign * t.qty : 0;
  }

  /**
   * Round trips still open, their PnL marked at `mark(symbol)` (NaN: the last fill price) and
   * their duration running to `now`. Returns copies; the state is not changed.
   */
  open(now: number, mark: (symbol: string) => number): RoundTrip[] {
    const out: RoundTrip[] = [];
    for (const t of this.trips.values()) out.push({ ...t.finish(now, mark(t.trip.symbol)) });
    return out.sort((a, b) => a.id - b.id);
  }

  reset(): void {
    this.trips.clear();
    this.nextId = 1;
    this.lastTs = Number.NaN;
  }
}

function sideSign(side: OrderSide): 1 | -1 {
  return side === 'buy' ? 1 : -1;
}
