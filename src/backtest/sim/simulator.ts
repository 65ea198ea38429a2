/**
 * The venue of a backtest: orders in, fills out, against recorded market data, in exchange
 * time. Assembled from small models (latency, fees, taker fills, maker queue, funding) and
 * refusing to start with one missing. Pure and synchronous: no file system, no clock, no
 * randomness but the models' seeded draws, so the backtest driver, the live mock broker and a
 * Deno script get the same fills from the same events.
 *
 * **Time.** Market events arrive in exchange-time order. Each `on*` call first delivers the
 * order arrivals, cancels and funding settlements due at or before the event's `ts` (in time
 * order), then updates the book and matches resting orders. An order submitted at local time
 * `t` reaches the venue at `t + latency.entry(t)` (never before the venue's clock) and
 * executes against the book as it stands then; a cancel reaches the venue after the same
 * latency and never before its order. Strategies learn of changes `latency.response(...)` later
 * (the `localTs` handed to `onOrder` / `onFill`).
 *
 * **Orders** (Binance USDⓈ-M semantics). Market orders take IOC or FOK (default IOC); limit
 * orders GTC (default), IOC, FOK or GTX (post-only). Rejected at submission, with the reason:
 * a quantity ≤ 0, a limit without a positive price, a market order asked to rest (GTC/GTX), a
 * reduce-only order that could only open or increase the position, an unknown symbol. Expired
 * at the venue, with the reason: a post-only order that would take (Binance expires GTX
 * orders), a FOK order that cannot fill entirely, the remainder of an IOC or market order, a
 * reduce-only order with no position left to reduce (its quantity is clipped to the position
 * at each execution, as Binance reduces it). A limit order that crosses takes what is within
 * its limit (taker) and rests the remainder (GTC).
 *
 * **Takers** execute through the fill model against the side of the book they meet (see
 * `venue-book.ts`: the newer of quote and local book at the touch). **Makers** rest in a queue
 * model and fill at their own price: partly when trades at their price deplete the queue ahead,
 * entirely when a trade prints through their price or the opposite best moves onto it (a
 * crossing that was already there when the order started resting — its own taker remainder on
 * an un-depleted recorded book — does not count until it clears). Only `MARKET` prints trade
 * against resting orders (liquidation and ADL prints are not order flow).
 *
 * **Accounting** is linear futures (see `account.ts`): cash = starting cash + realised PnL −
 * fees − funding; equity = cash + Σ unrealised PnL at the mark (the mark price when the data
 * has it, else the mid). Funding is settled at each `nextFundingTime` the mark stream
 * announced, at the last mark price and rate before it.
 *
 * **Hot path.** A market event with no order resting on its symbol and nothing due costs a few
 * field stores: no allocation, no search beyond the last symbol seen.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/New-Order
 * @see https://hftbacktest.readthedocs.io/en/latest/order_fill.html (PartialFillExchange's rules)
 */
import type { DepthLevelsView, MarkEvent, QuoteEvent, TradeEvent } from '../../core/events.js';
import type { BookView, Fill, Liquidity, Order, OrderRequest, OrderStatus, Position } from '../types.js';
import { applyExecution, flatPosition, reducibleQty, unrealizedPnl } from './account.js';
import type { FeeModel } from './models/fees.js';
import type { Executions, FillModel, TakerBook } from './models/fill.js';
import type { FundingModel } from './models/funding.js';
import type { LatencyModel } from './models/latency.js';
import type { QueueModel } from './models/queue.js';
import { Resting, SymbolVenue, type DepthRecord } from './venue-book.js';

/** The parts a simulator is assembled from. Funding is optional (spot, or data without mark prices). */
export interface SimulatorModels {
  latency: LatencyModel;
  fees: FeeModel;
  fill: FillModel;
  queue: QueueModel;
  funding?: FundingModel;
}

/** One funding settlement of one symbol's position. */
export interface FundingPayment {
  symbol: string;
  /** Funding time (exchange), ms. */
  ts: number;
  /** Position at the funding time, signed base units. */
  qty: number;
  markPrice: number;
  rate: number;
  /** Paid (> 0) or received (< 0), quote currency. */
  amount: number;
}

