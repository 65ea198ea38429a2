/**
 * The `features` section of the configuration: OFI, CVD, fusion, divergence and bars. Its
 * defaults are the calculators' own (imported, never copied), so the configuration and a
 * calculator built without one agree.
 */
import * as z from 'zod';
import { DURATION_HELP, formatDuration, formatSpan, parseDuration, parseSpan, SPAN_HELP } from '../core/spans.js';
import { resolveFusionOptions } from './fusion-options.js';
import { DIVERGENCE_TYPES } from './divergence.js';
import { resolveOfiSum } from './ofi-aggregate.js';

/**
 * The calculators' own defaults, taken from them (not copied): the fusion's resolved options with
 * nothing given, and best-level OFI's sum options. One place holds each number.
 */
const FUSION = resolveFusionOptions();
const FUSION_DIVERGENCE = FUSION.divergence ?? resolveFusionOptions({ divergence: {} }).divergence!;
const OFI_SUM = resolveOfiSum({});

/** Text parsed by `core/spans.ts` (`1s`, `500ev`), checked here so a bad value is refused with its field. */
const spanText = () => z.string().refine((s) => parseSpan(s) !== null, { message: `expected ${SPAN_HELP}` });
const durationText = (allowZero = false) => z.string().refine((s) => parseDuration(s, allowZero) !== null, { message: `expected ${DURATION_HELP}${allowZero ? ' (0s for none)' : ''}` });
const CVD_RESET_RE = /^(none|day|sessions:\d{1,2}:\d{2}(,\d{1,2}:\d{2})*)$/;

/**
 * The feature set (`ofi-backtest features`, `impact`): OFI, CVD, fusion, divergence, bars.
 * Flat keys, so each is one environment variable (`FEATURES_BAR=1s`). Spans are text: `100ms`,
 * `1s`, `1m` or an event count `500ev`.
 */
export const FeaturesSection = z
  .object({
    bar: z
      .string()
      .refine((s) => s === 'none' || parseSpan(s) !== null, { message: `expected none or ${SPAN_HELP}` })
      .default('none')
      .describe('Bar of the feature rows: none gives one row per quote or trade (every update, as a live signal sees it); a time bar (1s) or an event bar (500ev) samples them onto a grid for research and backtests.'),
    empty_bars: z
      .enum(['skip', 'emit'])
      .default('skip')
      .describe('Time bars with no event: skip them (a quiet second is not an observation), or emit them with the mid carried and zero flow when a regular grid matters more.'),
    ofi_update_ids: z
      .enum(['drop-stale', 'keep'])
      .default(FUSION.updateIds)
      .describe("Binance bookTicker ids repeat and arrive out of order: drop-stale skips an update whose id is not above the last one used (it carries an older book); keep uses every update (sources without ids, like LOBSTER, are never stale)."),
    ofi_normalize: z
      .boolean()
      .default(OFI_SUM.normalize)
      .describe('Add ofi_norm, OFI divided by the average best-level depth over the same updates: Cont, Kukanov & Stoikov (2014) find impact inversely proportional to depth, so normalised OFI compares across instruments and times of day.'),
    ofi_levels: z
      .number()
      .int()
      .min(1)
      .max(50)
      .default(1)
      .describe('Levels of OFI in the price-impact regression (impact --levels): 1 is the best-level OFI of Cont, Kukanov & Stoikov on the quote stream; k > 1 regresses on levels 1..k of the book (Xu, Gould & Howison 2019), which needs depth data.'),
    cvd_reset: z
      .string()
      .refine((s) => CVD_RESET_RE.test(s.trim()) || parseSpan(s) !== null, { message: 'expected none, day, sessions:HH:MM[,HH:MM…] (UTC) or a rolling span (5m, 1000ev)' })
      .default('none')
      .describe('When the cvd column starts again from zero: none (one running sum over the input), day (UTC midnight), sessions:00:00,08:00,16:00 (UTC session starts), or a rolling window (5m, 1000ev).'),
    prints: z
      .enum(['market', 'all'])
      .default(FUSION.prints)
      .describe('Trades that count as flow: market prints only, since Binance insurance-fund and ADL prints are liquidations, not voluntary aggression; all counts every print.'),
    flow_window: spanText()
      .default(formatSpan(FUSION.flowWindow))
      .describe('Horizon over which OFI and CVD are summed before scoring: one horizon for both keeps them comparable; a second is the scale at which OFI explains price moves in the data here.'),
    zscore_window: spanText()
      .default(formatSpan(FUSION.zscore.window))
      .describe('Window of the rolling z-scores of the two flows: long enough to hold many flow values, short enough to follow the change of activity through the day.'),
    zscore_min_periods: z
      .number()
      .int()
      .min(2)
      .default(FUSION.zscore.minPeriods)
      .describe('Points a z-score window needs before it gives a value: below about 30 the standard deviation is too noisy to divide by.'),
    zscore_robust: z
      .boolean()
      .default(FUSION.zscore.robust)
      .describe('Score by median and MAD instead of mean and standard deviation, for flows whose outliers (liquidation cascades) would swamp the standard deviation.'),
    weight_ofi: z
      .number()
      .default(FUSION.weights.ofi)
      .describe('Weight of z_ofi in the fusion score: book flow explains short-horizon price changes better than trade flow (Cont, Kukanov & Stoikov 2014), so it weighs more; the weights sum to 1 to keep the score in z units.'),
    weight_cvd: z.number().default(FUSION.weights.cvd).describe('Weight of z_cvd in the fusion score (see weight_ofi).'),
    threshold: z
      .number()
      .min(0)
      .default(FUSION.threshold)
      .describe('|score| above which the fused side is buy or sell rather than neutral: one standard deviation of the combined flow.'),
    divergence: z.boolean().default(FUSION.divergence !== null).describe('Detect price/flow divergence on confirmed swing points; off saves its cost when only the flows are wanted.'),
    divergence_flow: z
      .enum(['cvd', 'ofi'])
      .default(FUSION_DIVERGENCE.flow)
      .describe('Cumulative flow the price is compared with: CVD reads the aggression that moved price, cumulative OFI the book pressure.'),
    divergence_sample: durationText()
      .default(formatDuration(FUSION_DIVERGENCE.sampleMs))
      .describe('Sampling step of the price and flow series the swing points are found on: pivots on raw updates would be noise.'),
    divergence_ttl: durationText(true)
      .default(formatDuration(FUSION_DIVERGENCE.ttlMs))
      .describe('How long a detected divergence stays on the rows after it became known: a signal, not a permanent state.'),
    divergence_left: z
      .number()
      .int()
      .min(1)
      .default(FUSION_DIVERGENCE.left)
      .describe('Samples before a swing point that it must be at least as extreme as (the chart platforms\' pivot rule).'),
    divergence_right: z
      .number()
      .int()
      .min(1)
      .default(FUSION_DIVERGENCE.right)
      .describe('Samples after a swing point that must be less extreme: the confirmation delay, since a pivot is known only once they have passed.'),
    divergence_max_gap: z
      .number()
      .int()
      .min(1)
      .default(FUSION_DIVERGENCE.maxGap)
      .describe('Largest distance, in samples, between the two swing points compared: older pivots say nothing about the current move.'),
    divergence_types: z
      .array(z.enum(DIVERGENCE_TYPES as unknown as [string, ...string[]]))
      .min(1)
      .default([...FUSION_DIVERGENCE.types])
      .describe('Divergences to report: regular (reversal) and hidden (continuation), bearish and bullish.'),
  })
  .strict();

/** The resolved `features` section. */
export type FeaturesConfig = z.infer<typeof FeaturesSection>;
