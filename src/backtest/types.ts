/**
 * The trading vocabulary shared by the backtest and the live side: orders, fills, positions,
 * and the {@link TradingContext} a {@link Strategy} is written against. The backtest driver
 * implements the context over history and the `TradeSimulator`; the live driver implements it
 * over a websocket feed and the mock broker. A strategy written against it runs both ways.
 *
 * Order types, time in force and statuses follow Binance USD-M futures, so a strategy's orders
 * mean the same thing in a backtest as they would on the venue.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/New-Order
 * @see hftbacktest's `Bot` trait and nautilus_trader's one kernel for backtest and live.
 */
import type { DepthEvent, MarkEvent, QuoteEvent, TradeEvent } from '../core/events.js';

export type OrderSide = 'buy' | 'sell';
export type OrderType = 'market' | 'limit';
/** GTC: rests until filled or canceled. IOC: fills what it can now, the rest expires. FOK: all now or nothing. GTX: post-only, rejected (expired, on Binance) if it would take. */
export type TimeInForce = 'GTC' | 'IOC' | 'FOK' | 'GTX';
/** NEW → PARTIALLY_FILLED → FILLED / CANCELED / REJECTED / EXPIRED. */
export type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED';
/** Who added and who took liquidity. */
export type Liquidity = 'maker' | 'taker';

/** What a strategy asks for. */
export interface OrderRequest {
  symbol: string;
  side: OrderSide;
  type: OrderType;
  /** Base-asset quantity, > 0. */
  qty: number;
  /** Limit price (limit orders only). */
  price?: number;
  /** Default: GTC for limit, IOC for market. */
  timeInForce?: TimeInForce;
  /** Only reduce the position; never open or increase it. */
  reduceOnly?: boolean;
  /** Free text carried to the order and its fills (the signal that made it, a strategy leg). */
  tag?: string;
}

/** An order as the venue knows it. */
export interface Order extends Required<Omit<OrderRequest, 'price' | 'tag'>> {
  /** 1, 2, 3 … in submission order within a run. */
  id: number;
  price: number;
  tag: string;
  status: OrderStatus;
  filledQty: number;
  /** Quantity-weighted average fill price (NaN before a fill). */
  avgPrice: number;
  /** Local time the strategy submitted it, ms. */
  submitTs: number;
  /** Exchange time it reached the venue (submit + order latency), ms. */
  venueTs: number;
  /** Time of the latest status change, ms. */
  updateTs: number;
  /** Why it was rejected, expired or canceled (`'post-only would take'`, `'reduce-only would increase'`, …). */
  reason: string;
}

/** One execution. */
export interface Fill {
  orderId: number;
  symbol: string;
  side: OrderSide;
  price: number;
  qty: number;
  liquidity: Liquidity;
  /** Fee paid in quote currency (negative for a rebate). */
  fee: number;
  /** Exchange time of the fill, ms. */
  ts: number;
  tag: string;
}

/** A position in one symbol. */
export interface Position {
  symbol: string;
  /** Signed base quantity: > 0 long, < 0 short. */
  qty: number;
  /** Average entry price of the open quantity (NaN when flat). */
  avgPrice: number;
  /** Realised PnL in quote currency, before fees and funding. */
  realizedPnl: number;
  /** Fees paid, quote currency (rebates negative). */
  fees: number;
  /** Funding paid (positive) or received (negative), quote currency. */
  funding: number;
}

/** The best bid and ask, and the levels when the data has depth. */
export interface BookView {
  bidPrice: number;
  bidQty: number;
  askPrice: number;
  askQty: number;
  /** Exchange time of the latest book update, ms. */
  ts: number;
  /** Levels best first, when known (a local book from depth data); empty otherwise. */
  bids: readonly (readonly [price: number, qty: number])[];
  asks: readonly (readonly [price: number, qty: number])[];
}

/**
 * What a strategy sees and can do. Implemented by the backtest driver and the live driver.
 * Event objects handed to a strategy are reused by the driver: copy what you keep.
 */
export interface TradingContext {
  /** The strategy's clock: local time in ms (exchange time + feed latency in a backtest). */
  readonly now: number;
  /** The book of a symbol as the strategy last saw it. */
  book(symbol: string): BookView;
  position(symbol: string): Position;
  /** Cash plus the value of every position at its mark, quote currency. */
  equity(): number;
  /** Submit an order; it reaches the venue after the order latency. Returns it (NEW, or REJECTED with a reason). */
  submit(request: OrderRequest): Order;
  /** Ask to cancel; takes effect at the venue after the latency. False if the order is not open. */
  cancel(orderId: number): boolean;
  openOrders(symbol?: string): readonly Order[];
}

/** A strategy: callbacks with the context. Every callback is optional. */
export interface Strategy {
  onStart?(ctx: TradingContext): void;
  onQuote?(quote: QuoteEvent, ctx: TradingContext): void;
  onTrade?(trade: TradeEvent, ctx: TradingContext): void;
  onDepth?(depth: DepthEvent, ctx: TradingContext): void;
  onMark?(mark: MarkEvent, ctx: TradingContext): void;
  /** An order changed status (accepted, filled, canceled, rejected, expired). */
  onOrder?(order: Order, ctx: TradingContext): void;
  onFill?(fill: Fill, ctx: TradingContext): void;
  onEnd?(ctx: TradingContext): void;
}
