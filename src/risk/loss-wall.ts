/**
 * The daily loss wall: once the day's loss (realised and unrealised, read from equity) reaches
 * the wall, new risk is blocked until the next UTC day, or, if configured, until the loss has
 * recovered to a fraction of the wall after a cool-off. Breaching at the wall and re-arming only
 * well inside it is the hysteresis: a day hovering at the wall does not switch on and off.
 * Reducing and closing are never blocked by it (`checkRisk` lets them through).
 *
 * The day is the UTC calendar day, as Binance's daily boundaries (funding at 00:00, daily PnL,
 * dumps) are. The day's start equity is the last equity seen before midnight, or the day's first
 * equity if none was seen.
 *
 * @see FTMO, "Maximum Daily Loss" (the prop-desk rule: equity-based, reset at the day boundary) — https://ftmo.com/en/trading-objectives/
 */
import { DAY_MS } from '../core/time.js';
import { RiskSection, type RiskConfig, type RiskConfigInput } from './config.js';

/** The `risk` config values the wall reads. */
export type LossWallConfig = Pick<RiskConfig, 'daily_loss_pct' | 'daily_loss_abs' | 'loss_rearm' | 'recover_frac' | 'cooloff_sec'>;

/** The wall's state: plain JSON, so a log can hold it and a live process can resume from it. */
export interface LossWallState {
  /** UTC day of the last update, `YYYY-MM-DD`; `null` before any. */
  day: string | null;
  /** Midnight (ms) starting `day`. */
  day_start_ms: number | null;
  /** Equity the day's PnL is measured from. */
  day_start_equity: number | null;
  /** Latest equity and its time. */
  equity: number | null;
  ts: number | null;
  /** `equity − day_start_equity`: realised and unrealised PnL of the day. */
  day_pnl: number;
  /** Lowest `day_pnl` of the day. */
  worst_pnl: number;
  /** Loss (positive, quote currency) at which the wall trips today; `null` when no wall is set. */
  wall: number | null;
  /** True while new risk is blocked. */
  breached: boolean;
  /** When the current (or last) breach happened, and when recovery re-armed it. */
  breached_ts: number | null;
  rearmed_ts: number | null;
  /** Breaches today. */
  breaches: number;
}

/** A state before any equity has been seen. */
export function initialLossWallState(): LossWallState {
  return {
    day: null,
    day_start_ms: null,
    day_start_equity: null,
    equity: null,
    ts: null,
    day_pnl: 0,
    worst_pnl: 0,
    wall: null,
    breached: false,
    breached_ts: null,
    rearmed_ts: null,
    breaches: 0,
  };
}

/** The loss that trips the wall for a day starting at `startEquity`: the smaller of the set walls, `null` when none is. */
export function wallFor(startEquity: number, config: LossWallConfig): number | null {
  let wall = Infinity;
  if (config.daily_loss_pct > 0) wall = Math.min(wall, config.daily_loss_pct * Math.max(0, startEquity));
  if (config.daily_loss_abs > 0) wall = Math.min(wall, config.daily_loss_abs);
  return wall === Infinity ? null : wall;
}

/**
 * Advance a wall state, in place, to equity `equity` at `ts` (ms): roll the day at UTC
 * midnight, then breach or re-arm. Non-finite inputs leave it unchanged; a `ts` that goes back
 * counts as the latest one seen. The kernel of {@link stepLossWall} and {@link DailyLossWall}.
 */
export function advanceLossWall(s: LossWallState, ts: number, equity: number, config: LossWallConfig): LossWallState {
  if (!Number.isFinite(ts) || !Number.isFinite(equity)) return s;
  if (s.ts !== null && ts < s.ts) ts = s.ts;
  const dayStart = Math.floor(ts / DAY_MS) * DAY_MS;
  if (s.day_start_ms !== dayStart) {
    const start = s.equity ?? equity;
    s.day = new Date(dayStart).toISOString().slice(0, 10);
    s.day_start_ms = dayStart;
    s.day_start_equity = start;
    s.wall = wallFor(start, config);
    s.breached = false;
    s.breached_ts = null;
    s.rearmed_ts = null;
    s.breaches = 0;
    s.worst_pnl = 0;
  }
  s.equity = equity;
  s.ts = ts;
  s.day_pnl = equity - s.day_start_equity!;
  if (s.day_pnl < s.worst_pnl) s.worst_pnl = s.day_pnl;
  const loss = -s.day_pnl;
  if (!s.breached) {
    if (s.wall !== null && loss >= s.wall) {
      s.breached = true;
      s.breached_ts = ts;
      s.breaches++;
    }
  } else if (
    config.loss_rearm === 'recovery' &&
    s.wall !== null &&
    ts - s.breached_ts! >= config.cooloff_sec * 1000 &&
    loss <= config.recover_frac * s.wall
  ) {
    s.breached = false;
    s.rearmed_ts = ts;
  }
  return s;
}

/** A copy of `state` (or a fresh one) advanced to `equity` at `ts`; the input is not changed. */
export function stepLossWall(state: LossWallState | null | undefined, ts: number, equity: number, config: LossWallConfig): LossWallState {
  const s = state ? { ...state } : initialLossWallState();
  return advanceLossWall(s, ts, equity, config);
}

/** Why new risk is blocked, or `null` when it is not. */
export function lossWallBlock(s: LossWallState): string | null {
  if (!s.breached) return null;
  return `daily loss wall: day PnL fell to ${round2(s.worst_pnl)} (wall −${round2(s.wall ?? 0)}) on ${s.day}`;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * The wall as an object fed with every equity update (each fill and mark), so a breach between
 * two signals is not missed; pass its `state` to `checkRisk`.
 *
 * @example
 * const wall = new DailyLossWall({ daily_loss_pct: 0.03 });
 * wall.update(Date.UTC(2024, 7, 8, 9), 10_000); // true: new risk allowed
 * wall.update(Date.UTC(2024, 7, 8, 12), 9_690); // false: −310 ≥ 3% of 10,000
 * wall.update(Date.UTC(2024, 7, 9, 0), 9_700);  // true: a new UTC day (start equity 9,690)
 */
export class DailyLossWall {
  readonly config: LossWallConfig;
  private s: LossWallState;

  constructor(config: RiskConfigInput | LossWallConfig = {}, state?: LossWallState) {
    this.config = RiskSection.parse(config);
    this.s = state ? { ...state } : initialLossWallState();
  }

  /** Feed equity at `ts` (ms); returns whether new risk is allowed. */
  update(ts: number, equity: number): boolean {
    advanceLossWall(this.s, ts, equity, this.config);
    return !this.s.breached;
  }

  /** Whether new risk is allowed now. */
  get allowsNewRisk(): boolean {
    return !this.s.breached;
  }

  /** A copy of the state (serialisable). */
  get state(): LossWallState {
    return { ...this.s };
  }

  reset(): void {
    this.s = initialLossWallState();
  }
}
