/**
 * Rolling mean, standard deviation and z-score over a window of events or of time, each with a
 * streaming face (a class) and a columnar face (a function over a `Float64Array`), both driving
 * the one per-step kernel of `rolling-moments.ts`, so the two agree exactly.
 *
 * Conventions, shared by every rolling statistic here:
 * - A value is `null` (streaming) or `NaN` (columnar) until the window holds `minPeriods`
 *   points; see {@link RollingOptions} for the defaults.
 * - A non-finite input is skipped: it does not enter the window, its own output is `null`/`NaN`,
 *   and it is counted in the state's `skipped`.
 * - Time windows need a timestamp (ms) per input; timestamps that go back are clamped to the
 *   latest one (see `rolling-window.ts`).
 * - The standard deviation is the sample one (ddof 1) unless `ddof: 0` is asked for.
 * - The z-score scores x against the window *before* x unless `reference: 'trailing'`.
 *
 * A columnar call takes an optional state and carries it: calling it over consecutive chunks
 * with the same state gives the same outputs as one call over the whole series.
 *
 * @example
 * const z = rollingZScore(new Float64Array([1, 2, 3, 4, 10]), { window: { events: 4 } });
 * // z[4] = (10 − 2.5) / 1.2909944… ≈ 5.809 (scored against 1, 2, 3, 4); z[0..3] are NaN
 */
import { UserInputError } from '../core/errors.js';
import type { StreamingCalculator } from './calculator.js';
import { KERNEL_BLOCK } from './kernel-block.js';
import {
  momentsRun,
  RollingMomentsState,
  type MomentsKind,
  type RollingStdOptions,
  type RollingZScoreOptions,
} from './rolling-moments.js';
import type { RollingOptions } from './rolling-window.js';

export type { RollingOptions, WindowSpec } from './rolling-window.js';
export { RollingMomentsState, type RollingStdOptions, type RollingZScoreOptions } from './rolling-moments.js';

/** Streaming face shared by the three moment statistics. */
abstract class MomentsCalculator implements StreamingCalculator<number, number> {
  /** The kernel state; pass it to the matching columnar function to continue from here. */
  readonly state: RollingMomentsState;
  private last = NaN;
  // one-value columns: the streaming face runs the columnar kernel over a single input
  private readonly x1 = new Float64Array(1);
  private readonly t1 = new Float64Array(1);
  private readonly o1 = new Float64Array(1);

  protected constructor(kind: MomentsKind, options: RollingZScoreOptions) {
    this.state = new RollingMomentsState(kind, options);
  }

  /** Feed one value; `ts` (ms) is required for time windows. Returns the statistic, `null` while warming up. */
  update(x: number, ts: number = NaN): number | null {
    this.x1[0] = x;
    this.t1[0] = ts;
    momentsRun(this.state, this.x1, this.t1, this.o1, 0, 1);
    const v = this.o1[0]!;
    this.last = v;
    return v === v ? v : null;
  }

  get value(): number | null {
    return this.last === this.last ? this.last : null;
  }

  get isReady(): boolean {
    return this.last === this.last;
  }

  reset(): void {
    this.state.reset();
    this.last = NaN;
  }
}

/**
 * Rolling arithmetic mean.
 * @example
 * const m = new RollingMean({ window: { events: 3 } });
 * [1, 2, 3, 4].map((x) => m.update(x)); // [null, null, 2, 3]
 */
export class RollingMean extends MomentsCalculator {
  constructor(options: RollingOptions) {
    super('mean', options);
  }
}

/**
 * Rolling standard deviation (sample, ddof 1, by default).
 * @example
 * const s = new RollingStd({ window: { events: 3 } });
 * [1, 2, 4].map((x) => s.update(x)); // [null, null, 1.5275…] (√(7/3))
 */
export class RollingStd extends MomentsCalculator {
  constructor(options: RollingStdOptions) {
    super('std', options);
  }
}

/**
 * Rolling z-score `(x − mean) / std`, against the window before x by default.
 * A window with zero dispersion gives 0.
 * @see ./rolling-moments.ts for why `'prior'` is the default reference.
 */
export class RollingZScore extends MomentsCalculator {
  constructor(options: RollingZScoreOptions) {
    super('zscore', options);
  }
}

function prepare(kind: MomentsKind, values: Float64Array, options: RollingZScoreOptions, out: Float64Array | undefined, ts: Float64Array | undefined, state: RollingMomentsState | undefined) {
  const st = state ?? new RollingMomentsState(kind, options);
  if (state) state.check(kind, options);
  const n = values.length;
  const o = out ?? new Float64Array(n);
  if (o.length < n) throw new UserInputError(`out: holds ${o.length} values, the input ${n}`, 'E_OPTION');
  if (st.timed && !ts) throw new UserInputError('ts: a time window needs a timestamp column', 'E_OPTION');
  if (ts && ts.length < n) throw new UserInputError(`ts: holds ${ts.length} values, the input ${n}`, 'E_OPTION');
  return { st, o, n };
}

/**
 * Rolling mean of a column into `out` (`NaN` while warming up), continuing `state` when given.
 * @example rollingMean(new Float64Array([1, 2, 3, 4]), { window: { events: 3 } }) // [NaN, NaN, 2, 3]
 */
export function rollingMean(values: Float64Array, options: RollingOptions, out?: Float64Array, ts?: Float64Array, state?: RollingMomentsState): Float64Array {
  const { st, o, n } = prepare('mean', values, options, out, ts, state);
  for (let a = 0; a < n; a += KERNEL_BLOCK) momentsRun(st, values, ts, o, a, Math.min(n, a + KERNEL_BLOCK));
  return o;
}

/** Rolling standard deviation of a column into `out` (`NaN` while warming up), continuing `state` when given. */
export function rollingStd(values: Float64Array, options: RollingStdOptions, out?: Float64Array, ts?: Float64Array, state?: RollingMomentsState): Float64Array {
  const { st, o, n } = prepare('std', values, options, out, ts, state);
  for (let a = 0; a < n; a += KERNEL_BLOCK) momentsRun(st, values, ts, o, a, Math.min(n, a + KERNEL_BLOCK));
  return o;
}

/** Rolling z-score of a column into `out` (`NaN` while warming up), continuing `state` when given. */
export function rollingZScore(values: Float64Array, options: RollingZScoreOptions, out?: Float64Array, ts?: Float64Array, state?: RollingMomentsState): Float64Array {
  const { st, o, n } = prepare('zscore', values, options, out, ts, state);
  for (let a = 0; a < n; a += KERNEL_BLOCK) momentsRun(st, values, ts, o, a, Math.min(n, a + KERNEL_BLOCK));
  return o;
}

export {
  MAD_NORMAL_SCALE,
  RollingMad,
  RollingMedian,
  RollingRobustState,
  RollingRobustZScore,
  rollingMad,
  rollingMedian,
  rollingRobustZScore,
  type RollingRobustOptions,
} from './rolling-robust.js';
