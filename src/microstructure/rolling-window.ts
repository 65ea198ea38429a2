/**
 * What a rolling window is, shared by every rolling statistic: a count of events or a span of
 * time, a warm-up count, and the clock rule for timestamps that go back.
 *
 * **Event windows** (`{ events: N }`) hold the last N inputs. **Time windows** (`{ ms: T }`)
 * hold the inputs whose timestamp `t_i` satisfies `t − T < t_i ≤ t`, where `t` is the
 * timestamp of the newest input: right-closed, left-open, as pandas' `rolling('T')` does.
 *
 * **Timestamps that go back or repeat.** A time window runs on a monotone clock: an input whose
 * timestamp is earlier than the latest one seen (or is `NaN`) is stamped with the latest
 * timestamp instead, and counted in `clamped`. It enters the window as the newest point and
 * evicts nothing. Reordering would need a buffer and a delay; dropping would lose a value; the
 * clamp keeps every value, never moves the window backwards (so an evicted point never comes
 * back) and keeps each update O(1). Repeated timestamps need no rule: points with equal
 * timestamps enter and leave the window together.
 *
 * @see https://pandas.pydata.org/docs/reference/api/pandas.DataFrame.rolling.html (time windows, `closed='right'`)
 */
import { UserInputError } from '../core/errors.js';

/** A window counted in events or spanning a time in milliseconds. */
export type WindowSpec = { events: number } | { ms: number };

/** Options every rolling statistic takes. */
export interface RollingOptions {
  /** The window: `{ events: N }` or `{ ms: T }` (time windows need a timestamp per update). */
  window: WindowSpec;
  /**
   * Points the window must hold before the statistic has a value (`null` until then).
   * Default: N for an event window (a full window); for a time window 1 for a mean and 2 for
   * a dispersion (one point has none).
   */
  minPeriods?: number;
}

/** A checked window: `timed` tells the kind, `span` is N or T. */
export interface ResolvedWindow {
  timed: boolean;
  span: number;
  minPeriods: number;
}

/**
 * Check window options once, at construction, and name the field that is wrong.
 * `defaultTimedMin` is the warm-up of a time window when none is given; `floor` is the fewest
 * points the statistic can be computed from at all (warm-up is raised to it).
 */
export function resolveWindow(options: RollingOptions, defaultTimedMin: number, floor = 1): ResolvedWindow {
  const w = options?.window as Partial<{ events: number; ms: number }> | undefined;
  if (!w || typeof w !== 'object') throw new UserInputError('window: expected { events: N } or { ms: T }', 'E_OPTION');
  let timed: boolean;
  let span: number;
  if (w.events !== undefined && w.ms === undefined) {
    timed = false;
    span = w.events;
    if (!Number.isInteger(span) || span < 1) throw new UserInputError(`window.events: expected an integer ≥ 1, got ${String(span)}`, 'E_OPTION');
  } else if (w.ms !== undefined && w.events === undefined) {
    timed = true;
    span = w.ms;
    if (!(typeof span === 'number' && span > 0 && Number.isFinite(span))) throw new UserInputError(`window.ms: expected a finite number > 0, got ${String(span)}`, 'E_OPTION');
  } else {
    throw new UserInputError('window: expected exactly one of { events: N } or { ms: T }', 'E_OPTION');
  }
  let minPeriods = options.minPeriods ?? (timed ? defaultTimedMin : span);
  if (!Number.isInteger(minPeriods) || minPeriods < 1) throw new UserInputError(`minPeriods: expected an integer ≥ 1, got ${String(options.minPeriods)}`, 'E_OPTION');
  if (minPeriods < floor) minPeriods = floor;
  if (!timed && minPeriods > span) throw new UserInputError(`minPeriods: a window of ${span} events cannot hold the ${minPeriods} points this statistic needs, so no value would ever be ready`, 'E_OPTION');
  return { timed, span, minPeriods };
}

/** Capacity a time window's ring starts with; it doubles when a window holds more. */
export const TIMED_INITIAL_CAPACITY = 256;

/** Ring capacity for a window: exactly N for an event window (it never grows). */
export function initialCapacity(w: ResolvedWindow): number {
  return w.timed ? TIMED_INITIAL_CAPACITY : w.span;
}

/** Do two option objects describe the same window and warm-up (for a state handed back to a columnar call)? */
export function sameWindow(a: ResolvedWindow, b: ResolvedWindow): boolean {
  return a.timed === b.timed && a.span === b.span && a.minPeriods === b.minPeriods;
}

/** Values of a ring laid out oldest first in a new array twice as large (amortised: rings grow geometrically). */
export function unwrapGrow(ring: Float64Array, head: number, count: number): Float64Array {
  const next = new Float64Array(ring.length * 2);
  const firstPart = Math.min(count, ring.length - head);
  next.set(ring.subarray(head, head + firstPart), 0);
  if (firstPart < count) next.set(ring.subarray(0, count - firstPart), firstPart);
  return next;
}
