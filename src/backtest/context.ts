/**
 * The backtest's {@link TradingContext}: what a strategy knows, kept apart from what the venue
 * knows. The simulator holds the truth in exchange time; the strategy sees market data at its
 * local time (exchange time + feed latency) and learns of its orders and fills a response
 * latency after they happen at the venue. So the context keeps its own book per symbol (from
 * the events delivered so far: the same `SymbolVenue` the simulator uses, fed only what the
 * strategy has seen), its own ledger (positions and cash from the fills delivered so far) and
 * its own copy of each order as last reported. Nothing here reads the simulator's state except
 * through `submit` and `cancel`, so a strategy cannot see a price, a fill or a status before it
 * could have in the market.
 *
 * @see hftbacktest's local (strategy) and exchange processors: the same split of two clocks.
 */
import type { DepthEvent, MarkEvent, QuoteEvent, TradeEvent } from '../core/events.js';
import { applyExecution, flatPosition, unrealizedPnl } from './sim/account.js';
import type { FundingPayment, TradeSimulator } from './sim/simulator.js';
import { SymbolVenue } from './sim/venue-book.js';
import type { BookView, Fill, Order, OrderRequest, Position, TradingContext } from './types.js';

const OPEN = new Set(['NEW', 'PARTIALLY_FILLED']);

/** See the module comment. */
export class BacktestContext implements TradingContext {
  /** The strategy's clock: local time of what is being delivered, ms. */
  now = -Infinity;
  private readonly books = new Map<string, SymbolVenue>();
  private readonly bookList: SymbolVenue[] = [];
  private lastName = '';
  private last: SymbolVenue | null = null;
  private balance: number;
  /** Orders as last reported to the strategy, by id − 1. */
  private readonly known: Order[] = [];
  private readonly open: Order[] = [];

  constructor(
    private readonly sim: TradeSimulator,
    startingCash: number,
    /** Told of each order submitted (the venue's own object), e.g. to schedule its arrival. */
    private readonly onSubmit: ((o: Order) => void) | null = null,
    /**
     * Levels per side in `book(symbol).bids/asks` when depth is known. 0: the strategy reads
     * the best bid and ask only, and depth data is applied to its book only for a symbol that
     * has no quotes (where the touch must come from the book); keeping a second local book is
     * the dearest part of replaying depth diffs.
     */
    private readonly levels = 20,
  ) {
    this.balance = startingCash;
  }

  // ---- what the strategy is told (called by the driver at local time) ------------------

  private venue(symbol: string): SymbolVenue {
    if (symbol === this.lastName && this.last) return this.last;
    let v = this.books.get(symbol);
    if (!v) {
      v = new SymbolVenue(symbol);
      this.books.set(symbol, v);
      this.bookList.push(v);
    }
    this.lastName = symbol;
    this.last = v;
    return v;
  }

  seeQuote(q: QuoteEvent): void {
    const v = this.venue(q.symbol);
    v.bid = q.bidPrice;
    v.bidQty = q.bidQty;
    v.ask = q.askPrice;
    v.askQty = q.askQty;
    v.quoteTs = q.ts;
  }

  seeTrade(t: TradeEvent): void {
    if (t.printKind === 'MARKET') this.venue(t.symbol).lastTrade = t.price;
  }

  /** Whether {@link seeDepth} would use a depth event of `symbol` (a driver with nothing else to give it spares making one). */
  wantsDepth(symbol: string): boolean {
    return this.levels > 0 || this.venue(symbol).quoteTs === -Infinity;
  }

  /** A new account on the same market (`TradeSimulator.restart`): the starting cash, flat positions, no orders known; the quotes and books stay. */
  restart(startingCash: number): void {
    this.balance = startingCash;
    this.known.length = 0;
    this.open.length = 0;
    for (const v of this.bookList) Object.assign(v.position, flatPosition(v.symbol));
  }

  /** The strategy's local books forgotten, their arrays kept for the next run (`TradeSimulator.releaseBooks`). */
  releaseBooks(): void {
    for (const v of this.bookList) v.releaseBook();
  }

  seeDepth(d: DepthEvent): void {
    const v = this.venue(d.symbol);
    if (this.levels > 0 || v.quoteTs === -Infinity) v.applyDepth(d);
  }

  seeMark(m: MarkEvent): void {
    if (m.markPrice > 0) this.venue(m.symbol).markPrice = m.markPrice;
  }

  /** A fill reported to the strategy: its position and cash move now. */
  seeFill(f: Fill): void {
    const p = this.venue(f.symbol).position;
    const realized = applyExecution(p, f.side, f.price, f.qty);
    p.fees += f.fee;
    this.balance += realized - f.fee;
  }

  /** An order change reported to the strategy (a copy of the venue's order at that moment). Returns the strategy's copy. */
  seeOrder(o: Order): Order {
    const mine = this.known[o.id - 1];
    if (!mine) return o;
    Object.assign(mine, o);
    if (!OPEN.has(mine.status)) {
      const i = this.open.indexOf(mine);
      if (i >= 0) this.open.splice(i, 1);
    }
    return mine;
  }

  /** A funding settlement (funding times are announced in advance, so it is known when it happens). */
  seeFunding(f: FundingPayment): void {
    const p = this.venue(f.symbol).position;
    p.funding += f.amount;
    this.balance -= f.amount;
  }

  // ---- TradingContext ------------------------------------------------------------------

  book(symbol: string): BookView {
    return this.venue(symbol).bookView(this.levels);
  }

  position(symbol: string): Position {
    return this.venue(symbol).position;
  }

  /** Cash plus every position valued at the strategy's latest mark (mark price, else mid, else last print). */
  equity(): number {
    let e = this.balance;
    const vs = this.bookList;
    for (let i = 0; i < vs.length; i++) {
      const v = vs[i]!;
      if (v.position.qty !== 0) e += unrealizedPnl(v.position, v.mark);
    }
    return e;
  }

  /** Cash as the strategy knows it: starting cash + realised PnL − fees − funding of the fills reported. */
  get cash(): number {
    return this.balance;
  }

  submit(request: OrderRequest): Order {
    const o = this.sim.submit(request, this.now);
    this.onSubmit?.(o);
    const mine = { ...o };
    this.known[o.id - 1] = mine;
    if (OPEN.has(mine.status)) this.open.push(mine);
    return mine;
  }

  cancel(orderId: number): boolean {
    const mine = this.known[orderId - 1];
    if (!mine || !OPEN.has(mine.status)) return false;
    return this.sim.cancel(orderId, this.now);
  }

  openOrders(symbol?: string): readonly Order[] {
    return symbol === undefined ? this.open.slice() : this.open.filter((o) => o.symbol === symbol);
  }

  /** The strategy's view of every symbol it has seen, for a final check against the venue. */
  positions(): Position[] {
    return this.bookList.map((v) => ({ ...v.position }));
  }
}