export interface SimulatorOptions {
  /** Wallet balance at the start, quote currency (USDT for USDⓈ-M). */
  startingCash: number;
  /** Symbols that may be traded; events of others are ignored and orders for them rejected. Default: any. */
  symbols?: readonly string[];
  /** An order changed at the venue (accepted to rest, filled, canceled, expired). `localTs`: when the strategy learns of it (venue time + response latency). The order object is live: copy what you keep. */
  onOrder?: (order: Order, localTs: number) => void;
  /** An execution. `localTs` as for `onOrder`. */
  onFill?: (fill: Fill, localTs: number) => void;
  /** A funding settlement. */
  onFunding?: (payment: FundingPayment) => void;
  /** Levels per side in {@link TradeSimulator.book}'s `bids` / `asks` when depth is known. Default 20. */
  bookLevels?: number;
  /**
   * A record of the depth events the simulator will be fed, from the first
   * ({@link TradeSimulator.onDepthRow}; `DepthTrack` makes one of an event table): the local
   * books are read from it and brought up to date only when their levels are read. The same
   * fills; a sweep's runs share one.
   */
  depthTrack?: DepthRecord;
}

const MODEL_HINTS: Record<'latency' | 'fees' | 'fill' | 'queue', string> = {
  latency: 'a latency model (e.g. ConstantLatency)',
  fees: 'a fee model (e.g. MakerTakerFees)',
  fill: 'a fill model (e.g. TouchFill)',
  queue: 'a queue model (e.g. RiskAverseQueue)',
};

/** The sentence naming every missing model, or null when none is missing. */
export function missingModels(models: Partial<SimulatorModels>): string | null {
  const missing = (Object.keys(MODEL_HINTS) as (keyof typeof MODEL_HINTS)[]).filter((k) => models[k] == null).map((k) => MODEL_HINTS[k]);
  if (missing.length === 0) return null;
  const list = missing.length === 1 ? missing[0]! : `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]!}`;
  return `TradeSimulator needs ${list}`;
}

/** The venue's clock and funding schedule at one moment ({@link TradeSimulator.clocks}). */
export interface VenueClocks {
  clock: number;
  nextFunding: number;
  /** Per venue, in the order first seen: last and next funding time. */
  funding: Float64Array;
}

/** An order or cancel on its way to the venue. */
interface InFlight {
  t: number;
  seq: number;
  cancel: boolean;
  order: Order;
}

const TERMINAL: ReadonlySet<OrderStatus> = new Set(['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED']);
/** Still working (the hot loops' test: two comparisons of interned strings, no set lookup). */
const isOpen = (o: Order) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';
/** Levels of a side handed to the fill model after the touch alone (see {@link TakerBook.more}). */
const TAKER_LEVELS = 32;
/** Relative quantity below which an order's remainder counts as filled. */
const QTY_EPS = 1e-9;

/** See the module comment. */
export class TradeSimulator {
  readonly models: Readonly<SimulatorModels>;
  /** Every order submitted, in submission order (`id − 1`). Objects are live until terminal. */
  readonly orders: Order[] = [];
  /** Every execution, in time order. */
  readonly fills: Fill[] = [];
  /** Every funding settlement, in time order. */
  readonly fundings: FundingPayment[] = [];

  private readonly venues = new Map<string, SymbolVenue>();
  private readonly venueList: SymbolVenue[] = [];
  private readonly allowed: ReadonlySet<string> | null;
  private lastName = '';
  private lastVenue: SymbolVenue | null = null;
  private clock = -Infinity;
  private balance: number;
  private readonly inFlight: InFlight[] = [];
  private seq = 0;
  private readonly cancelling = new Set<number>();
  private readonly open: Order[] = [];
  private nextFunding = Infinity;
  /** Earliest time anything is due (an arrival, a cancel, a funding): the hot path's one comparison. */
  private nextDue = Infinity;
  private readonly observe: boolean;
  private readonly bookLevels: number;
  private tb: TakerBook = { dir: 1, n: 0, prices: new Float64Array(64), qtys: new Float64Array(64), hasDepth: false };
  private exec: Executions = { prices: new Float64Array(64), qtys: new Float64Array(64) };
  private readonly depthTrack: DepthRecord | null;

