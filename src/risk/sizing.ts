/**
 * Volatility-target sizing: the position whose value swings, relative to equity, like an asset
 * of the target annualised volatility — `qty = equity · target_vol / realised_vol / price` —
 * capped by leverage, by a maximum position in base units and in notional, then rounded down to
 * the exchange's lot step and dropped when below its minimum order.
 *
 * @see Moreira & Muir (2017), "Volatility-Managed Portfolios", Journal of Finance 72(4).
 * @see Harvey, Hoyle, Korgaonkar, Rattray, Sargaison & Van Hemert (2018), "The Impact of Volatility Targeting", Journal of Portfolio Management 45(1).
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Exchange-Information (LOT_SIZE, MIN_NOTIONAL filters)
 */
import type { RiskConfig } from './config.js';

/** The `risk` config values sizing reads. */
export type SizingConfig = Pick<
  RiskConfig,
  'target_vol' | 'vol_floor' | 'max_leverage' | 'max_position_qty' | 'max_position_notional' | 'lot_step' | 'min_qty' | 'min_notional'
>;

/** What limited a size below the volatility target. */
export type SizeLimit = 'leverage' | 'max_position_qty' | 'max_position_notional';

/** A sized position. */
export interface SizeResult {
  /** Base units, ≥ 0, a whole number of lot steps; 0 when no order can be placed. */
  qty: number;
  /** `qty · price`. */
  notional: number;
  /** `notional / equity`. */
  lev: number;
  /** The volatility-target size before caps and rounding (with the multiplier). */
  target_qty: number;
  /** The cap that bound, if any. */
  limited_by: SizeLimit | null;
  /** Why `qty` is 0, else `null`. */
  reason: string | null;
}

/** Decimal places of a step (`0.001` → 3, `1e-7` → 7, `5` → 0), so sums of steps print as typed. */
export function stepDecimals(step: number): number {
  if (!Number.isFinite(step) || step <= 0) return 0;
  for (let d = 0; d <= 15; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9 * Math.max(1, scaled)) return d;
  }
  return 15;
}

/**
 * The largest whole number of `step`s not above `qty`, written with the step's decimals (so
 * `0.007`, never `0.007000000000000001`), and never above `qty` itself.
 * @example floorToStep(0.01999, 0.001) // 0.019
 */
export function floorToStep(qty: number, step: number): number {
  if (!(qty > 0) || !(step > 0)) return 0;
  const d = stepDecimals(step);
  let k = Math.floor(qty / step + 1e-9);
  let x = Number((k * step).toFixed(d));
  while (k > 0 && x > qty) {
    k = below(k, 1);
    x = Number((k * step).toFixed(d));
  }
  return k > 0 ? x : 0;
}

/**
 * `x - by`, or the next double under `x` where `by` is below its spacing: past 2^53 lots,
 * `k - 1 === k` and a loop that steps down by one lot never ends. `x · 2^-52` is at least one
 * unit in the last place of `x` (IEEE 754 binary64), so the result is always below `x`.
 */
function below(x: number, by: number): number {
  return x - Math.max(by, x * 2 ** -52);
}

/** `a + b` for quantities on a step's grid, written with the step's decimals. */
export function addOnStep(a: number, b: number, step: number): number {
  return Number((a + b).toFixed(stepDecimals(step)));
}

/**
 * The volatility-target position size for `equity` at `price` with annualised volatility `vol`
 * (floored at `vol_floor`), scaled by `multiplier` (mode and signal strength), capped, and
 * rounded down to `lot_step`. Every cap holds exactly in floating point: `qty · price ≤
 * equity · max_leverage` and `qty · price ≤ max_position_notional` as computed here.
 *
 * @example
 * // 10,000 USDT at 20% target with BTC at 60,000 and 50% realised volatility:
 * // 10000 · 0.2 / 0.5 / 60000 = 0.0666… → 0.066 BTC (3,960 USDT, 0.396x)
 * volTargetSize(10_000, 60_000, 0.5, 1, config).qty // 0.066
 */
export function volTargetSize(equity: number, price: number, vol: number, multiplier: number, config: SizingConfig): SizeResult {
  const empty = (reason: string, target = 0): SizeResult => ({ qty: 0, notional: 0, lev: 0, target_qty: target, limited_by: null, reason });
  if (!(equity > 0) || !Number.isFinite(equity)) return empty('no equity');
  if (!(price > 0) || !Number.isFinite(price)) return empty('no price');
  const v = Math.max(vol, config.vol_floor);
  if (!(v > 0) || !Number.isFinite(v)) return empty('no volatility');
  if (!(multiplier > 0)) return empty('size multiplier 0');
  const target = ((equity * config.target_vol) / v / price) * multiplier;
  let qty = target;
  let limited: SizeLimit | null = null;
  const levCap = (equity * config.max_leverage) / price;
  if (qty > levCap) {
    qty = levCap;
    limited = 'leverage';
  }
  if (config.max_position_qty > 0 && qty > config.max_position_qty) {
    qty = config.max_position_qty;
    limited = 'max_position_qty';
  }
  if (config.max_position_notional > 0 && qty > config.max_position_notional / price) {
    qty = config.max_position_notional / price;
    limited = 'max_position_notional';
  }
  qty = floorToStep(qty, config.lot_step);
  // the caps again as products, so no floating-point rounding lets one through
  while (qty > 0 && (qty * price > equity * config.max_leverage || (config.max_position_notional > 0 && qty * price > config.max_position_notional))) {
    qty = floorToStep(below(qty, config.lot_step), config.lot_step);
  }
  if (qty <= 0 || qty < config.min_qty) return empty(`size ${fmt(target)} below the minimum order of ${config.min_qty}`, target);
  if (qty * price < config.min_notional) return empty(`notional ${fmt(qty * price)} below the minimum of ${config.min_notional}`, target);
  const notional = qty * price;
  return { qty, notional, lev: notional / equity, target_qty: target, limited_by: limited, reason: null };
}

function fmt(x: number): string {
  return Number(x.toPrecision(6)).toString();
}
