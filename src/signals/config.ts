/**
 * The `signal` section: how `CoreAlgorithm` turns fused features into typed signals — the
 * thresholds on the fusion score, the confirmation rules, the gates, the cooldown — and where
 * `ofi-backtest signals` writes them.
 *
 * The defaults were measured on the real Binance USD-M captures in
 * `../shared/data/binance-ws/usdm` with the default `features` section (one row per update;
 * `test/signals/real-data.test.ts` prints the numbers):
 *
 * | capture (UTC) | rows | |score| p90 · p95 · p99 | spread bps p99.9 · max | receive−exchange excess over its 60 s minimum, ms p99.9 · max |
 * |---|---|---|---|---|
 * | BTCUSDT 2024-08-08 23:54–00:00 | 87,402 | 1.52 · 2.06 · 3.22 | 2.12 · 3.94 | 43 · 53 |
 * | ETHUSDT 2024-08-08 23:54–00:00 | 68,068 | 1.40 · 1.87 · 2.79 | 1.72 · 2.17 | 45 · 57 |
 * | BTCUSDT 2024-07-18 23:57 – 07-19 00:05 | 62,961 | 1.67 · 2.20 · 3.06 | 0.31 · 1.17 | 40 · 118 |
 *
 * With these defaults (and the default `strategy_mode` section) the captures give 5.2 signals a
 * minute on BTCUSDT and 4.7 on ETHUSDT in August (30 and 27; 11 and 5 confirmed and ungated),
 * 4.3 on the July pair (34; 12): warm-up gates the first minute of each stream, the strategy
 * mode gates 14 signals in the quiet minutes before midnight on 18 July, low activity gates 11
 * rows there (no emitted signal), spread gates 16 BTCUSDT rows (no emitted signal), and lag and
 * staleness never fire.
 *
 * Keys are flat, so each is one environment variable (`SIGNAL_COOLDOWN_SEC`,
 * `SIGNAL_SINK_KIND`). The keys from `sink_kind` on say where signals go and how a watched
 * folder is read; they never change a signal, so the configuration hash leaves them out
 * ({@link SIGNAL_OUTPUT_KEYS}).
 */
import * as z from 'zod';

/** Kinds of signal sink (`--sink`): the same names as `openSignalSink` in `io/signal-sinks.ts`. */
export const SIGNAL_SINK_NAMES = ['jsonl', 'sqlite', 'dual', 'null'] as const;

/** What a divergence in force does to confirmation. */
export const DIVERGENCE_RULES = ['veto', 'confirm', 'ignore'] as const;
export type DivergenceRule = (typeof DIVERGENCE_RULES)[number];

/** Gating reasons, in the order a signal lists them. */
export const GATING_REASONS = ['spread', 'lag', 'stale', 'warmup', 'low_activity', 'mode'] as const;
export type GatingReason = (typeof GATING_REASONS)[number];

const nonNeg = () => z.number().min(0);
const score = () => z.number().positive().max(100);

