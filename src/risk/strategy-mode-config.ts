/**
 * The `strategy_mode` section: how market activity (trade rate, quote rate, spread, realised
 * volatility) maps to a strategy mode, with separate enter and exit thresholds per mode
 * (hysteresis), a minimum dwell time and an optional UTC time-of-day schedule.
 *
 * The defaults were measured on the real Binance USD-M captures in `../shared/data/binance-ws/usdm`
 * over 30 s windows stepped by 1 s (`test/risk/strategy-mode.real.test.ts` prints them):
 *
 * | capture (UTC) | trades/s p5 · p50 · p95 · max | quotes/s p5 · p50 · p95 · max | mean spread, bps | 1 s vol (ann.) p50 · p95 |
 * |---|---|---|---|---|
 * | BTCUSDT 2024-08-08 23:54–00:00 | 27 · 45 · 136 · 163 | 133 · 192 · 279 · 302 | 0.017–0.077 | 0.49 · 1.14 |
 * | ETHUSDT 2024-08-08 23:54–00:00 | 27 · 39 · 66 · 76 | 124 · 154 · 196 · 208 | 0.041–0.061 | 0.64 · 0.84 |
 * | BTCUSDT 2024-07-18 23:57–00:00 | 3.1 · 5.6 · 8.6 · 9.3 | 28 · 43 · 49 · 56 | 0.016 | 0.06 · 0.13 |
 * | BTCUSDT 2024-07-19 00:00–00:05 | 19 · 30 · 48 · 51 | 96 · 146 · 196 · 215 | 0.016–0.022 | 0.32 · 0.47 |
 *
 * With these defaults the August window (a busy hour four days after the 5 August 2024 crash)
 * is `normal`, except BTCUSDT's burst of 120–165 trades/s, `active` from 23:57:53 to 23:59:52
 * (two changes; ETHUSDT none); the pre-midnight minutes of 18 July (3–9 trades/s) turn `quiet`
 * once the first window is full (one change) and 19 July stays `normal`; nothing reaches
 * `aggressive`, kept for liquidation cascades several times busier than anything recorded here.
 *
 * Every threshold can be turned off with 0. A spread threshold is in basis points of the mid;
 * one tick is 0.016 bps on BTCUSDT and 0.037 bps on ETHUSDT, so the spread thresholds only
 * catch a thinned-out book, never ordinary one-tick quoting. Symbols with a coarser tick (a
 * one-tick spread of several bps) need their own spread thresholds.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Individual-Symbol-Book-Ticker-Streams
 */
import * as z from 'zod';

/** Strategy modes, least to most active. */
export const STRATEGY_MODES = ['quiet', 'normal', 'active', 'aggressive'] as const;
/** A strategy mode. */
export type StrategyMode = (typeof STRATEGY_MODES)[number];

/** What a schedule window does to the mode: set it, hold it at most at, or at least at, a mode. */
export const SCHEDULE_ACTIONS = ['force', 'cap', 'floor'] as const;
export type ScheduleAction = (typeof SCHEDULE_ACTIONS)[number];

/** A parsed schedule window: `[startSec, endSec)` seconds after UTC midnight; wraps midnight when start > end. */
export interface ScheduleWindow {
  startSec: number;
  endSec: number;
  action: ScheduleAction;
  mode: StrategyMode;
  /** The text it was parsed from, quoted in mode-change reasons. */
  text: string;
}

const TIME_RE = /^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;
const WINDOW_HELP = "'HH:MM[:SS]-HH:MM[:SS] force|cap|floor quiet|normal|active|aggressive' (UTC)";

function clockSec(text: string): number | null {
  const m = TIME_RE.exec(text);
  if (!m) return null;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + (m[3] ? Number(m[3]) : 0);
}

/**
 * A schedule window from its text, or `null` when it is not one. UTC, since Binance's funding
 * times (00:00, 08:00, 16:00 UTC on USD-M perpetuals) and daily boundaries are UTC.
 *
 * @example parseScheduleWindow('07:58-08:02 cap normal') // { startSec: 28680, endSec: 28920, action: 'cap', mode: 'normal', … }
 * @see https://www.binance.com/en/support/faq/introduction-to-binance-futures-funding-rates-360033525031
 */