  /** @throws Error naming every missing model: "TradeSimulator needs a fill model (e.g. TouchFill) and a queue model (e.g. RiskAverseQueue)". */
  constructor(
    models: Partial<SimulatorModels>,
    readonly options: SimulatorOptions,
  ) {
    const missing = missingModels(models);
    if (missing) throw new Error(missing);
    if (!Number.isFinite(options.startingCash)) throw new RangeError(`startingCash ${options.startingCash}: expected a finite number`);
    this.models = { ...models } as SimulatorModels;
    this.balance = options.startingCash;
    this.allowed = options.symbols ? new Set(options.symbols) : null;
    this.depthTrack = options.depthTrack ?? null;
    for (const s of options.symbols ?? []) this.venueOf(s);
    this.observe = typeof models.latency!.observe === 'function';
    this.bookLevels = options.bookLevels ?? 20;
  }

  // ---- market data -------------------------------------------------------------------------

  /** Best bid/ask update. */
  onQuote(q: QuoteEvent): void {
    const ts = q.ts;
    if (ts >= this.nextDue) this.runDue(ts);
    const v = this.venueOf(q.symbol);
    if (v === null) return;
    if (ts > this.clock) this.clock = ts;
    if (this.observe) this.models.latency.observe!(ts, q.recvTs);
    v.bid = q.bidPrice;
    v.bidQty = q.bidQty;
    v.ask = q.askPrice;
    v.askQty = q.askQty;
    v.quoteTs = ts;
    if (v.resting.length !== 0) this.onTouch(v, null);
  }

  /** A print: resting orders at its price move up the queue; a print through a price fills the orders there. */
  onTrade(t: TradeEvent): void {
    const ts = t.ts;
    if (ts >= this.nextDue) this.runDue(ts);
    const v = this.venueOf(t.symbol);
    if (v === null) return;
    if (ts > this.clock) this.clock = ts;
    if (this.observe) this.models.latency.observe!(ts, t.recvTs);
    if (t.printKind !== 'MARKET') return;
    v.lastTrade = t.price;
    if (v.resting.length !== 0) this.matchTrade(v, t);
  }

  /** A depth diff or snapshot for the local book. */
  onDepth(d: DepthLevelsView): void {
    const ts = d.ts;
    if (ts >= this.nextDue) this.runDue(ts);
    const v = this.venueOf(d.symbol);
    if (v === null) return;
    if (ts > this.clock) this.clock = ts;
    if (this.observe) this.models.latency.observe!(ts, d.recvTs);
    if (v.applyDepth(d) && v.resting.length !== 0) this.onTouch(v, d);
  }

  /**
   * Depth row `r` of the {@link SimulatorOptions.depthTrack} (what {@link onDepth} does with the
   * row as an event): the book's touch is read from the record and its levels are not applied.
   */
  onDepthRow(r: number, symbol: string): void {
    const track = this.depthTrack;
    if (track === null) throw new Error('onDepthRow: the simulator was given no depthTrack');
    const ts = track.ts[r]!;
    if (ts >= this.nextDue) this.runDue(ts);
    const v = this.venueOf(symbol);
    if (v === null) return;
    if (ts > this.clock) this.clock = ts;
    if (this.observe) this.models.latency.observe!(ts, track.recvTs[r]!);
    const changed = v.trackDepth(r, ts);
    if (changed < 0) {
      // not the venue's next row: it left the track and takes the row as an event
      const d = track.event(r, symbol);
      if (v.applyDepth(d) && v.resting.length !== 0) this.onTouch(v, d);
    } else if (changed === 1 && v.resting.length !== 0) this.onTouch(v, track.event(r, symbol));
  }

  /** Mark price and funding (perpetuals): the mark values positions; `fundingRate` and `nextFundingTime` schedule the next settlement. */
  onMark(m: MarkEvent): void {
    const ts = m.ts;
    if (ts >= this.nextDue) this.runDue(ts);
    const v = this.venueOf(m.symbol);
    if (v === null) return;
    if (ts > this.clock) this.clock = ts;
    if (this.observe) this.models.latency.observe!(ts, m.recvTs);
    if (m.markPrice > 0) v.markPrice = m.markPrice;
    v.fundingRate = m.fundingRate;
    const T = m.nextFundingTime;
    // T = 0 on delivery contracts; a T already settled is a stale message
    if (this.models.funding && T > 0 && T > v.lastFunding && T !== v.nextFunding) {
      v.nextFunding = T;
      this.scheduleFunding();
    }
  }

