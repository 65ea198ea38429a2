/**
 * Accounting of linear (USDⓈ-M) futures: a position per symbol with its average entry price,
 * realised PnL in quote currency, fees and funding; the wallet balance ("cash") is the starting
 * cash plus realised PnL less fees and funding, and equity adds each position's unrealised PnL
 * at its mark. Positions net (one-way mode): a fill against the position closes first, at the
 * average entry price, and any excess opens the other way at the fill price.
 *
 * @see https://www.binance.com/en/support/faq/binance-futures-fee-structure-fee-calculations-360033544231
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Position-Information-V3 (entryPrice, unRealizedProfit)
 */
import type { OrderSide, Position } from '../types.js';

/** A flat position. */
export function flatPosition(symbol: string): Position {
  return { symbol, qty: 0, avgPrice: NaN, realizedPnl: 0, fees: 0, funding: 0 };
}

/** Relative size below which a position is taken as flat (a sum of decimal quantities rarely lands exactly on 0). */
const FLAT_EPS = 1e-9;

/**
 * Apply an execution of `qty` (> 0) at `price` on `side` to `p`; returns the PnL it realised.
 * @example
 * const p = flatPosition('X');
 * applyExecution(p, 'buy', 100, 2);  // 0: long 2 @ 100
 * applyExecution(p, 'sell', 110, 3); // 20: closes 2 at +10 each, then short 1 @ 110
 */
export function applyExecution(p: Position, side: OrderSide, price: number, qty: number): number {
  const s = side === 'buy' ? 1 : -1;
  const q0 = p.qty;
  let realized = 0;
  let q1 = q0 + s * qty;
  if (q0 === 0 || (q0 > 0) === (s > 0)) {
    // opening or adding: the average entry moves toward the fill
    const a0 = Math.abs(q0);
    p.avgPrice = q0 === 0 ? price : (a0 * p.avgPrice + qty * price) / (a0 + qty);
  } else {
    const closed = Math.min(qty, Math.abs(q0));
    realized = closed * (price - p.avgPrice) * (q0 > 0 ? 1 : -1);
    if (Math.abs(q1) <= FLAT_EPS * Math.max(Math.abs(q0), qty)) {
      q1 = 0;
      p.avgPrice = NaN;
    } else if ((q1 > 0) !== (q0 > 0)) p.avgPrice = price; // flipped: the excess opened at the fill
  }
  p.qty = q1;
  p.realizedPnl += realized;
  return realized;
}

/** Unrealised PnL of `p` at `mark` (0 when flat, even with no mark). */
export function unrealizedPnl(p: Position, mark: number): number {
  return p.qty === 0 ? 0 : p.qty * (mark - p.avgPrice);
}

/** Quantity a reduce-only order on `side` may still execute: the opposite position's size, or 0. */
export function reducibleQty(p: Position, side: OrderSide): number {
  return side === 'buy' ? (p.qty < 0 ? -p.qty : 0) : p.qty > 0 ? p.qty : 0;
}
