/**
 * Robust rolling statistics: median, MAD and the robust z-score `(x − median) / (1.4826 · MAD)`,
 * for series whose outliers would drag a mean and blow up a standard deviation (order-flow
 * bursts, liquidations). Same window, warm-up, clock and skip rules as the moment statistics
 * (see `rolling.ts` and `rolling-window.ts`).
 *
 * Each update is O(log n) for the median and O(log² n) for the MAD: the window's values sit in
 * an order-statistic tree over the ring buffer's slots (`order-statistic.ts`), so nothing is
 * sorted and nothing is allocated per update.
 *
 * The factor 1.4826 = 1/Φ⁻¹(3/4) makes the MAD a consistent estimator of σ for normal data, so
 * a robust z-score reads on the same scale as a classical one. A window where more than half the
 * values are equal has MAD 0: its robust z-score is 0, like a constant window's classical one
 * (order flow with many zero updates can do this; use the classical z-score there).
 *
 * @see Rousseeuw & Croux (1993), "Alternatives to the median absolute deviation", JASA 88.
 * @see Iglewicz & Hoaglin (1993), "How to detect and handle outliers" (the robust z-score).
 */
import { UserInputError } from '../core/errors.js';
import type { StreamingCalculator } from './calculator.js';
import { OrderStatisticTree } from './order-statistic.js';
import { initialCapacity, resolveWindow, sameWindow, unwrapGrow, type ResolvedWindow, type RollingOptions } from './rolling-window.js';

/** The MAD scale that estimates σ for normal data: 1/Φ⁻¹(0.75). */
export const MAD_NORMAL_SCALE = 1.4826;

/** Which robust statistic a state serves. */
export type RobustKind = 'median' | 'mad' | 'robustZ';

/** Options of the rolling MAD and robust z-score. */
export interface RollingRobustOptions extends RollingOptions {
  /** Factor the MAD is multiplied by (default 1.4826; 1 gives the raw MAD). */
  scale?: number;
  /** Score x against the window before it (`'prior'`, default) or including it (`'trailing'`). */
  reference?: 'prior' | 'trailing';
}

interface RobustConfig {
  window: ResolvedWindow;
  scale: number;
  prior: boolean;
}

function resolveRobust(kind: RobustKind, options: RollingRobustOptions): RobustConfig {
  const scale = options.scale ?? MAD_NORMAL_SCALE;
  if (!(scale > 0 && Number.isFinite(scale))) throw new UserInputError(`scale: expected a finite number > 0, got ${String(options.scale)}`, 'E_OPTION');
  const reference = options.reference ?? 'prior';
  if (reference !== 'prior' && reference !== 'trailing') throw new UserInputError(`reference: expected 'prior' or 'trailing', got ${String(reference)}`, 'E_OPTION');
  return { window: resolveWindow(options, kind === 'median' ? 1 : 2), scale, prior: kind === 'robustZ' && reference === 'prior' };
}

/** State of one robust rolling window. Create one per series; pass it back to continue. */
export class RollingRobustState {
  readonly kind: RobustKind;
  readonly window: ResolvedWindow;
  readonly timed: boolean;
  readonly span: number;
  readonly minPeriods: number;
  readonly scale: number;
  readonly prior: boolean;
  values: Float64Array;
  times: Float64Array;
  readonly tree: OrderStatisticTree;
  head = 0;
  count = 0;
  lastTs = -Infinity;
  /** Timestamps that went back (or were NaN) and were clamped to the latest one. */
  clamped = 0;
  /** Non-finite inputs skipped. */
  skipped = 0;

  constructor(kind: RobustKind, options: RollingRobustOptions) {
    const c = resolveRobust(kind, options);
    this.kind = kind;
    this.window = c.window;
    this.timed = c.window.timed;
    this.span = c.window.span;
    this.minPeriods = c.window.minPeriods;
    this.scale = c.scale;
    this.prior = c.prior;
    const cap = initialCapacity(c.window);
    this.values = new Float64Array(cap);
    this.times = new Float64Array(this.timed ? cap : 0);
    this.tree = new OrderStatisticTree(cap);
  }

  /** Empty the window and counters, keeping the buffers. */
  reset(): void {
    this.head = 0;
    this.count = 0;
    this.lastTs = -Infinity;
    this.tree.clear();
    this.clamped = 0;
    this.skipped = 0;
  }

  /** Throw unless this state was made for the same statistic and options. */
  check(kind: RobustKind, options: RollingRobustOptions): void {
    const c = resolveRobust(kind, options);
    if (kind !== this.kind || c.scale !== this.scale || c.prior !== this.prior || !sameWindow(c.window, this.window)) {
      throw new UserInputError('state: was created for other options than this call', 'E_OPTION');
    }
  }
}

function grow(st: RollingRobustState): void {
  st.values = unwrapGrow(st.values, st.head, st.count);
  st.times = unwrapGrow(st.times, st.head, st.count);
  st.head = 0;
  st.tree.resize(st.values.length);
  for (let i = 0; i < st.count; i++) st.tree.insert(i, st.values[i]!);
}

function removeOldest(st: RollingRobustState): void {
  st.tree.remove(st.head);
  if (++st.head === st.values.length) st.head = 0;
  st.count--;
}

function advance(st: RollingRobustState, t: number): number {
  if (t >= st.lastTs) st.lastTs = t;
  else {
    st.clamped++;
    t = st.lastTs;
  }
  const edge = t - st.span;
  while (st.count > 0 && st.times[st.head]! <= edge) removeOldest(st);
  return t;
}

