/**
 * What the simulated venue knows of one symbol's market: the latest best bid and ask (quotes),
 * a local order book kept from depth data (`LocalOrderBook`, Binance's sync rules), the mark
 * price and funding schedule, and the orders resting there.
 *
 * Quotes (bookTicker) and depth diffs describe the same book at different moments; whichever is
 * newer sets the touch. When the quote is newer, its best bid and ask are the touch and the local
 * book supplies only the levels behind them; a level of the older book in front of the newer
 * quote is stale and never offered. Diffs that arrive before a snapshot (or after a gap) are kept
 * (copied; at most {@link MAX_PENDING_DIFFS}) and replayed on the next snapshot, as the book's
 * sync rules ask of its caller.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/How-to-manage-a-local-order-book-correctly
 */
import type { DepthLevelsView } from '../../core/events.js';
import { LocalOrderBook, type BookDiff } from '../../microstructure/book.js';
import type { BookView, Order, Position } from '../types.js';
import { flatPosition } from './account.js';
import type { TakerBook } from './models/fill.js';
import { QueuePosition } from './models/queue.js';

/** Diffs kept while the local book waits for a snapshot; older ones are dropped (a snapshot needs only the ones around it). */
export const MAX_PENDING_DIFFS = 256;

/** A diff copied into reusable buffers (the caller's event object and arrays are reused by drivers). */
class DiffSlot implements BookDiff {
  firstUpdateId = 0;
  lastUpdateId = 0;
  prevUpdateId = 0;
  private bp = new Float64Array(16);
  private bq = new Float64Array(16);
  private ap = new Float64Array(16);
  private aq = new Float64Array(16);
  bidPrices: Float64Array = this.bp.subarray(0, 0);
  bidQtys: Float64Array = this.bq.subarray(0, 0);
  askPrices: Float64Array = this.ap.subarray(0, 0);
  askQtys: Float64Array = this.aq.subarray(0, 0);

  copy(d: BookDiff): void {
    this.firstUpdateId = d.firstUpdateId;
    this.lastUpdateId = d.lastUpdateId;
    this.prevUpdateId = d.prevUpdateId;
    const b0 = d.bidFrom ?? 0;
    const a0 = d.askFrom ?? 0;
    const nb = (d.bidTo ?? d.bidPrices.length) - b0;
    const na = (d.askTo ?? d.askPrices.length) - a0;
    if (this.bp.length < nb) {
      this.bp = new Float64Array(nb * 2);
      this.bq = new Float64Array(nb * 2);
    }
    if (this.ap.length < na) {
      this.ap = new Float64Array(na * 2);
      this.aq = new Float64Array(na * 2);
    }
    for (let i = 0; i < nb; i++) {
      this.bp[i] = d.bidPrices[b0 + i]!;
      this.bq[i] = d.bidQtys[b0 + i]!;
    }
    for (let i = 0; i < na; i++) {
      this.ap[i] = d.askPrices[a0 + i]!;
      this.aq[i] = d.askQtys[a0 + i]!;
    }
    // views are made only while the book is out of sync, never on the hot path
    this.bidPrices = this.bp.subarray(0, nb);
    this.bidQtys = this.bq.subarray(0, nb);
    this.askPrices = this.ap.subarray(0, na);
    this.askQtys = this.aq.subarray(0, na);
  }
}

/** The last {@link MAX_PENDING_DIFFS} diffs, in order, in slots reused once the ring is full. */
class DiffRing {
  private readonly slots: DiffSlot[] = [];
  private start = 0;
  size = 0;

  push(d: BookDiff): void {
    if (this.size < MAX_PENDING_DIFFS) {
      if (this.slots.length === this.size) this.slots.push(new DiffSlot());
      this.slots[(this.start + this.size) % this.slots.length]!.copy(d);
      this.size++;
      return;
    }
    this.slots[this.start]!.copy(d);
    this.start = (this.start + 1) % this.slots.length;
  }

  /** Replay into `book` in order and empty the ring. */
  drain(book: LocalOrderBook): void {
    for (let i = 0; i < this.size; i++) book.applyDiff(this.slots[(this.start + i) % this.slots.length]!);
    this.start = 0;
    this.size = 0;
  }
}

