/**
 * The inputs and output of `checkRisk`, kept minimal so the backtester and the live loop can
 * fill them from what they already hold, and plain JSON so a decision can be logged and replayed.
 */
import type { StrategyMode } from './strategy-mode-config.js';
import type { LossWallState } from './loss-wall.js';

/** Signal strengths, strongest buy to strongest sell (the signal layer's `signal_type`). */
export type RiskSignalType = 'strong_buy' | 'buy' | 'neutral' | 'sell' | 'strong_sell';

/**
 * What `checkRisk` reads of a signal. The signal layer's records carry these fields (and more),
 * so they satisfy it as they are.
 */
export interface RiskSignal {
  /** Exchange time of the data the signal was computed from, ms. */
  ts_ms: number;
  symbol: string;
  signal_type: RiskSignalType;
  /** The score the signal's thresholds were applied to; must be finite. */
  score: number;
  /** True when the signal layer's confirmation rules passed (read with `require_confirm`). */
  confirm?: boolean;
}

/** The position in the signal's symbol and the account behind it. */
export interface RiskPosition {
  /** Signed base quantity: > 0 long, < 0 short, 0 flat. */
  qty: number;
  /** Average entry price; `NaN` or 0 when flat. */
  avg_price: number;
  /** Unrealised PnL of the position (quote currency); informational, since `equity` includes it. */
  unrealized_pnl: number;
  /** Account equity: wallet balance plus unrealised PnL (Binance's margin balance), quote currency. */
  equity: number;
}

/** The market as the strategy sees it when the signal is checked. */
export interface RiskMarket {
  /** Exchange time, ms: the clock of the check (the loss wall's day, the signal's age). */
  ts: number;
  /** Mid price the size is computed at. */
  mid: number;
  /** Quoted spread, bps of the mid. */
  spread_bps: number;
  /** Annualised realised volatility (`EwmaVolatility.value`); `null` while it warms up. */
  vol: number | null;
  /** Strategy mode of the symbol (`StrategyModeManager.mode`). */
  mode: StrategyMode;
}

/** What a decision does to the position. */
export type RiskAction = 'open' | 'add' | 'close' | 'reverse' | 'none';

/** State carried from one `checkRisk` call to the next: serialisable, for logs and for resuming a live process. */
export interface RiskState {
  version: 1;
  /** Market time of the last check. */
  ts: number | null;
  /** The daily loss wall. */
  wall: LossWallState;
}

/** A risk decision. */
export interface RiskDecision {
  /** Whether to send the order. */
  allow: boolean;
  /** Order side; `null` when nothing is sent. */
  side: 'buy' | 'sell' | null;
  /** Order quantity, base units (≥ 0). */
  qty: number;
  /** Leverage after the order (|position| · mid / equity); the current one when nothing is sent. */
  lev: number;
  /** The mode the decision was taken in. */
  mode: StrategyMode;
  /** Why: the first rule that blocked, or what the order does. */
  reason: string;
  action: RiskAction;
  /** True when the order only reduces or closes (send it reduce-only). */
  reduce_only: boolean;
  /** Signed position after the order. */
  position_after: number;
  risk_state: RiskState;
}
