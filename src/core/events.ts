/**
 * Flat, numeric, typed market events: the one shape every reader produces and every
 * calculator, signal and simulator consumes.
 *
 * Two clocks, always: `ts` is the exchange's event time and `recvTs` the local receive
 * time, both in milliseconds since the Unix epoch as `number` (`recvTs` keeps its
 * sub-millisecond fraction). Nanosecond epochs do not fit a float64 exactly (2^53 ≈ 9e15),
 * milliseconds do, and a millisecond float keeps microsecond precision for receive times.
 * Identifiers (trade ids, order-book update ids) are integers below 2^53 and stay numbers.
 * A value the source does not carry is `NaN`, never `undefined`.
 *
 * @see nautilus_trader `ts_event` / `ts_init`, hftbacktest `exch_ts` / `local_ts` — the same split.
 */

/** The event kinds, in the order a time-ordered merge breaks ties (book state before trades). */
export const EVENT_KINDS = ['depth', 'quote', 'trade', 'mark'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Aggressor side of a trade: `'buy'` when the taker bought (Binance `m: false`). */
export type AggressorSide = 'buy' | 'sell';

/**
 * Print kinds of Binance USD-M trades (`X`). Only `MARKET` prints are order flow;
 * `INSURANCE_FUND` (liquidations) and `ADL` are not.
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Trade-Streams
 */
export const PRINT_KINDS = ['MARKET', 'INSURANCE_FUND', 'ADL', 'NA'] as const;
export type PrintKind = (typeof PRINT_KINDS)[number] | (string & {});

/** Fields every event carries. */
export interface EventBase {
  /** Exchange symbol as the venue spells it, upper case (`BTCUSDT`, `BTCUSD_PERP`, `AMZN`). */
  symbol: string;
  /** Exchange event time, ms since epoch. */
  ts: number;
  /** Local receive time, ms since epoch (fractional). `NaN` for sources recorded without one. */
  recvTs: number;
}

/** One print: a trade or an aggregated trade. */
export interface TradeEvent extends EventBase {
  type: 'trade';
  price: number;
  qty: number;
  side: AggressorSide;
  /** Trade id (`t`), or aggregate trade id (`a`) for aggTrades. */
  id: number;
  /** First and last trade id of an aggTrade (`f`, `l`); both equal `id` for a plain trade. */
  firstId: number;
  lastId: number;
  printKind: PrintKind;
}

/** Best bid and ask (Binance bookTicker, a dump's bookTicker row, LOBSTER level 1). */
export interface QuoteEvent extends EventBase {
  type: 'quote';
  bidPrice: number;
  bidQty: number;
  askPrice: number;
  askQty: number;
  /** Order-book update id (`u`); may repeat and may arrive out of order on Binance. */
  updateId: number;
}

/**
 * Order-book levels: a diff (`depthUpdate`: levels whose size changed, size 0 = removed)
 * or a snapshot (REST `/depth`, LOBSTER book rows: the whole visible book).
 */
export interface DepthEvent extends EventBase {
  type: 'depth';
  isSnapshot: boolean;
  /** First update id of a diff (`U`); `NaN` for a snapshot. */
  firstUpdateId: number;
  /** Last update id of a diff (`u`) or the snapshot's `lastUpdateId`. */
  lastUpdateId: number;
  /** `pu` of a USD-M / COIN-M diff: the previous diff's `u`. `NaN` where absent (spot, snapshots). */
  prevUpdateId: number;
  bidPrices: number[];
  bidQtys: number[];
  askPrices: number[];
  askQtys: number[];
}

/**
 * A depth event whose level lists may be whole columns of a columnar stream: what a reader of
 * levels by index (a local order book, the simulator) takes, so a columnar stream hands its
 * levels over without copying them or making a view per event. With the ranges given, the
 * event's bids are `bidPrices[bidFrom..bidTo)` (and `bidQtys` alike), its asks
 * `askPrices[askFrom..askTo)`; without them, the whole arrays. A {@link DepthEvent} is one.
 */
export type DepthLevelsView = Omit<DepthEvent, 'bidPrices' | 'bidQtys' | 'askPrices' | 'askQtys'> & LevelRanges & {
  readonly bidPrices: ArrayLike<number>;
  readonly bidQtys: ArrayLike<number>;
  readonly askPrices: ArrayLike<number>;
  readonly askQtys: ArrayLike<number>;
};

/** Where an event's levels lie in level arrays holding more than its own (see {@link DepthLevelsView}); each absent bound is the array's start or end. */
export interface LevelRanges {
  readonly bidFrom?: number;
  readonly bidTo?: number;
  readonly askFrom?: number;
  readonly askTo?: number;
}

/** Mark price, index price and funding (Binance `markPriceUpdate`). */
export interface MarkEvent extends EventBase {
  type: 'mark';
  markPrice: number;
  indexPrice: number;
  fundingRate: number;
  nextFundingTime: number;
}

export type MarketEvent = TradeEvent | QuoteEvent | DepthEvent | MarkEvent;

/** The event type of a kind. */
export type EventOf<K extends EventKind> = Extract<MarketEvent, { type: K }>;
