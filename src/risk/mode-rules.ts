/**
 * The rules that turn activity measures into a strategy mode, apart from how the measures are
 * taken (`strategy-mode.ts`): each mode has enter and exit thresholds, so which one applies
 * depends on the mode the market is in now — the hysteresis of a Schmitt trigger — and UTC
 * schedule windows may force, cap or floor the result.
 *
 * - quiet is entered when any quiet measure is past its enter threshold (trade or quote rate
 *   below, spread above) and left only when every one is back past its exit threshold;
 * - active and aggressive are entered when any of their measures (trade rate, quote rate,
 *   volatility) reaches its enter threshold and left only when all are below their exit ones;
 * - quiet is judged first (a stalled or thin market is not traded, however busy its prints),
 *   then aggressive, then active, else normal.
 *
 * A threshold of 0 is off. Reasons name the measure, its value and the threshold it crossed.
 *
 * @see https://en.wikipedia.org/wiki/Schmitt_trigger (separate on and off thresholds)
 */
import type { ScheduleWindow, StrategyMode, StrategyModeConfig } from './strategy-mode-config.js';

/** The measures over a window; `null` where there was nothing to measure. */
export interface ActivityMetrics {
  /** Trades a second. */
  trade_rate: number;
  /** Best bid/ask updates a second. */
  quote_rate: number;
  /** Mean quoted spread over the window's quotes, bps of the mid. */
  spread_bps: number | null;
  /** Annualised realised volatility of the mid's `step_sec` log returns over the window. */
  vol: number | null;
}

const RANK: Record<StrategyMode, number> = { quiet: 0, normal: 1, active: 2, aggressive: 3 };

/** A mode's place from least to most active (quiet 0 … aggressive 3). */
export function modeRank(mode: StrategyMode): number {
  return RANK[mode];
}

type Upper = 'active' | 'aggressive';
type Side = 'enter' | 'exit';
type Cfg = StrategyModeConfig;

/**
 * The mode the measures `m` and the schedule (at exchange time `t`, ms) ask for, given the
 * current `mode`. With `reasons`, pushes why the result differs from `mode`; without, builds
 * no string (the per-step path).
 */
export function judgeMode(mode: StrategyMode, m: ActivityMetrics, cfg: Cfg, schedule: readonly ScheduleWindow[], t: number, reasons: string[] | null): StrategyMode {
  let activity: StrategyMode;
  if (mode === 'quiet' ? quietHolds(m, cfg, 'exit') : quietHolds(m, cfg, 'enter')) activity = 'quiet';
  else if (upperHolds(m, cfg, 'aggressive', RANK[mode] >= 3 ? 'exit' : 'enter')) activity = 'aggressive';
  else if (upperHolds(m, cfg, 'active', RANK[mode] >= 2 ? 'exit' : 'enter')) activity = 'active';
  else activity = 'normal';
  if (reasons && activity !== mode) {
    if (mode === 'quiet') explain(m, cfg, 'quiet', 'exit', reasons);
    else if (activity !== 'quiet' && RANK[activity] < RANK[mode]) {
      // fell down the ladder: every upper mode passed on the way lost all its measures
      if (mode === 'aggressive') explain(m, cfg, 'aggressive', 'exit', reasons);
      if (activity === 'normal') explain(m, cfg, 'active', 'exit', reasons);
    }
    if (activity !== 'normal' && (activity === 'quiet' || RANK[activity] > RANK[mode])) explain(m, cfg, activity, 'enter', reasons);
  }
  return schedule.length ? applySchedule(activity, schedule, t, reasons) : activity;
}

/** Whether UTC time of day `sec` (seconds after midnight) falls in a window (which may wrap midnight). */
export function inWindow(w: ScheduleWindow, sec: number): boolean {
  return w.startSec < w.endSec ? sec >= w.startSec && sec < w.endSec : sec >= w.startSec || sec < w.endSec;
}