/** An order resting at the venue, with its queue estimate. */
export class Resting {
  readonly q = new QueuePosition();
  /** Last displayed size seen at the order's price (`NaN`: not known). */
  displayed = NaN;
  /** Whether the opposite best crossed the order at the last look: a crossing fills only when it is new. */
  crossed = false;

  constructor(
    readonly order: Order,
    /** +1 a bid (buy), −1 an ask (sell). */
    readonly dir: 1 | -1,
  ) {}
}

export class SymbolVenue {
  readonly position: Position;
  bid = NaN;
  bidQty = 0;
  ask = NaN;
  askQty = 0;
  quoteTs = -Infinity;
  book: LocalOrderBook | null = null;
  depthTs = -Infinity;
  private readonly pending = new DiffRing();
  markPrice = NaN;
  fundingRate = NaN;
  /** Next funding time announced by the mark stream (`NaN`: none pending). */
  nextFunding = NaN;
  /** Latest funding time settled. */
  lastFunding = -Infinity;
  lastTrade = NaN;
  readonly resting: Resting[] = [];
  private readonly walkList: Resting[] = [];
  /** How many entries of the last {@link SymbolVenue.walk} are valid. */
  walking = 0;
  private readonly view: BookView & { bids: [number, number][]; asks: [number, number][] } = {
    bidPrice: NaN,
    bidQty: 0,
    askPrice: NaN,
    askQty: 0,
    ts: NaN,
    bids: [],
    asks: [],
  };
  /** One side's best levels, written by {@link levels}. */
  private lvPx = new Float64Array(64);
  private lvQty = new Float64Array(64);
  private readonly viewBook: TakerBook = { dir: 1, n: 0, prices: new Float64Array(64), qtys: new Float64Array(64), hasDepth: true };

  constructor(readonly symbol: string) {
    this.position = flatPosition(symbol);
  }

  /**
   * The resting orders copied into a reused array (its first {@link SymbolVenue.walking}
   * entries): a fill removes orders from `resting` while the caller walks, so it walks a copy,
   * and a reused one allocates nothing per event.
   */
  walk(): readonly Resting[] {
    const rs = this.resting;
    const w = this.walkList;
    for (let i = 0; i < rs.length; i++) w[i] = rs[i]!;
    this.walking = rs.length;
    return w;
  }

  /** Apply a depth event to the local book; true when the book changed. */
  applyDepth(d: DepthLevelsView): boolean {
    const book = (this.book ??= new LocalOrderBook());
    if (d.isSnapshot) {
      book.applySnapshot(d);
      this.pending.drain(book);
      this.depthTs = d.ts;
      return true;
    }
    if (!book.synced) {
      this.keep(d);
      return false;
    }
    const r = book.applyDiff(d);
    if (r === 'applied') {
      this.depthTs = d.ts;
      return true;
    }
    if (r === 'gap') this.keep(d);
    return false;
  }

  /** Forget the local book, its large arrays kept for the next book in this thread (`LocalOrderBook.release`). */
  releaseBook(): void {
    this.book?.release();
    this.book = null;
    this.depthTs = -Infinity;
  }

  private keep(d: DepthLevelsView): void {
    this.pending.push(d);
  }

  /** True when the local book is in sync and newer than the latest quote (or there is no quote on that side). */
  private bookLeads(quoteOk: boolean): boolean {
    const b = this.book;
    return b !== null && b.synced && (this.depthTs > this.quoteTs || !quoteOk);
  }

  get bestBid(): number {
    return this.bookLeads(this.bid === this.bid) ? this.book!.bestBid : this.bid;
  }
  get bestBidQty(): number {
    return this.bookLeads(this.bid === this.bid) ? this.book!.bestBidQty : this.bidQty;
  }
  get bestAsk(): number {
    return this.bookLeads(this.ask === this.ask) ? this.book!.bestAsk : this.ask;
  }
  get bestAskQty(): number {
    return this.bookLeads(this.ask === this.ask) ? this.book!.bestAskQty : this.askQty;
  }
  /** Latest time the touch changed, ms. */
  get bookTs(): number {
    return this.depthTs > this.quoteTs ? this.depthTs : this.quoteTs;
  }

  /** Price positions are valued at: the mark price when the data has it, else the mid, else (a one-sided or empty book) the last print, else the one side left. */
  get mark(): number {
    if (this.markPrice === this.markPrice) return this.markPrice;
    const b = this.bestBid;
    const a = this.bestAsk;
    if (b === b && a === a) return (b + a) / 2;
    if (this.lastTrade === this.lastTrade) return this.lastTrade;
    return b === b ? b : a;
  }