  /** Deliver what is due at or before exchange time `ts` with no market event. */
  advanceTo(ts: number): void {
    if (ts >= this.nextDue) this.runDue(ts);
    if (ts > this.clock) this.clock = ts;
  }

  // ---- orders ------------------------------------------------------------------------------

  /** Validate now (REJECTED with a reason) or accept as NEW; it reaches the venue at `localTs` + entry latency. */
  submit(req: OrderRequest, localTs: number): Order {
    const type = req.type;
    const order: Order = {
      id: this.orders.length + 1,
      symbol: String(req.symbol),
      side: req.side,
      type,
      qty: req.qty,
      price: type === 'limit' && req.price !== undefined ? req.price : NaN,
      timeInForce: req.timeInForce ?? (type === 'market' ? 'IOC' : 'GTC'),
      reduceOnly: req.reduceOnly === true,
      tag: req.tag ?? '',
      status: 'NEW',
      filledQty: 0,
      avgPrice: NaN,
      submitTs: localTs,
      venueTs: NaN,
      updateTs: localTs,
      reason: '',
    };
    this.orders.push(order);
    const why = this.refusal(order, localTs);
    if (why) {
      order.status = 'REJECTED';
      order.reason = why;
      return order;
    }
    const arrive = localTs + this.models.latency.entry(localTs);
    order.venueTs = arrive > this.clock ? arrive : this.clock;
    this.open.push(order);
    this.send(order.venueTs, false, order);
    return order;
  }

  /** Why an order is refused at submission, or ''. */
  private refusal(o: Order, localTs: number): string {
    if (!Number.isFinite(localTs)) return `submit time ${localTs}: expected a finite number of ms`;
    if (o.symbol.length === 0) return 'symbol is empty';
    if (this.allowed && !this.allowed.has(o.symbol)) return `unknown symbol ${o.symbol}: this simulator trades ${[...this.allowed].join(', ')}`;
    if (o.side !== 'buy' && o.side !== 'sell') return `side ${String(o.side)}: expected buy or sell`;
    if (o.type !== 'market' && o.type !== 'limit') return `type ${String(o.type)}: expected market or limit`;
    if (!(o.qty > 0) || !Number.isFinite(o.qty)) return `qty ${o.qty}: expected a finite number > 0`;
    const tif = o.timeInForce;
    if (tif !== 'GTC' && tif !== 'IOC' && tif !== 'FOK' && tif !== 'GTX') return `timeInForce ${String(tif)}: expected GTC, IOC, FOK or GTX`;
    if (o.type === 'limit' && !(o.price > 0 && Number.isFinite(o.price))) return `limit order price ${o.price}: expected a finite number > 0`;
    if (o.type === 'market' && tif === 'GTX') return 'post-only (GTX) needs a limit order';
    if (o.type === 'market' && tif === 'GTC') return 'a market order does not rest: IOC or FOK';
    if (o.reduceOnly && reducibleQty(this.position(o.symbol), o.side) === 0) return 'reduce-only would increase the position';
    return '';
  }

  /** Ask to cancel; reaches the venue after the entry latency (never before the order itself). False if the order is not open or a cancel is already on its way. */
  cancel(orderId: number, localTs: number): boolean {
    const o = this.orders[orderId - 1];
    if (o === undefined || TERMINAL.has(o.status) || this.cancelling.has(orderId) || !Number.isFinite(localTs)) return false;
    let t = localTs + this.models.latency.entry(localTs);
    if (t < o.venueTs) t = o.venueTs;
    if (t < this.clock) t = this.clock;
    this.cancelling.add(orderId);
    this.send(t, true, o);
    return true;
  }

  private send(t: number, cancel: boolean, order: Order): void {
    const f = this.inFlight;
    const item: InFlight = { t, seq: this.seq++, cancel, order };
    let i = f.length;
    while (i > 0 && f[i - 1]!.t > t) i--;
    f.splice(i, 0, item);
    if (t < this.nextDue) this.nextDue = t;
  }

  // ---- queries -----------------------------------------------------------------------------

