/**
 * `checkRisk`: one signal, the position and the market in; an order (or the reason for none)
 * out. It joins the strategy mode, the daily loss wall, volatility-target sizing and the
 * position limits, and is pure: no clock is read (time is `market.ts`), nothing random, the
 * inputs are not changed, so the same inputs give the same decision byte for byte — which is
 * what lets a backtest and a live run of one strategy agree.
 *
 * The rules, in order:
 * 1. A malformed signal or position, a neutral signal, or a signal older than
 *    `max_signal_age_sec` does nothing.
 * 2. An opposite signal against an open position closes it (always allowed: reducing risk is
 *    never blocked), and with `on_opposite: reverse` also opens the other way in the same order
 *    when a new entry would be allowed.
 * 3. New risk (opening, adding, the reversal's new leg) is blocked by, first to last: the loss
 *    wall; warm-up (`vol` null: reason `'warming up'`); the mode (`{mode}_entries`: none, strong
 *    signals only, or all); `require_confirm`; a spread above `max_spread_bps`.
 * 4. Sizing: the volatility target × the mode's `{mode}_size` × (`weak_size` for buy/sell),
 *    capped by leverage and maximum position, rounded down to the lot step. A signal in the
 *    direction of the position tops it up to that target only (never beyond the caps), and only
 *    when the shortfall is at least `add_min_frac` of it.
 */
import { RiskSection, type RiskConfig, type RiskConfigInput } from './config.js';
import { initialLossWallState, lossWallBlock, stepLossWall, type LossWallState } from './loss-wall.js';
import { addOnStep, floorToStep, volTargetSize } from './sizing.js';
import type { RiskAction, RiskDecision, RiskMarket, RiskPosition, RiskSignal, RiskSignalType, RiskState } from './types.js';

/** The `risk` defaults, resolved once. */
export const DEFAULT_RISK_CONFIG: Readonly<RiskConfig> = Object.freeze(RiskSection.parse({}));

/**
 * A full `risk` config from a partial one, checked (a bad value throws a zod error naming it).
 * Resolve once and pass the result to every {@link checkRisk} call: checkRisk itself trusts it.
 */
export function resolveRiskConfig(input: RiskConfigInput = {}): RiskConfig {
  return RiskSection.parse(input);
}

/** The state before the first check. */
export function initialRiskState(): RiskState {
  return { version: 1, ts: null, wall: initialLossWallState() };
}

/**
 * The state for {@link checkRisk} around a loss wall's state — that of a `DailyLossWall` the
 * caller feeds with every equity update (fills, marks), so a breach between two signals counts.
 */
export function riskStateFromWall(wall: LossWallState): RiskState {
  return { version: 1, ts: wall.ts, wall: { ...wall } };
}

const DIRECTION: Record<RiskSignalType, number> = { strong_buy: 1, buy: 1, neutral: 0, sell: -1, strong_sell: -1 };

/**
 * Decide what to do with a signal. `state` is the previous decision's `risk_state`, or
 * {@link riskStateFromWall} of a `DailyLossWall` fed with every equity update (so a breach
 * between two signals is not missed); it is advanced to `market.ts` and
 * `position.equity`, never changed in place. `config` is a resolved `risk` section.
 *
 * @example
 * const d = checkRisk(
 *   { ts_ms: 1723161600000, symbol: 'BTCUSDT', signal_type: 'strong_buy', score: 2.4 },
 *   { qty: 0, avg_price: NaN, unrealized_pnl: 0, equity: 10_000 },
 *   { ts: 1723161600000, mid: 60_000, spread_bps: 0.02, vol: 0.5, mode: 'normal' },
 * );
 * // { allow: true, side: 'buy', qty: 0.066, lev: 0.396, action: 'open', reason: 'open long', … }
 */