  /** Fill {@link lvPx} and {@link lvQty} with the best `max` levels of one side of the local book (`dir` +1: the asks, −1: the bids), best first; returns how many. */
  private levels(dir: 1 | -1, max = Infinity): number {
    const book = this.book!;
    const side = dir === 1 ? -1 : 1;
    const k = Math.min(book.sideSize(side), max);
    if (this.lvPx.length < k) {
      const n = Math.max(k, this.lvPx.length * 2);
      this.lvPx = new Float64Array(n);
      this.lvQty = new Float64Array(n);
    }
    book.topSide(side, k, this.lvPx, this.lvQty);
    return k;
  }

  /**
   * The side a taker meets (`dir` +1: asks for a buy; −1: bids for a sell), best first, into
   * `tb` (grown as needed): the newer of quote and book at the touch, the book's levels behind it
   * (from the book's best `maxLevels`).
   */
  takerBook(dir: 1 | -1, tb: TakerBook, maxLevels = Infinity): TakerBook {
    const quote = dir === 1 ? this.ask : this.bid;
    const quoteQty = dir === 1 ? this.askQty : this.bidQty;
    const quoteOk = quote === quote;
    const book = this.book !== null && this.book.synced ? this.book : null;
    let n = 0;
    tb.dir = dir;
    tb.hasDepth = book !== null;
    if (quoteOk && !this.bookLeads(quoteOk)) {
      tb.prices[0] = quote;
      tb.qtys[0] = quoteQty;
      n = 1;
    }
    if (book) {
      const levels = this.levels(dir, maxLevels);
      if (tb.prices.length < levels + 1) {
        tb.prices = new Float64Array(levels + 1);
        tb.qtys = new Float64Array(levels + 1);
        if (n === 1) {
          tb.prices[0] = quote;
          tb.qtys[0] = quoteQty;
        }
      }
      const P = this.lvPx;
      const Q = this.lvQty;
      const behindQuote = n === 1;
      for (let i = 0; i < levels; i++) {
        const p = P[i]!;
        // behind a newer quote, only the book's levels strictly worse than its touch
        if (behindQuote && !(dir * (p - quote) > 0)) continue;
        tb.prices[n] = p;
        tb.qtys[n] = Q[i]!;
        n++;
      }
    }
    tb.n = n;
    return tb;
  }

  /**
   * Displayed size at `price` on the side of a resting order (`dir` +1 bids, −1 asks): the newer
   * touch's size when the price is the touch, 0 for a price better than the touch (a new level),
   * the local book's size when in sync, `NaN` when not known.
   */
  displayedAt(dir: 1 | -1, price: number): number {
    const best = dir === 1 ? this.bestBid : this.bestAsk;
    if (!(best === best)) return NaN;
    if (best === price) return dir === 1 ? this.bestBidQty : this.bestAskQty;
    if (dir * (price - best) > 0) return 0;
    const book = this.book;
    if (book === null || !book.synced) return NaN;
    const levels = this.levels(-dir as 1 | -1);
    const P = this.lvPx;
    const Q = this.lvQty;
    for (let i = 0; i < levels; i++) {
      if (P[i] === price) return Q[i]!;
      if (dir * (P[i]! - price) < 0) return 0; // passed it: no such level
    }
    return NaN; // beyond the deepest level known
  }

  /** The venue's book as a strategy sees it (a live object, refreshed here). */
  bookView(levels: number): BookView {
    const v = this.view;
    v.bidPrice = this.bestBid;
    v.bidQty = this.bestBidQty;
    v.askPrice = this.bestAsk;
    v.askQty = this.bestAskQty;
    v.ts = this.bookTs === -Infinity ? NaN : this.bookTs;
    v.bids.length = 0;
    v.asks.length = 0;
    const book = this.book;
    if (book !== null && book.synced) {
      const tb = this.viewBook;
      for (const dir of [1, -1] as const) {
        // a few more than shown: levels of an older book in front of a newer quote are skipped
        this.takerBook(dir, tb, levels + 8);
        const out = dir === 1 ? v.asks : v.bids;
        for (let i = 0; i < tb.n && i < levels; i++) out.push([tb.prices[i]!, tb.qtys[i]!]);
      }
    }
    return v;
  }
}
