/**
 * The venue of a backtest: orders in, fills out, against recorded market data.
 * (public API first; the matching is being filled in)
 */
import type { DepthEvent, MarkEvent, QuoteEvent, TradeEvent } from '../../core/events.js';
import type { BookView, Fill, Order, OrderRequest, Position } from '../types.js';
import type { FeeModel } from './models/fees.js';
import type { FillModel } from './models/fill.js';
import type { FundingModel } from './models/funding.js';
import type { LatencyModel } from './models/latency.js';
import type { QueueModel } from './models/queue.js';

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
}

const MODEL_HINTS: Record<'latency' | 'fees' | 'fill' | 'queue', string> = {
  latency: 'a latency model (e.g. ConstantLatency)',
  fees: 'a fee model (e.g. MakerTakerFees)',
  fill: 'a fill model (e.g. TouchFill)',
  queue: 'a queue model (e.g. RiskAverseQueue)',
};

/** Names every missing model, or returns null. */
export function missingModels(models: Partial<SimulatorModels>): string | null {
  const missing = (Object.keys(MODEL_HINTS) as (keyof typeof MODEL_HINTS)[]).filter((k) => models[k] == null).map((k) => MODEL_HINTS[k]);
  if (missing.length === 0) return null;
  const list = missing.length === 1 ? missing[0]! : `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]!}`;
  return `TradeSimulator needs ${list}`;
}

/**
 * See the module comment. Every market-data call first delivers the order arrivals, cancels
 * and funding settlements due at or before the event's `ts`, then updates the venue's book and
 * matches resting orders.
 */
export class TradeSimulator {
  readonly models: Readonly<SimulatorModels>;
  /** Every order submitted, in submission order (id − 1). */
  readonly orders: Order[] = [];
  /** Every execution, in time order. */
  readonly fills: Fill[] = [];
  /** Every funding settlement, in time order. */
  readonly fundings: FundingPayment[] = [];

  /** @throws Error naming every missing model: "TradeSimulator needs a fill model (e.g. TouchFill) and a queue model (e.g. RiskAverseQueue)". */
  constructor(models: Partial<SimulatorModels>, readonly options: SimulatorOptions) {
    const missing = missingModels(models);
    if (missing) throw new Error(missing);
    this.models = models as SimulatorModels;
  }

  /** Best bid/ask update. */
  onQuote(_q: QuoteEvent): void {
    throw new Error('not yet');
  }
  /** A print: resting orders at its price move up the queue; prints through a price fill the orders there. */
  onTrade(_t: TradeEvent): void {
    throw new Error('not yet');
  }
  /** A depth diff or snapshot for the local book. */
  onDepth(_d: DepthEvent): void {
    throw new Error('not yet');
  }
  /** Mark price and funding (perpetuals). */
  onMark(_m: MarkEvent): void {
    throw new Error('not yet');
  }
  /** Deliver what is due at or before exchange time `ts` with no market event. */
  advanceTo(_ts: number): void {
    throw new Error('not yet');
  }
  /** Validate now (REJECTED with a reason) or accept as NEW; it reaches the venue at `localTs` + entry latency. */
  submit(_req: OrderRequest, _localTs: number): Order {
    throw new Error('not yet');
  }
  /** Ask to cancel; reaches the venue after the entry latency (never before the order itself). False if the order is not open. */
  cancel(_orderId: number, _localTs: number): boolean {
    throw new Error('not yet');
  }
  /** The venue's book of a symbol (a live object, refreshed by each call). */
  book(_symbol: string): BookView {
    throw new Error('not yet');
  }
  /** The position in a symbol (a live object). */
  position(_symbol: string): Position {
    throw new Error('not yet');
  }
  /** Wallet balance: starting cash + realised PnL − fees − funding, quote currency. */
  get cash(): number {
    throw new Error('not yet');
  }
  /** Cash plus every position's unrealised PnL at its mark (the mark price when the data has it, else the mid). */
  equity(): number {
    throw new Error('not yet');
  }
  /** Orders NEW or PARTIALLY_FILLED (including those still on their way to the venue). */
  openOrders(_symbol?: string): readonly Order[] {
    throw new Error('not yet');
  }
  /** The venue's clock: the latest exchange time processed, ms. */
  get now(): number {
    throw new Error('not yet');
  }
}