/** The `signal` section. */
export const SignalSection = z
  .object({
    buy_threshold: score()
      .default(1.5)
      .describe('Fusion score (z units) at or above which a buy is signalled: the top decile of |score| on the captures (p90 1.4–1.7), half again the fusion side threshold of 1, so the flow is unusual, not merely positive.'),
    strong_buy_threshold: score()
      .default(2.5)
      .describe('Score at or above which the buy is strong: 1.2–2.7% of the captures\' rows lie beyond ±2.5 (|score| p95 1.9–2.2, p99 2.8–3.2); a strong signal is the rare one risk sizes fully.'),
    sell_threshold: score()
      .default(1.5)
      .describe('Score at or below minus this value signals a sell; set apart from buy_threshold for a market whose selling flow is noisier (liquidation prints), the same by default as the captures\' score is symmetric.'),
    strong_sell_threshold: score().default(2.5).describe('Score at or below minus this value signals a strong sell (see strong_buy_threshold).'),
    min_consistency: z
      .number()
      .min(0)
      .max(1)
      .default(0.3)
      .describe('Fusion consistency needed to confirm: 0 whenever z_ofi and z_cvd disagree in sign, so any value above 0 asks book flow and trade flow to agree; 0.3 also refuses one flow three times the other, which is one flow alone talking (median consistency when |score| > 1.5 was 0.43–0.62).'),
    agree_updates: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(5)
      .describe('Updates in a row (this one included) whose score has the signal\'s sign, to confirm: a single print can flip z_cvd for one row; five rows is about 20–40 ms at the captures\' 130–250 updates a second, so a confirmed signal has outlived a one-row spike.'),
    divergence_rule: z
      .enum(DIVERGENCE_RULES)
      .default('veto')
      .describe('A price/flow divergence in force against the signal (bearish for a buy, bullish for a sell) refuses confirmation (veto); confirm instead asks for one with the signal; ignore leaves divergence out. Veto: a reversal pattern against the flow is a reason for doubt, while asking for one would confirm few signals (divergences are rare events).'),
    divergence_min_strength: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('Least divergence strength (0–1, disagreement in units of each series\' range) that takes part in the divergence rule: 0, every detected divergence counts.'),
    max_spread_bps: nonNeg()
      .default(2)
      .describe('Gate a signal while the quoted spread is wider than this many bps of the mid (0: no gate): over 100 ticks on BTCUSDT (a tick is 0.016 bps) and 50 on ETHUSDT, about the 99.9th percentile of the captures\' per-update spread (2.1 bps BTCUSDT, 1.7 ETHUSDT; the widest 3.9); the same bound as risk.max_spread_bps, a book that thin eats a flow edge.'),
    max_lag_ms: nonNeg()
      .default(250)
      .describe('Gate a signal while the data arrives this many ms later than usual (0: no gate). Lag is the receive time minus the exchange time, less its least value over lag_baseline_sec: a recorder\'s clock is not the exchange\'s (the captures\' ran 1.27–1.52 s behind Binance), so only the excess over the baseline is delay. 250 ms is a quarter of the 1 s flow window and twice the largest excess recorded (118 ms).'),
    lag_baseline_sec: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(60)
      .describe('Seconds of receive−exchange times whose least value is the clock offset lag is measured from: a minute follows a clock step quickly, yet a backlog must last a minute before it counts as the new normal.'),
    stale_ms: nonNeg()
      .default(3000)
      .describe('Gate a signal when the symbol\'s last quote is older than this many ms at the signal (0: no gate): the longest gap between quotes on the captures was 0.75 s (August) and 2.4 s (quiet 18 July), so three seconds without a quote means a stalled feed, not a quiet book.'),
    warmup_sec: nonNeg()
      .default(60)
      .describe('Gate signals for this many seconds of exchange time after a symbol\'s first update (and after its features fall back to not ready): the z-scores give values after 30 points (2 s on the August captures, 12 s on quiet 18 July), but their mean and deviation rest on a partial window until a whole zscore_window (60 s) has passed.'),
    activity_window_sec: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(10)
      .describe('Seconds over which the trade and quote rates of the low-activity gate are counted: ten flow windows, so a single quiet second does not gate.'),
    min_trade_rate: nonNeg()
      .default(3)
      .describe('Gate signals while the symbol prints fewer than this many trades a second over activity_window_sec (0: no gate): a 1 s flow window then holds one or two prints, and z_cvd swings on each. Over 10 s windows the August hour never fell below 7.6 trades/s; the lull before midnight on 18 July fell to 1.7/s and stayed below 3/s for 45 s.'),
    min_quote_rate: nonNeg()
      .default(10)
      .describe('Gate signals while the best bid/ask changes fewer than this many times a second over activity_window_sec (0: no gate): the lowest 10 s rate recorded was 17.9/s (18 July), 70.8/s in August; fewer is a frozen book or a stalled feed.'),
    blocked_modes: z
      .array(z.enum(['quiet', 'normal', 'active', 'aggressive']))
      .default(['quiet'])
      .describe('Strategy modes (from the strategy_mode section) in which signals are gated: quiet, where spread and impact eat a flow edge.'),
    cooldown_sec: nonNeg()
      .default(10)
      .describe('A standing condition is signalled again at most once per this many seconds: a signal is emitted when a symbol enters a direction, turns to the other, strengthens (normal to strong, or blocked/unconfirmed to actionable), or is still in force a cooldown after the last one. Ten seconds is ten flow windows: a new reading of the flow, not the same one.'),
    emit_neutral: z
      .boolean()
      .default(false)
      .describe('Emit a neutral signal when the score falls back inside the thresholds after a signal: off, since a strategy exits on opposite signals and time stops and a neutral per episode would double the output.'),
    sink_kind: z
      .enum(SIGNAL_SINK_NAMES)
      .default('jsonl')
      .describe('Where `ofi-backtest signals` writes: jsonl (signals_{run_id}.jsonl, the file every tool reads), sqlite (signals_{run_id}.db, queryable while written), dual (both, in step), null (nothing, to time a run).'),
    out_dir: z.string().min(1).default('signals').describe('Folder the signal files are written to (created if missing).'),
    watch_poll_ms: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(250)
      .describe('How often a watched folder is looked at, ms: a quarter second keeps a live run within a flow window of the files.'),
    watch_stable_ms: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(2000)
      .describe('A watched file that cannot be read line by line (gzip, Parquet, a dataset) is read once its size has not changed for this long, ms: our writers publish by rename (a file is whole when it appears), others only stop writing; two seconds outlasts a writer\'s flush interval.'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.strong_buy_threshold < c.buy_threshold) ctx.addIssue({ code: 'custom', path: ['strong_buy_threshold'], message: `expected ≥ buy_threshold (${c.buy_threshold})` });
    if (c.strong_sell_threshold < c.sell_threshold) ctx.addIssue({ code: 'custom', path: ['strong_sell_threshold'], message: `expected ≥ sell_threshold (${c.sell_threshold})` });
  });

/** A resolved `signal` section. */
export type SignalConfig = z.infer<typeof SignalSection>;
/** A `signal` section as a caller may give it: any subset. */
export type SignalConfigInput = z.input<typeof SignalSection>;

/** Keys that say where signals go and how files are watched: never part of a signal, so not of the configuration hash. */
export const SIGNAL_OUTPUT_KEYS = ['sink_kind', 'out_dir', 'watch_poll_ms', 'watch_stable_ms'] as const satisfies readonly (keyof SignalConfig)[];

/** The part of a resolved section that decides the signals (the output keys removed). */
export function signalRules(c: SignalConfig): Omit<SignalConfig, (typeof SIGNAL_OUTPUT_KEYS)[number]> {
  const { sink_kind: _k, out_dir: _o, watch_poll_ms: _p, watch_stable_ms: _s, ...rules } = c;
  return rules;
}
