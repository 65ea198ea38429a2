/**
 * Fee models: what an execution costs in quote currency. A rebate is a negative fee.
 *
 * @see https://www.binance.com/en/support/announcement/what-fees-are-generated-in-binance-futures-trading-98488a516eb84e3eb34605683dffd554
 *   (commission = notional × fee rate; notional = contracts × trade price for USDⓈ-M)
 */
import type { Liquidity } from '../../types.js';

/** Fee of one execution. */
export interface FeeModel {
  readonly name: string;
  /** Fee in quote currency for an execution of `notional` (price × qty, > 0) as maker or taker; negative is a rebate. */
  fee(symbol: string, notional: number, liquidity: Liquidity): number;
}

export interface MakerTakerFeesOptions {
  /** Maker fee in basis points of notional; negative for a rebate. Default 2 (Binance USDⓈ-M, regular user). */
  makerBps?: number;
  /** Taker fee in basis points of notional. Default 5 (Binance USDⓈ-M, regular user). */
  takerBps?: number;
}

/**
 * A fixed rate per side of the book, in basis points of notional: the schedule every venue
 * publishes. The defaults are Binance USDⓈ-M futures for a regular (VIP 0) account: maker
 * 0.0200%, taker 0.0500%, before the 10% BNB discount.
 *
 * @see https://www.binance.com/en/fee/futureFee (the schedule; VIP 0 maker 0.0200% / taker 0.0500%)
 * @see https://www.binance.com/en/support/faq/binance-futures-fee-structure-fee-calculations-360033544231
 * @example
 * new MakerTakerFees().fee('BTCUSDT', 60_000, 'taker') // 30 (5 bps of 60,000)
 * new MakerTakerFees({ makerBps: -0.5 }).fee('BTCUSDT', 60_000, 'maker') // -3: a rebate
 */
export class MakerTakerFees implements FeeModel {
  readonly name = 'maker_taker';
  readonly makerBps: number;
  readonly takerBps: number;
  private readonly maker: number;
  private readonly taker: number;

  constructor(options: MakerTakerFeesOptions = {}) {
    this.makerBps = options.makerBps ?? 2;
    this.takerBps = options.takerBps ?? 5;
    if (!Number.isFinite(this.makerBps) || !Number.isFinite(this.takerBps)) throw new RangeError(`fees ${this.makerBps}/${this.takerBps} bps: expected finite numbers`);
    if (this.takerBps < 0) throw new RangeError(`taker fee ${this.takerBps} bps: a taker pays, expected ≥ 0`);
    this.maker = this.makerBps / 10_000;
    this.taker = this.takerBps / 10_000;
  }

  fee(_symbol: string, notional: number, liquidity: Liquidity): number {
    return notional * (liquidity === 'maker' ? this.maker : this.taker);
  }
}
