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
import { LocalOrderBook, type BookCheckpoint, type BookDiff } from '../../microstructure/book.js';
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

  clear(): void {
    this.start = 0;
    this.size = 0;
  }

  /** Replay into `book` in order and empty the ring. */
  drain(book: LocalOrderBook): void {
    for (let i = 0; i < this.size; i++) book.applyDiff(this.slots[(this.start + i) % this.slots.length]!);
    this.clear();
  }
}

/** A book as it stood after one of a symbol's depth events (its ordinal); `ord` −1 and `book` null: before the first. */
export interface TrackCheckpoint {
  ord: number;
  book: BookCheckpoint | null;
}

/**
 * What the local books made of a stream's depth events, recorded once (`DepthTrack`, in
 * `backtest/depth-track.ts`, over an event table): a venue that follows one reads each depth
 * row's entry instead of applying the row, and brings its book up to date only when its levels
 * are read. Per depth row `r`: `flags[r]` (1 the book changed, 2 it is in sync after it) and
 * the touch after it; per symbol, its depth rows in order.
 */
export interface DepthRecord {
  readonly ts: Float64Array;
  readonly recvTs: Float64Array;
  readonly flags: Uint8Array;
  readonly bid: Float64Array;
  readonly bidQty: Float64Array;
  readonly ask: Float64Array;
  readonly askQty: Float64Array;
  /** Per symbol code: its depth rows in order (the `k`-th is its depth event of ordinal `k`). */
  readonly rows: Int32Array[];
  /** Code of a symbol, −1 when the record has none of it. */
  code(symbol: string): number;
  /** Where a book of symbol `code` standing after its depth event `at` is best brought to event `ord` from: itself (null) or a checkpoint. */
  from(code: number, at: number, ord: number): TrackCheckpoint | null;
  /** Depth row `r` as an event (a scratch object, valid until the next call). */
  event(r: number, symbol: string): DepthLevelsView;
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
  /** The local book (following a {@link DepthRecord}: as of {@link bookOrd}, brought up to date when read). */
  book: LocalOrderBook | null = null;
  depthTs = -Infinity;
  private readonly pending = new DiffRing();
  /** The local book's sync state and touch after the latest depth event: what the getters read. */
  private bkSynced = false;
  private bkBid = NaN;
  private bkBidQty = 0;
  private bkAsk = NaN;
  private bkAskQty = 0;
  /** The shared record of this symbol's depth events followed instead of a book of its own, or null. */
  private track: DepthRecord | null = null;
  private trackCode = -1;
  /** Ordinal (among this symbol's depth events in the track) of the latest one seen, and the one the book stands at. */
  private ord = -1;
  private bookOrd = -1;
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
    if (this.track !== null) this.leaveTrack();
    const changed = this.toBook(d);
    const b = this.book!;
    // a gap takes the book out of sync without changing it
    this.bkSynced = b.synced;
    if (!changed) return false;
    this.depthTs = d.ts;
    this.bkBid = b.bestBid;
    this.bkBidQty = b.bestBidQty;
    this.bkAsk = b.bestAsk;
    this.bkAskQty = b.bestAskQty;
    return true;
  }

  /** The book's part of {@link applyDepth}: Binance's sync rules, diffs kept while out of sync. */
  private toBook(d: DepthLevelsView): boolean {
    const book = (this.book ??= new LocalOrderBook());
    if (d.isSnapshot) {
      book.applySnapshot(d);
      this.pending.drain(book);
      return true;
    }
    if (!book.synced) {
      this.keep(d);
      return false;
    }
    const r = book.applyDiff(d);
    if (r === 'applied') return true;
    if (r === 'gap') this.keep(d);
    return false;
  }

  /** Whether no diff waits for a snapshot (a `DepthTrack` checkpoints only then). */
  get settled(): boolean {
    return this.pending.size === 0;
  }

  /**
   * Follow `track` (made over the events this venue will be fed, from the first): depth events
   * then cost a read of what the track recorded for them, and the book itself is brought up to
   * date only when an order or a strategy reads its levels. Before any depth event only.
   */
  follow(track: DepthRecord): void {
    if (this.ord !== -1 || this.book !== null) throw new Error(`${this.symbol}: a venue follows a depth track from its first depth event`);
    const code = track.code(this.symbol);
    if (code < 0) return;
    this.track = track;
    this.trackCode = code;
  }

  /**
   * Depth row `r` of the track at exchange time `ts`: 1 when the book changed, 0 when not, −1
   * when the venue follows no track or the row is not the next of this symbol's (the venue then
   * leaves the track: the caller applies the event itself).
   */
  trackDepth(r: number, ts: number): number {
    const t = this.track;
    if (t === null) return -1;
    const o = this.ord + 1;
    if (t.rows[this.trackCode]![o] !== r) {
      this.leaveTrack();
      return -1;
    }
    this.ord = o;
    const f = t.flags[r]!;
    this.bkSynced = (f & 2) !== 0;
    this.bkBid = t.bid[r]!;
    this.bkBidQty = t.bidQty[r]!;
    this.bkAsk = t.ask[r]!;
    this.bkAskQty = t.askQty[r]!;
    if ((f & 1) === 0) return 0;
    this.depthTs = ts;
    return 1;
  }

  /** The book brought up to the latest depth event seen: from the nearest checkpoint of the track, or from where it stood if that is nearer. */
  private bringBook(): void {
    const t = this.track;
    if (t === null || this.bookOrd === this.ord) return;
    const c = this.trackCode;
    const cp = t.from(c, this.bookOrd, this.ord);
    let from = this.bookOrd;
    if (cp !== null) {
      this.pending.clear();
      if (cp.book === null) {
        this.book?.release();
        this.book = null;
      } else (this.book ??= new LocalOrderBook()).restore(cp.book);
      from = cp.ord;
    }
    const rows = t.rows[c]!;
    const symbol = this.symbol;
    for (let k = from + 1; k <= this.ord; k++) this.toBook(t.event(rows[k]!, symbol));
    this.bookOrd = this.ord;
  }

  /** Stop following the track: the book is brought up to date and kept from here by {@link applyDepth}. */
  private leaveTrack(): void {
    this.bringBook();
    this.track = null;
  }

  /** The local book when in sync (brought up to date), else null. */
  private syncedBook(): LocalOrderBook | null {
    this.bringBook();
    const b = this.book;
    return b !== null && b.synced ? b : null;
  }

  /** Forget the local book, its large arrays kept for the next book in this thread (`LocalOrderBook.release`). */
  releaseBook(): void {
    this.book?.release();
    this.book = null;
    this.depthTs = -Infinity;
    this.pending.clear();
    this.bkSynced = false;
    this.bkBid = NaN;
    this.bkBidQty = 0;
    this.bkAsk = NaN;
    this.bkAskQty = 0;
    this.track = null;
    this.trackCode = -1;
    this.ord = -1;
    this.bookOrd = -1;
  }

  private keep(d: DepthLevelsView): void {
    this.pending.push(d);
  }

  /** True when the local book is in sync and newer than the latest quote (or there is no quote on that side). */
  private bookLeads(quoteOk: boolean): boolean {
    return this.bkSynced && (this.depthTs > this.quoteTs || !quoteOk);
  }

  get bestBid(): number {
    return this.bookLeads(this.bid === this.bid) ? this.bkBid : this.bid;
  }
  get bestBidQty(): number {
    return this.bookLeads(this.bid === this.bid) ? this.bkBidQty : this.bidQty;
  }
  get bestAsk(): number {
    return this.bookLeads(this.ask === this.ask) ? this.bkAsk : this.ask;
  }
  get bestAskQty(): number {
    return this.bookLeads(this.ask === this.ask) ? this.bkAskQty : this.askQty;
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
  private levels(book: LocalOrderBook, dir: 1 | -1, max = Infinity): number {
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
   * (from the book's best `maxLevels`; `tb.more` tells whether the book has more).
   */
  takerBook(dir: 1 | -1, tb: TakerBook, maxLevels = Infinity): TakerBook {
    const quote = dir === 1 ? this.ask : this.bid;
    const quoteQty = dir === 1 ? this.askQty : this.bidQty;
    const quoteOk = quote === quote;
    const book = this.syncedBook();
    let n = 0;
    tb.dir = dir;
    tb.hasDepth = book !== null;
    tb.more = false;
    if (quoteOk && !this.bookLeads(quoteOk)) {
      tb.prices[0] = quote;
      tb.qtys[0] = quoteQty;
      n = 1;
    }
    if (book) {
      const levels = this.levels(book, dir, maxLevels);
      tb.more = levels < book.sideSize(dir === 1 ? -1 : 1);
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
   * Level 0 of {@link takerBook} alone, from the quote and the book's touch as the venue holds
   * them, without bringing a followed book up to date: most takers fill at the touch, and their
   * fills then need no book. `tb.more` is set when the book may hold levels behind it.
   */
  takerTouch(dir: 1 | -1, tb: TakerBook): TakerBook {
    const quote = dir === 1 ? this.ask : this.bid;
    const quoteOk = quote === quote;
    tb.dir = dir;
    tb.hasDepth = this.bkSynced;
    tb.n = 0;
    tb.more = false;
    if (quoteOk && !this.bookLeads(quoteOk)) {
      tb.prices[0] = quote;
      tb.qtys[0] = dir === 1 ? this.askQty : this.bidQty;
      tb.n = 1;
      tb.more = this.bkSynced;
    } else if (this.bkSynced) {
      const p = dir === 1 ? this.bkAsk : this.bkBid;
      if (p === p) {
        tb.prices[0] = p;
        tb.qtys[0] = dir === 1 ? this.bkAskQty : this.bkBidQty;
        tb.n = 1;
        tb.more = true;
      }
    }
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
    const book = this.syncedBook();
    if (book === null) return NaN;
    const levels = this.levels(book, -dir as 1 | -1);
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
    if (this.syncedBook() !== null) {
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