  /** The venue's book of a symbol: a live object, refreshed by each call (copy what you keep). */
  book(symbol: string): BookView {
    const v = this.venueOf(symbol) ?? new SymbolVenue(symbol);
    return v.bookView(this.bookLevels);
  }

  /** The position in a symbol (a live object). */
  position(symbol: string): Position {
    const v = this.venueOf(symbol);
    return v === null ? flatPosition(symbol) : v.position;
  }

  /** Wallet balance: starting cash + realised PnL − fees − funding, quote currency. */
  get cash(): number {
    return this.balance;
  }

  /** Cash plus every position's unrealised PnL at its mark (the mark price when the data has it, else the mid). */
  equity(): number {
    let e = this.balance;
    const vs = this.venueList;
    for (let i = 0; i < vs.length; i++) {
      const v = vs[i]!;
      if (v.position.qty !== 0) e += unrealizedPnl(v.position, v.mark);
    }
    return e;
  }

  /** The price a symbol's position is valued at now (mark price, else mid, else last print). */
  markPrice(symbol: string): number {
    return this.venueOf(symbol)?.mark ?? NaN;
  }

  /** Orders NEW or PARTIALLY_FILLED (including those still on their way to the venue), in submission order. */
  openOrders(symbol?: string): readonly Order[] {
    return symbol === undefined ? this.open.slice() : this.open.filter((o) => o.symbol === symbol);
  }

  /** The venue's clock: the latest exchange time processed, ms (`-Infinity` before any). */
  get now(): number {
    return this.clock;
  }

  /**
   * The run is over: each symbol's local order book is forgotten and its large arrays kept for
   * the next simulator in this thread (a sweep's next run). Orders, fills, positions and cash
   * stay readable; the books start empty again.
   */
  releaseBooks(): void {
    for (const v of this.venueList) v.releaseBook();
  }

