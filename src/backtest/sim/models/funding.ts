/**
 * Funding of perpetual futures: at each funding time a long pays a short (or the reverse)
 * `position × mark price × funding rate`. The simulator learns the rate and the next funding
 * time from the mark-price stream (`MarkEvent`, Binance `markPriceUpdate`: `r`, `T`) and asks
 * the model for the amount at each funding time it passes.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Mark-Price-Stream
 * @see https://www.binance.com/en/support/announcement/what-fees-are-generated-in-binance-futures-trading-98488a516eb84e3eb34605683dffd554
 *   (funding fee = notional × funding rate; rate > 0: longs pay, shorts receive)
 */

/** The amount of one funding settlement. */
export interface FundingModel {
  readonly name: string;
  /** Funding paid (> 0) or received (< 0) in quote currency by a position of `qty` (signed base units) at `markPrice` with `rate`. */
  payment(symbol: string, qty: number, markPrice: number, rate: number): number;
}

/**
 * Binance's rule for linear (USDⓈ-M) contracts: the notional at the mark price times the
 * rate, paid by longs when the rate is positive.
 * @example
 * new MarkPriceFunding().payment('BTCUSDT', 2, 60_000, 0.0001) // 12: a 2 BTC long pays 12 USDT
 */
export class MarkPriceFunding implements FundingModel {
  readonly name = 'mark_price';

  payment(_symbol: string, qty: number, markPrice: number, rate: number): number {
    return qty * markPrice * rate;
  }
}