export function checkRisk(
  signal: RiskSignal,
  position: RiskPosition,
  market: RiskMarket,
  state?: RiskState | null,
  config: Readonly<RiskConfig> = DEFAULT_RISK_CONFIG,
): RiskDecision {
  const prevTs = state?.ts ?? null;
  const wall = stepLossWall(state?.wall, market.ts, position.equity, config);
  const ts = Number.isFinite(market.ts) ? (prevTs === null ? market.ts : Math.max(prevTs, market.ts)) : prevTs;
  const risk_state: RiskState = { version: 1, ts, wall };
  const pos = position.qty;
  const levOf = (p: number): number => (market.mid > 0 && position.equity > 0 && Number.isFinite(p) ? (Math.abs(p) * market.mid) / position.equity : 0);
  const decide = (allow: boolean, side: 'buy' | 'sell' | null, qty: number, action: RiskAction, reason: string, after: number, reduceOnly = false): RiskDecision => ({
    allow,
    side,
    qty,
    lev: levOf(after),
    mode: market.mode,
    reason,
    action,
    reduce_only: reduceOnly,
    position_after: after,
    risk_state,
  });
  const none = (reason: string): RiskDecision => decide(false, null, 0, 'none', reason, Number.isFinite(pos) ? pos : 0);

  const dir = DIRECTION[signal.signal_type];
  if (dir === undefined) return none(`bad signal: signal_type ${JSON.stringify(signal.signal_type)}`);
  if (!Number.isFinite(signal.score)) return none(`bad signal: score ${String(signal.score)}`);
  if (!Number.isFinite(signal.ts_ms)) return none(`bad signal: ts_ms ${String(signal.ts_ms)}`);
  if (!Number.isFinite(pos)) return none(`bad position: qty ${String(pos)}`);
  if (dir === 0) return none('neutral signal');
  const age = (market.ts - signal.ts_ms) / 1000;
  if (config.max_signal_age_sec > 0 && age > config.max_signal_age_sec) return none(`stale signal: ${round(age, 3)} s old, max_signal_age_sec ${config.max_signal_age_sec}`);

  const side = dir > 0 ? 'buy' : 'sell';
  const strong = signal.signal_type === 'strong_buy' || signal.signal_type === 'strong_sell';
  const block = entryBlock(signal, market, strong, wall.breached ? lossWallBlock(wall) : null, config);
  const size = (): ReturnType<typeof volTargetSize> => {
    const mult = modeSize(market.mode, config) * (strong ? 1 : config.weak_size);
    return volTargetSize(position.equity, market.mid, market.vol!, mult, config);
  };

  if (pos !== 0 && Math.sign(pos) !== dir) {
    const held = pos > 0 ? 'long' : 'short';
    const close = Math.abs(pos);
    const closing = `close ${held} on ${signal.signal_type} signal`;
    if (config.on_opposite === 'reverse') {
      if (block !== null) return decide(true, side, close, 'close', `${closing}; no reversal: ${block}`, 0, true);
      const s = size();
      if (s.qty === 0) return decide(true, side, close, 'close', `${closing}; no reversal: ${s.reason}`, 0, true);
      const qty = addOnStep(close, s.qty, config.lot_step);
      return decide(true, side, qty, 'reverse', `reverse ${held} to ${held === 'long' ? 'short' : 'long'}${capped(s.limited_by)}`, dir * s.qty);
    }
    return decide(true, side, close, 'close', closing, 0, true);
  }

  if (block !== null) return none(block);
  const s = size();
  if (s.qty === 0) return none(s.reason ?? 'no size');
  if (pos === 0) return decide(true, side, s.qty, 'open', `open ${dir > 0 ? 'long' : 'short'}${capped(s.limited_by)}`, dir * s.qty);

  const have = Math.abs(pos);
  if (have >= s.qty) return none(`position ${have} at or above the target ${s.qty}`);
  const add = floorToStep(s.qty - have, config.lot_step);
  if (add < config.add_min_frac * s.qty) return none(`top-up ${add} below add_min_frac ${config.add_min_frac} of the target ${s.qty}`);
  if (add < config.min_qty || add * market.mid < config.min_notional) return none(`top-up ${add} below the minimum order`);
  return decide(true, side, add, 'add', `add to ${dir > 0 ? 'long' : 'short'} up to the target ${s.qty}${capped(s.limited_by)}`, addOnStep(pos, dir * add, config.lot_step));
}

/** Why new risk is blocked, or `null`. */
function entryBlock(signal: RiskSignal, market: RiskMarket, strong: boolean, wall: string | null, config: Readonly<RiskConfig>): string | null {
  if (wall !== null) return wall;
  if (market.vol === null || market.vol === undefined) return 'warming up';
  const entries = modeEntries(market.mode, config);
  if (entries === null) return `bad market: mode ${JSON.stringify(market.mode)}`;
  if (entries === 'none') return `mode ${market.mode}: no new entries`;
  if (entries === 'strong' && !strong) return `mode ${market.mode}: strong signals only`;
  if (config.require_confirm && signal.confirm !== true) return 'signal not confirmed';
  if (config.max_spread_bps > 0 && !(market.spread_bps <= config.max_spread_bps)) {
    return `spread ${round(market.spread_bps, 4)} bps above max_spread_bps ${config.max_spread_bps}`;
  }
  return null;
}

function modeEntries(mode: string, config: Readonly<RiskConfig>): RiskConfig['normal_entries'] | null {
  switch (mode) {
    case 'quiet':
      return config.quiet_entries;
    case 'normal':
      return config.normal_entries;
    case 'active':
      return config.active_entries;
    case 'aggressive':
      return config.aggressive_entries;
    default:
      return null;
  }
}

function modeSize(mode: string, config: Readonly<RiskConfig>): number {
  switch (mode) {
    case 'quiet':
      return config.quiet_size;
    case 'normal':
      return config.normal_size;
    case 'active':
      return config.active_size;
    case 'aggressive':
      return config.aggressive_size;
    default:
      return 0;
  }
}

function capped(limit: string | null): string {
  return limit ? ` (capped by ${limit})` : '';
}

function round(x: number, digits: number): number {
  return Number.isFinite(x) ? Number(x.toFixed(digits)) : x;
}