export function parseScheduleWindow(text: string): ScheduleWindow | null {
  const parts = String(text).trim().split(/\s+/);
  if (parts.length !== 3) return null;
  const [span, action, mode] = parts as [string, string, string];
  const dash = span.indexOf('-');
  if (dash < 0) return null;
  const startSec = clockSec(span.slice(0, dash));
  const endSec = clockSec(span.slice(dash + 1));
  if (startSec === null || endSec === null || startSec === endSec) return null;
  if (!(SCHEDULE_ACTIONS as readonly string[]).includes(action)) return null;
  if (!(STRATEGY_MODES as readonly string[]).includes(mode)) return null;
  return { startSec, endSec, action: action as ScheduleAction, mode: mode as StrategyMode, text: String(text).trim() };
}

const rate = () => z.number().min(0);

/** Measures each mode is judged on, by mode, for the hysteresis check. */
const QUIET_KEYS = ['trade_rate', 'quote_rate', 'spread_bps'] as const;
const UPPER_KEYS = ['trade_rate', 'quote_rate', 'vol'] as const;

/** The `strategy_mode` section. Flat keys, one environment variable each (`STRATEGY_MODE_MIN_DWELL_SEC`). */
export const StrategyModeSection = z
  .object({
    enabled: z.boolean().default(true).describe('Judge the market\'s activity; off keeps every symbol in normal mode (the risk rules of normal apply throughout).'),
    initial: z.enum(STRATEGY_MODES).default('normal').describe('Mode before the first full window has been seen: normal, since no evidence says otherwise.'),
    window_sec: z
      .number()
      .int()
      .min(2)
      .max(3600)
      .default(30)
      .describe('Seconds of events each measure is taken over: 30 s holds about a thousand trades and five thousand quotes on BTCUSDT (measured 27–163 trades/s), enough for stable rates, and still sees a burst within half a minute.'),
    step_sec: z
      .number()
      .int()
      .min(1)
      .max(60)
      .default(1)
      .describe('Seconds between evaluations, and the sampling step of the mid for the window\'s realised volatility: per-second returns are the finest step at which Binance mids are not mostly unchanged.'),
    min_dwell_sec: z
      .number()
      .min(0)
      .default(60)
      .describe('Least time between two mode changes: twice the window, so each mode rests on a fresh window of its own, and the mode holds for the minutes a position is kept; schedule windows wait for it too.'),
    log_size: z.number().int().min(1).default(256).describe('Mode changes kept in the in-memory log: a day at one change every few minutes.'),
    quiet_enter_trade_rate: rate()
      .default(5)
      .describe('Enter quiet below this many trades a second: BTCUSDT\'s three quietest minutes recorded (18 July 2024, 23:57 UTC) ran at 3–9/s, against 27–165/s in a busy hour; flow signals on a handful of prints are noise.'),
    quiet_exit_trade_rate: rate()
      .default(10)
      .describe('Leave quiet only at or above this trade rate (with the other quiet measures back too): twice the entry rate, above the 18 July minutes\' busiest 30 s (9.3/s), so a quiet spell is not left on one lively half-minute.'),
    quiet_enter_quote_rate: rate()
      .default(20)
      .describe('Enter quiet below this many best bid/ask updates a second: even BTCUSDT\'s quiet July minutes ran at 28–56/s and the busy hour at 124/s and up; fewer means a still book or a stalled feed.'),
    quiet_exit_quote_rate: rate().default(40).describe('Leave quiet only at or above this quote rate (with the other quiet measures back too).'),
    quiet_enter_spread_bps: rate()
      .default(1)
      .describe('Enter quiet when the mean quoted spread over the window exceeds this many bps: 60 ticks on BTCUSDT, 27 on ETHUSDT, whose window means stayed below 0.08 bps; a book that thin costs more than a flow edge pays.'),
    quiet_exit_spread_bps: rate().default(0.5).describe('Leave quiet only at or below this mean spread (with the other quiet measures back too).'),
    active_enter_trade_rate: rate()
      .default(80)
      .describe('Enter active at or above this trade rate: above the 75th percentile of BTCUSDT\'s busy hour (45/s median) and above anything on ETHUSDT (76/s max), so it marks a burst, not a busy day.'),
    active_exit_trade_rate: rate().default(50).describe('Leave active only below this trade rate (with volatility and quote rate below their exits too): near the busy hour\'s median, so a burst must really end.'),
    active_enter_quote_rate: rate()
      .default(400)
      .describe('Enter active at or above this quote rate: beyond the busiest 30 s recorded (302/s, BTCUSDT).'),
    active_exit_quote_rate: rate().default(250).describe('Leave active only below this quote rate (with the other active measures below their exits too).'),
    active_enter_vol: rate()
      .default(1)
      .describe('Enter active at or above this annualised realised volatility of 1 s mid returns over the window: 100%, the 75th percentile of BTCUSDT\'s busy hour, about twice its 2024 daily-close volatility.'),
    active_exit_vol: rate().default(0.7).describe('Leave active only below this annualised volatility (with the other active measures below their exits too).'),
    aggressive_enter_trade_rate: rate()
      .default(250)
      .describe('Enter aggressive at or above this trade rate: half again above the busiest 30 s recorded (163/s, BTCUSDT), the pace of a liquidation cascade.'),
    aggressive_exit_trade_rate: rate().default(150).describe('Leave aggressive only below this trade rate (with the other aggressive measures below their exits too).'),
    aggressive_enter_quote_rate: rate().default(800).describe('Enter aggressive at or above this quote rate: twice the active entry.'),
    aggressive_exit_quote_rate: rate().default(500).describe('Leave aggressive only below this quote rate (with the other aggressive measures below their exits too).'),
    aggressive_enter_vol: rate()
      .default(2.5)
      .describe('Enter aggressive at or above this annualised volatility: 250%, over twice the highest 30 s value recorded (1.16), a market moving a few tenths of a percent a minute.'),
    aggressive_exit_vol: rate().default(1.5).describe('Leave aggressive only below this annualised volatility (with the other aggressive measures below their exits too).'),
    schedule: z
      .array(z.string().refine((s) => parseScheduleWindow(s) !== null, { message: `expected ${WINDOW_HELP}` }))
      .default([])
      .describe(
        "UTC windows that force a mode, or cap or floor it, whatever the activity: e.g. '23:58-00:02 cap normal' around each funding time (00:00, 08:00, 16:00 UTC on USD-M), when funding-driven flow is no signal. None by default: funding behaviour differs by symbol and period.",
      ),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    // hysteresis must open the right way: leaving a mode needs more than entering it took
    for (const k of QUIET_KEYS) {
      const enter = cfg[`quiet_enter_${k}`];
      const exit = cfg[`quiet_exit_${k}`];
      if (enter === 0 || exit === 0) continue;
      const ok = k === 'spread_bps' ? exit <= enter : exit >= enter;
      if (!ok) ctx.addIssue({ code: 'custom', path: [`quiet_exit_${k}`], message: `expected ${k === 'spread_bps' ? '≤' : '≥'} quiet_enter_${k} (${enter}), so quiet does not flap` });
    }
    for (const m of ['active', 'aggressive'] as const) {
      for (const k of UPPER_KEYS) {
        const enter = cfg[`${m}_enter_${k}`];
        const exit = cfg[`${m}_exit_${k}`];
        if (enter === 0 || exit === 0) continue;
        if (exit > enter) ctx.addIssue({ code: 'custom', path: [`${m}_exit_${k}`], message: `expected ≤ ${m}_enter_${k} (${enter}), so ${m} does not flap` });
      }
    }
  });

/** A resolved `strategy_mode` section. */
export type StrategyModeConfig = z.infer<typeof StrategyModeSection>;
/** A `strategy_mode` section as given: any key may be left out. */
export type StrategyModeConfigInput = z.input<typeof StrategyModeSection>;