/** Schedule windows over a mode: the first `force` wins; otherwise caps and floors apply in order. */
function applySchedule(target: StrategyMode, schedule: readonly ScheduleWindow[], t: number, reasons: string[] | null): StrategyMode {
  const DAY = 86_400_000;
  const sec = (((t % DAY) + DAY) % DAY) / 1000;
  let forced: StrategyMode | null = null;
  let out = target;
  for (const w of schedule) {
    if (!inWindow(w, sec)) continue;
    if (w.action === 'force') {
      if (forced === null) {
        forced = w.mode;
        reasons?.push(`schedule '${w.text}'`);
      }
    } else if ((w.action === 'cap' && RANK[out] > RANK[w.mode]) || (w.action === 'floor' && RANK[out] < RANK[w.mode])) {
      out = w.mode;
      reasons?.push(`schedule '${w.text}'`);
    }
  }
  return forced ?? out;
}

/** Quiet's test: `enter` — any measure past its enter threshold; `exit` — any still past its exit one (so quiet stays). */
function quietHolds(m: ActivityMetrics, c: Cfg, side: Side): boolean {
  const tr = side === 'enter' ? c.quiet_enter_trade_rate : c.quiet_exit_trade_rate;
  const qr = side === 'enter' ? c.quiet_enter_quote_rate : c.quiet_exit_quote_rate;
  const sp = side === 'enter' ? c.quiet_enter_spread_bps : c.quiet_exit_spread_bps;
  return (tr > 0 && m.trade_rate < tr) || (qr > 0 && m.quote_rate < qr) || (sp > 0 && m.spread_bps !== null && m.spread_bps > sp);
}

/** An upper mode's test: `enter` — any measure at or above its enter threshold; `exit` — any still at or above its exit one. */
function upperHolds(m: ActivityMetrics, c: Cfg, mode: Upper, side: Side): boolean {
  const tr = threshold(c, mode, side, 'trade_rate');
  const qr = threshold(c, mode, side, 'quote_rate');
  const v = threshold(c, mode, side, 'vol');
  return (tr > 0 && m.trade_rate >= tr) || (qr > 0 && m.quote_rate >= qr) || (v > 0 && m.vol !== null && m.vol >= v);
}

function threshold(c: Cfg, mode: Exclude<StrategyMode, 'normal'>, side: Side, measure: string): number {
  return (c as unknown as Record<string, number>)[`${mode}_${side}_${measure}`]!;
}

/**
 * The measures behind a move: for `enter`, those past the mode's enter thresholds; for `exit`,
 * every measure back inside its exit threshold (all must be, for the mode to be left).
 */
function explain(m: ActivityMetrics, c: Cfg, mode: Exclude<StrategyMode, 'normal'>, side: Side, out: string[]): void {
  const say = (measure: keyof ActivityMetrics, op: string): void => {
    const key = `${mode}_${side}_${measure}`;
    const limit = threshold(c, mode, side, measure);
    const value = m[measure];
    if (limit > 0) out.push(`${measure} ${value === null ? 'none' : fmt(value)} ${op} ${key} ${limit}`);
  };
  const past = (measure: keyof ActivityMetrics, op: '<' | '>' | '>='): boolean => {
    const limit = threshold(c, mode, side, measure);
    const value = m[measure];
    if (!(limit > 0) || value === null) return false;
    return op === '<' ? value < limit : op === '>' ? value > limit : value >= limit;
  };
  if (mode === 'quiet') {
    if (side === 'enter') {
      if (past('trade_rate', '<')) say('trade_rate', '<');
      if (past('quote_rate', '<')) say('quote_rate', '<');
      if (past('spread_bps', '>')) say('spread_bps', '>');
    } else {
      say('trade_rate', '>=');
      say('quote_rate', '>=');
      say('spread_bps', '<=');
    }
    return;
  }
  if (side === 'enter') {
    if (past('trade_rate', '>=')) say('trade_rate', '>=');
    if (past('quote_rate', '>=')) say('quote_rate', '>=');
    if (past('vol', '>=')) say('vol', '>=');
  } else {
    say('trade_rate', '<');
    say('quote_rate', '<');
    say('vol', '<');
  }
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