  /**
   * The venue's clock and funding schedule now, for {@link restart} to put back: a run that
   * ends delivers what is still on its way (advancing the clock past the last event, settling
   * funding due then), which a new run on the same stream has not yet reached.
   */
  clocks(): VenueClocks {
    const n = this.venueList.length;
    const funding = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      funding[2 * i] = this.venueList[i]!.lastFunding;
      funding[2 * i + 1] = this.venueList[i]!.nextFunding;
    }
    return { clock: this.clock, nextFunding: this.nextFunding, funding };
  }

  /**
   * A new account on the same market: cash back to the starting cash, every position flat, no
   * order, fill, funding payment or order in flight, order ids from 1 again, the models' draws
   * from the start of their seeds; the books, quotes, marks and what the models learnt from the
   * data stay. `clocks` (taken with {@link clocks} where the new run takes over) puts the clock
   * and the funding schedule back. What a simulator fed the same events with no orders would
   * be: the market state depends on the events alone (fills never deplete the recorded book).
   * `BacktestDriver.restart` calls it between the segments of a sweep run.
   */
  restart(clocks: VenueClocks): void {
    this.orders.length = 0;
    this.fills.length = 0;
    this.fundings.length = 0;
    this.balance = this.options.startingCash;
    this.inFlight.length = 0;
    this.seq = 0;
    this.cancelling.clear();
    this.open.length = 0;
    const vs = this.venueList;
    for (let i = 0; i < vs.length; i++) {
      const v = vs[i]!;
      Object.assign(v.position, flatPosition(v.symbol));
      v.resting.length = 0;
      if (2 * i < clocks.funding.length) {
        v.lastFunding = clocks.funding[2 * i]!;
        v.nextFunding = clocks.funding[2 * i + 1]!;
      }
    }
    this.clock = clocks.clock;
    this.nextFunding = clocks.nextFunding;
    this.nextDue = this.nextFunding;
    this.models.latency.restart?.();
    this.models.queue.restart?.();
  }

  // ---- the venue ---------------------------------------------------------------------------

  private venueOf(symbol: string): SymbolVenue | null {
    if (symbol === this.lastName && this.lastVenue !== null) return this.lastVenue;
    let v = this.venues.get(symbol);
    if (v === undefined) {
      if (this.allowed && !this.allowed.has(symbol)) return null;
      v = new SymbolVenue(symbol);
      if (this.depthTrack !== null) v.follow(this.depthTrack);
      this.venues.set(symbol, v);
      this.venueList.push(v);
    }
    this.lastName = symbol;
    this.lastVenue = v;
    return v;
  }

  /** Deliver arrivals, cancels and funding due at or before `ts`, in time order. */
  private runDue(ts: number): void {
    const f = this.inFlight;
    for (;;) {
      const ta = f.length > 0 ? f[0]!.t : Infinity;
      const tf = this.nextFunding;
      if (ta <= tf) {
        if (!(ta <= ts)) break;
        const item = f.shift()!;
        if (ta > this.clock) this.clock = ta;
        if (item.cancel) this.venueCancel(item.order);
        else this.arrive(item.order);
      } else {
        if (!(tf <= ts)) break;
        if (tf > this.clock) this.clock = tf;
        this.settleFunding(tf);
      }
    }
    const ta = f.length > 0 ? f[0]!.t : Infinity;
    this.nextDue = ta < this.nextFunding ? ta : this.nextFunding;
  }

  private scheduleFunding(): void {
    let t = Infinity;
    for (const v of this.venueList) if (v.nextFunding < t) t = v.nextFunding;
    this.nextFunding = t;
    if (t < this.nextDue) this.nextDue = t;
  }

  private settleFunding(t: number): void {
    const model = this.models.funding;
    for (const v of this.venueList) {
      if (!(v.nextFunding <= t)) continue;
      const T = v.nextFunding;
      v.lastFunding = T;
      v.nextFunding = NaN;
      const p = v.position;
      if (model && p.qty !== 0 && v.fundingRate === v.fundingRate && v.mark === v.mark) {
        const amount = model.payment(v.symbol, p.qty, v.mark, v.fundingRate);
        p.funding += amount;
        this.balance -= amount;
        const pay: FundingPayment = { symbol: v.symbol, ts: T, qty: p.qty, markPrice: v.mark, rate: v.fundingRate, amount };
        this.fundings.push(pay);
        this.options.onFunding?.(pay);
      }
    }
    this.scheduleFunding();
  }

  /** An order reaches the venue: reduce-only clip, post-only check, the taker part, then rest or expire. */
  private arrive(o: Order): void {
    if (TERMINAL.has(o.status)) return;
    const v = this.venueOf(o.symbol)!;
    const dir: 1 | -1 = o.side === 'buy' ? 1 : -1;
    let qty = o.qty - o.filledQty;
    let clipped = false;
    if (o.reduceOnly) {
      const room = reducibleQty(v.position, o.side);
      if (room === 0) return this.finish(o, 'EXPIRED', 'reduce-only: no position to reduce');
      if (room < qty) {
        qty = room;
        clipped = true;
      }
    }
    const opposite = dir === 1 ? v.bestAsk : v.bestBid;
    const isMarket = o.type === 'market';
    const crosses = isMarket || (opposite === opposite && dir * (o.price - opposite) >= 0);
    if (o.timeInForce === 'GTX' && crosses) return this.finish(o, 'EXPIRED', 'post-only would take');
    if (crosses) {
      const limit = isMarket ? dir * Infinity : o.price;
      // the touch first, then the best levels, the whole side only when they do not fill the order
      let n = 0;
      let sum = 0;
      for (let levels = 1; ; levels = levels === 1 ? TAKER_LEVELS : Infinity) {
        const tb = levels === 1 ? v.takerTouch(dir, this.tb) : v.takerBook(dir, this.tb, levels);
        this.tb = tb;
        if (this.exec.prices.length < tb.n + 2) this.exec = { prices: new Float64Array(tb.n + 2), qtys: new Float64Array(tb.n + 2) };
        n = this.models.fill.take(qty, limit, tb, this.exec);
        sum = 0;
        for (let i = 0; i < n; i++) sum += this.exec.qtys[i]!;
        if (!tb.more || sum >= qty) break;
      }
      if (o.timeInForce === 'FOK' && sum < qty * (1 - QTY_EPS)) return this.finish(o, 'EXPIRED', `FOK: only ${sum} of ${qty} fillable within the limit`);
      if (n === 0 && isMarket && !(opposite === opposite)) return this.finish(o, 'EXPIRED', `no liquidity: no book for ${o.symbol} yet`);
      // executions are copied out first: a callback may submit, and submitting never reuses them
      const px = this.exec.prices.slice(0, n);
      const qx = this.exec.qtys.slice(0, n);
      for (let i = 0; i < n; i++) {
        if (TERMINAL.has(o.status)) break;
        this.execute(v, o, px[i]!, qx[i]!, 'taker');
      }
      if (TERMINAL.has(o.status)) return;
      if (clipped && reducibleQty(v.position, o.side) === 0) return this.finish(o, 'EXPIRED', 'reduce-only: clipped to the position');
      if (isMarket) return this.finish(o, 'EXPIRED', o.filledQty > 0 ? 'market: remainder beyond the visible liquidity' : 'market: no visible liquidity');
      if (o.timeInForce === 'IOC') return this.finish(o, 'EXPIRED', o.filledQty > 0 ? 'IOC: remainder expired' : 'IOC: nothing within the limit');
      if (o.timeInForce === 'FOK') return this.finish(o, 'EXPIRED', 'FOK: not filled entirely');
      // GTC remainder rests at its limit, first in a level it has just emptied
      const r = new Resting(o, dir);
      r.q.ahead = 0;
      r.displayed = 0;
      r.crossed = true;
      v.resting.push(r);
      if (o.filledQty === 0) this.notifyOrder(o);
      return;
    }
    if (o.timeInForce === 'IOC') return this.finish(o, 'EXPIRED', 'IOC: nothing within the limit');
    if (o.timeInForce === 'FOK') return this.finish(o, 'EXPIRED', `FOK: only 0 of ${qty} fillable within the limit`);
    const r = new Resting(o, dir);
    r.displayed = v.displayedAt(dir, o.price);
    this.models.queue.join(r.q, r.displayed);
    v.resting.push(r);
    this.notifyOrder(o);
  }

  private venueCancel(o: Order): void {
    this.cancelling.delete(o.id);
    // too late: it filled or expired first
    if (TERMINAL.has(o.status)) return;
    this.finish(o, 'CANCELED', 'canceled');
  }

  /** Move `o` to a terminal status with its reason, off the book and the open list. */
  private finish(o: Order, status: OrderStatus, reason: string): void {
    o.status = status;
    o.reason = reason;
    o.updateTs = this.clock;
    this.unrest(o);
    const i = this.open.indexOf(o);
    if (i >= 0) this.open.splice(i, 1);
    this.notifyOrder(o);
  }

  private unrest(o: Order): void {
    const v = this.venues.get(o.symbol);
    if (!v) return;
    const rs = v.resting;
    for (let i = 0; i < rs.length; i++) {
      if (rs[i]!.order === o) {
        rs.splice(i, 1);
        return;
      }
    }
  }

  /** Tell of an order change; the response latency is drawn whether or not anyone listens, so a listener never changes the draws. */
  private notifyOrder(o: Order): void {
    const localTs = this.clock + this.models.latency.response(this.clock);
    const cb = this.options.onOrder;
    if (cb) cb(o, localTs);
  }

  /** One execution of `o`: fee, position, order state, ledger, callbacks; then reduce-only orders the position no longer allows. */
  private execute(v: SymbolVenue, o: Order, price: number, qty: number, liquidity: Liquidity): void {
    if (o.reduceOnly) {
      const room = reducibleQty(v.position, o.side);
      if (room < qty) qty = room;
      if (!(qty > 0)) return this.finish(o, 'EXPIRED', 'reduce-only: no position to reduce');
    }
    const fee = this.models.fees.fee(o.symbol, price * qty, liquidity);
    const p = v.position;
    const realized = applyExecution(p, o.side, price, qty);
    p.fees += fee;
    this.balance += realized - fee;
    const before = o.filledQty;
    let filled = before + qty;
    if (filled >= o.qty * (1 - QTY_EPS)) filled = o.qty;
    o.avgPrice = before === 0 ? price : (o.avgPrice * before + price * qty) / (before + qty);
    o.filledQty = filled;
    o.updateTs = this.clock;
    const fill: Fill = { orderId: o.id, symbol: o.symbol, side: o.side, price, qty, liquidity, fee, ts: this.clock, tag: o.tag };
    this.fills.push(fill);
    if (filled === o.qty) {
      o.status = 'FILLED';
      o.reason = '';
      this.unrest(o);
      const i = this.open.indexOf(o);
      if (i >= 0) this.open.splice(i, 1);
    } else o.status = 'PARTIALLY_FILLED';
    const localTs = this.clock + this.models.latency.response(this.clock);
    const cb = this.options.onFill;
    if (cb) cb(fill, localTs);
    this.notifyOrder(o);
    this.expireReduceOnly(v);
  }

  /** Resting reduce-only orders with nothing left to reduce expire (Binance cancels them when the position closes). */
  private expireReduceOnly(v: SymbolVenue): void {
    const rs = v.resting;
    for (let i = rs.length - 1; i >= 0; i--) {
      const r = rs[i];
      if (r && r.order.reduceOnly && reducibleQty(v.position, r.order.side) === 0) this.finish(r.order, 'EXPIRED', 'reduce-only: position closed');
    }
  }

  /** The touch or the local book changed: crossings fill resting orders; displayed sizes at their prices move their queues. */
  private onTouch(v: SymbolVenue, d: DepthLevelsView | null): void {
    const bestBid = v.bestBid;
    const bestAsk = v.bestAsk;
    const list = v.walk();
    for (let i = 0, n = v.walking; i < n; i++) {
      const r = list[i]!;
      const o = r.order;
      if (!isOpen(o)) continue;
      const P = o.price;
      const opposite = r.dir === 1 ? bestAsk : bestBid;
      const crossed = r.dir * (P - opposite) >= 0;
      if (crossed && !r.crossed) {
        r.crossed = true;
        this.execute(v, o, P, o.qty - o.filledQty, 'maker');
        continue;
      }
      r.crossed = crossed;
      const shown = d === null ? this.quoteShows(v, r) : depthShows(d, r);
      if (shown === shown) {
        this.models.queue.depth(r.q, r.displayed, shown);
        r.displayed = shown;
      }
    }
  }

  /** Displayed size at a resting order's price from the latest quote: its size at the touch, 0 in front of the touch, NaN behind. */
  private quoteShows(v: SymbolVenue, r: Resting): number {
    const touch = r.dir === 1 ? v.bid : v.ask;
    if (touch === r.order.price) return r.dir === 1 ? v.bidQty : v.askQty;
    return r.dir * (r.order.price - touch) > 0 ? 0 : NaN;
  }

  private matchTrade(v: SymbolVenue, t: TradeEvent): void {
    const list = v.walk();
    for (let i = 0, n = v.walking; i < n; i++) {
      const r = list[i]!;
      const o = r.order;
      if (!isOpen(o)) continue;
      // a bid meets sellers, an ask meets buyers
      if ((r.dir === 1) !== (t.side === 'sell')) continue;
      const through = r.dir * (o.price - t.price);
      if (through > 0) {
        this.execute(v, o, o.price, o.qty - o.filledQty, 'maker');
      } else if (through === 0) {
        this.models.queue.trade(r.q, t.qty);
        if (r.q.ahead < 0) {
          const x = Math.min(-r.q.ahead, o.qty - o.filledQty);
          r.q.ahead = 0;
          this.execute(v, o, o.price, x, 'maker');
        }
      }
    }
  }
}

/**
 * Displayed size at a resting order's price in a depth event: the level's size when listed
 * (0 removes it); for a snapshot, 0 when the price lies within the levels it lists; NaN when
 * the event says nothing of it.
 */
function depthShows(d: DepthLevelsView, r: Resting): number {
  const P = r.dir === 1 ? d.bidPrices : d.askPrices;
  const Q = r.dir === 1 ? d.bidQtys : d.askQtys;
  const from = (r.dir === 1 ? d.bidFrom : d.askFrom) ?? 0;
  const to = (r.dir === 1 ? d.bidTo : d.askTo) ?? P.length;
  const price = r.order.price;
  let deepest = NaN;
  for (let i = from; i < to; i++) {
    const p = P[i]!;
    if (p === price) return Q[i]!;
    if (!(r.dir * (p - deepest) >= 0)) deepest = p;
  }
  return d.isSnapshot && r.dir * (price - deepest) >= 0 ? 0 : NaN;
}