function admit(st: RollingRobustState, x: number, t: number): void {
  if (!st.timed && st.count === st.span) removeOldest(st);
  if (st.count === st.values.length) grow(st);
  let slot = st.head + st.count;
  if (slot >= st.values.length) slot -= st.values.length;
  st.values[slot] = x;
  if (st.timed) st.times[slot] = t;
  st.tree.insert(slot, x);
  st.count++;
}

function robustZOf(st: RollingRobustState, x: number): number {
  const med = st.tree.median();
  const mad = st.scale * st.tree.medianAbsDeviation(med);
  return mad > 0 ? (x - med) / mad : 0;
}

/** One step of a rolling median; `NaN` stands for "no value". */
export function medianStep(st: RollingRobustState, x: number, t: number): number {
  if (x - x !== 0) {
    st.skipped++;
    return NaN;
  }
  if (st.timed) t = advance(st, t);
  admit(st, x, t);
  return st.count >= st.minPeriods ? st.tree.median() : NaN;
}

/** One step of a rolling scaled MAD; `NaN` stands for "no value". */
export function madStep(st: RollingRobustState, x: number, t: number): number {
  if (x - x !== 0) {
    st.skipped++;
    return NaN;
  }
  if (st.timed) t = advance(st, t);
  admit(st, x, t);
  return st.count >= st.minPeriods ? st.scale * st.tree.medianAbsDeviation(st.tree.median()) : NaN;
}

/** One step of a rolling robust z-score; `NaN` stands for "no value". */
export function robustZStep(st: RollingRobustState, x: number, t: number): number {
  if (x - x !== 0) {
    st.skipped++;
    return NaN;
  }
  if (st.timed) t = advance(st, t);
  let z = NaN;
  if (st.prior && st.count >= st.minPeriods) z = robustZOf(st, x);
  admit(st, x, t);
  if (!st.prior && st.count >= st.minPeriods) z = robustZOf(st, x);
  return z;
}

type Step = (st: RollingRobustState, x: number, t: number) => number;

abstract class RobustCalculator implements StreamingCalculator<number, number> {
  /** The kernel state; pass it to the matching columnar function to continue from here. */
  readonly state: RollingRobustState;
  private last = NaN;

  protected constructor(
    kind: RobustKind,
    options: RollingRobustOptions,
    private readonly step: Step,
  ) {
    this.state = new RollingRobustState(kind, options);
  }

  /** Feed one value; `ts` (ms) is required for time windows. Returns the statistic, `null` while warming up. */
  update(x: number, ts: number = NaN): number | null {
    const v = this.step(this.state, x, ts);
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
 * Rolling median.
 * @example
 * const m = new RollingMedian({ window: { events: 3 } });
 * [5, 1, 9, 2].map((x) => m.update(x)); // [null, null, 5, 2]
 */
export class RollingMedian extends RobustCalculator {
  constructor(options: RollingOptions) {
    super('median', options, medianStep);
  }
}

/**
 * Rolling MAD, scaled by 1.4826 unless `scale` says otherwise.
 * @example
 * const m = new RollingMad({ window: { events: 3 }, scale: 1 });
 * [1, 2, 10].map((x) => m.update(x)); // [null, null, 1] (deviations from 2: 1, 0, 8)
 */
export class RollingMad extends RobustCalculator {
  constructor(options: RollingRobustOptions) {
    super('mad', options, madStep);
  }
}

/** Rolling robust z-score `(x − median) / (1.4826 · MAD)`, against the window before x by default. */
export class RollingRobustZScore extends RobustCalculator {
  constructor(options: RollingRobustOptions) {
    super('robustZ', options, robustZStep);
  }
}

function prepare(kind: RobustKind, values: Float64Array, options: RollingRobustOptions, out: Float64Array | undefined, ts: Float64Array | undefined, state: RollingRobustState | undefined) {
  const st = state ?? new RollingRobustState(kind, options);
  if (state) state.check(kind, options);
  const n = values.length;
  const o = out ?? new Float64Array(n);
  if (o.length < n) throw new UserInputError(`out: holds ${o.length} values, the input ${n}`, 'E_OPTION');
  if (st.timed && !ts) throw new UserInputError('ts: a time window needs a timestamp column', 'E_OPTION');
  if (ts && ts.length < n) throw new UserInputError(`ts: holds ${ts.length} values, the input ${n}`, 'E_OPTION');
  return { st, o, n };
}

/** Rolling median of a column into `out` (`NaN` while warming up), continuing `state` when given. */
export function rollingMedian(values: Float64Array, options: RollingOptions, out?: Float64Array, ts?: Float64Array, state?: RollingRobustState): Float64Array {
  const { st, o, n } = prepare('median', values, options, out, ts, state);
  for (let i = 0; i < n; i++) o[i] = medianStep(st, values[i]!, ts ? ts[i]! : NaN);
  return o;
}

/** Rolling scaled MAD of a column into `out`, continuing `state` when given. */
export function rollingMad(values: Float64Array, options: RollingRobustOptions, out?: Float64Array, ts?: Float64Array, state?: RollingRobustState): Float64Array {
  const { st, o, n } = prepare('mad', values, options, out, ts, state);
  for (let i = 0; i < n; i++) o[i] = madStep(st, values[i]!, ts ? ts[i]! : NaN);
  return o;
}

/** Rolling robust z-score of a column into `out`, continuing `state` when given. */
export function rollingRobustZScore(values: Float64Array, options: RollingRobustOptions, out?: Float64Array, ts?: Float64Array, state?: RollingRobustState): Float64Array {
  const { st, o, n } = prepare('robustZ', values, options, out, ts, state);
  for (let i = 0; i < n; i++) o[i] = robustZStep(st, values[i]!, ts ? ts[i]! : NaN);
  return o;
}
