/**
 * Divergence between price and order flow at confirmed swing points. When price makes a higher
 * high but cumulative flow (OFI or CVD) makes a lower high, the move is not backed by aggression
 * (regular bearish); the mirror cases give regular bullish, and the "hidden" pair reads a
 * continuation: price holds a higher low while flow makes a lower low (hidden bullish), price a
 * lower high while flow makes a higher high (hidden bearish).
 *
 * Swing points are pivots in the price series, the way chart platforms define them: point `i` is
 * a pivot high when its price is at least every one of the `left` points before it and strictly
 * above every one of the `right` points after it (so a flat top yields one pivot, its last point);
 * a pivot low mirrors that. A pivot is therefore known only at point `i + right`, and every
 * detection says when it became known: nothing here looks ahead, and appending points never
 * changes an earlier output.
 *
 * Strength is the disagreement in units of each series' own range between the two pivots:
 * `½·(|Δprice| / range(price) + |Δflow| / range(flow))` over the points from the first pivot to
 * the second, so it lies in [0, 1] and needs no scale.
 *
 * @see TradingView Pine `ta.pivothigh(left, right)` / `ta.pivotlow`, and its "Divergence Indicator" (regular and hidden, pivots compared with the previous pivot): https://www.tradingview.com/pine-script-reference/v5/#fun_ta.pivothigh
 * @see Murphy, "Technical Analysis of the Financial Markets" (1999), ch. 10: divergence between price and an oscillator.
 */
import { UserInputError } from '../core/errors.js';
import type { StreamingCalculator } from './calculator.js';

/** The four kinds of divergence. */
export type DivergenceType = 'regular-bearish' | 'regular-bullish' | 'hidden-bearish' | 'hidden-bullish';

/** All four kinds, in a stable order. */
export const DIVERGENCE_TYPES: readonly DivergenceType[] = ['regular-bearish', 'regular-bullish', 'hidden-bearish', 'hidden-bullish'];

/** Options of {@link DivergenceDetector} and {@link divergence}. */
export interface DivergenceOptions {
  /** Points before a pivot that it must be at least as extreme as. Default 5. */
  left?: number;
  /** Points after a pivot that must be strictly less extreme; the confirmation delay. Default 5. */
  right?: number;
  /** Largest distance, in points, between the two pivots compared. Default 100. */
  maxGap?: number;
  /** Kinds to report. Default all four. */
  types?: readonly DivergenceType[];
}

/** One point of the two series. */
export interface DivergencePoint {
  ts: number;
  price: number;
  /** Cumulative flow at this point (cumulative OFI, or CVD). */
  flow: number;
}

/** A confirmed swing point. `index` counts points from the first one fed (0-based). */
export interface Pivot {
  index: number;
  ts: number;
  price: number;
  flow: number;
}

/** A detected divergence: the two pivots that made it and when it became known. */
export interface Divergence {
  type: DivergenceType;
  /** In [0, 1]: ½·(|Δprice|/range(price) + |Δflow|/range(flow)) between the pivots. */
  strength: number;
  /** The earlier pivot. */
  first: Pivot;
  /** The later pivot, whose confirmation produced this detection. */
  second: Pivot;
  /** Index of the point at which the second pivot was confirmed (`second.index + right`). */
  knownIndex: number;
  /** Timestamp of that point: the earliest time anyone could have known. */
  knownTs: number;
}

/** Columns of points. */
export interface DivergenceColumns {
  ts: Float64Array;
  price: Float64Array;
  flow: Float64Array;
}

const RB = 1; // regular bearish
const RU = 2; // regular bullish
const HB = 4; // hidden bearish
const HU = 8; // hidden bullish
const TYPE_BIT: Record<DivergenceType, number> = { 'regular-bearish': RB, 'regular-bullish': RU, 'hidden-bearish': HB, 'hidden-bullish': HU };

function checkInt(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new UserInputError(`${name}: expected an integer ≥ ${min}, got ${v}`, 'E_OPTION');
  return v;
}

/**
 * The per-point step both faces call. A ring of the last `max(maxGap, left) + right + 1` points
 * is all it keeps; a pivot check costs `left + right` comparisons, and a detection (rare) scans
 * the points between its pivots once for the strength.
 * @internal
 */
export class DivergenceKernel {
  readonly left: number;
  readonly right: number;
  readonly maxGap: number;
  private readonly mask: number;
  private readonly cap: number;
  private readonly ts: Float64Array;
  private readonly price: Float64Array;
  private readonly flow: Float64Array;
  /** Points seen. */
  n = 0;
  private hiIndex = -1;
  private loIndex = -1;
  private hiTs = NaN;
  private hiPrice = NaN;
  private hiFlow = NaN;
  private loTs = NaN;
  private loPrice = NaN;
  private loFlow = NaN;

  constructor(options: DivergenceOptions = {}) {
    this.left = checkInt('left', options.left ?? 5, 1);
    this.right = checkInt('right', options.right ?? 5, 1);
    this.maxGap = checkInt('maxGap', options.maxGap ?? 100, 1);
    let mask = 0;
    for (const t of options.types ?? DIVERGENCE_TYPES) {
      const bit = TYPE_BIT[t];
      if (bit === undefined) throw new UserInputError(`types: expected some of ${DIVERGENCE_TYPES.join(', ')}, got '${t}'`, 'E_OPTION');
      mask |= bit;
    }
    this.mask = mask;
    this.cap = Math.max(this.maxGap, this.left) + this.right + 1;
    this.ts = new Float64Array(this.cap);
    this.price = new Float64Array(this.cap);
    this.flow = new Float64Array(this.cap);
  }

  /** True once a pivot can have been confirmed. */
  get ready(): boolean {
    return this.n >= this.left + this.right + 1;
  }

  /** One point. Returns a detection that became known at this point, or `null`. */
  step(ts: number, price: number, flow: number): Divergence | null {
    const cap = this.cap;
    const at = this.n % cap;
    this.ts[at] = ts;
    this.price[at] = price;
    this.flow[at] = flow;
    const n = ++this.n;
    if (n < this.left + this.right + 1) return null;
    const c = n - 1 - this.right; // candidate pivot
    const ci = c % cap;
    const p = this.price[ci]!;
    if (p !== p) return null;
    let high = true;
    let low = true;
    for (let k = 1; k <= this.left && (high || low); k++) {
      const q = this.price[(c - k) % cap]!;
      if (!(p >= q)) high = false;
      if (!(p <= q)) low = false;
    }
    for (let k = 1; k <= this.right && (high || low); k++) {
      const q = this.price[(c + k) % cap]!;
      if (!(p > q)) high = false;
      if (!(p < q)) low = false;
    }
    if (!high && !low) return null;
    const f = this.flow[ci]!;
    const t = this.ts[ci]!;
    let found: Divergence | null = null;
    if (high) {
      const prev = this.hiIndex;
      if (prev >= 0 && c - prev <= this.maxGap) {
        const dp = p - this.hiPrice;
        const df = f - this.hiFlow;
        const kind = dp > 0 && df < 0 ? RB : dp < 0 && df > 0 ? HB : 0;
        if (kind & this.mask) found = this.detect(kind, prev, this.hiTs, this.hiPrice, this.hiFlow, c, t, p, f);
      }
      this.hiIndex = c;
      this.hiTs = t;
      this.hiPrice = p;
      this.hiFlow = f;
    } else {
      const prev = this.loIndex;
      if (prev >= 0 && c - prev <= this.maxGap) {
        const dp = p - this.loPrice;
        const df = f - this.loFlow;
        const kind = dp < 0 && df > 0 ? RU : dp > 0 && df < 0 ? HU : 0;
        if (kind & this.mask) found = this.detect(kind, prev, this.loTs, this.loPrice, this.loFlow, c, t, p, f);
      }
      this.loIndex = c;
      this.loTs = t;
      this.loPrice = p;
      this.loFlow = f;
    }
    return found;
  }

  reset(): void {
    this.n = 0;
    this.hiIndex = -1;
    this.loIndex = -1;
    this.hiTs = this.hiPrice = this.hiFlow = NaN;
    this.loTs = this.loPrice = this.loFlow = NaN;
  }

  private detect(kind: number, i1: number, t1: number, p1: number, f1: number, i2: number, t2: number, p2: number, f2: number): Divergence {
    const cap = this.cap;
    let pMin = Infinity;
    let pMax = -Infinity;
    let fMin = Infinity;
    let fMax = -Infinity;
    for (let i = i1; i <= i2; i++) {
      const j = i % cap;
      const pv = this.price[j]!;
      const fv = this.flow[j]!;
      if (pv < pMin) pMin = pv;
      if (pv > pMax) pMax = pv;
      if (fv < fMin) fMin = fv;
      if (fv > fMax) fMax = fv;
    }
    const pr = pMax - pMin;
    const fr = fMax - fMin;
    const strength = 0.5 * ((pr > 0 ? Math.abs(p2 - p1) / pr : 0) + (fr > 0 ? Math.abs(f2 - f1) / fr : 0));
    const known = this.n - 1;
    return {
      type: kind === RB ? 'regular-bearish' : kind === RU ? 'regular-bullish' : kind === HB ? 'hidden-bearish' : 'hidden-bullish',
      strength,
      first: { index: i1, ts: t1, price: p1, flow: f1 },
      second: { index: i2, ts: t2, price: p2, flow: f2 },
      knownIndex: known,
      knownTs: this.ts[known % cap]!,
    };
  }
}

/**
 * Streaming divergence detector. `update(point)` returns the latest divergence known at this
 * point (`null` until the first one), so `update`, `value` and `isReady` keep the one streaming
 * contract; `fresh` tells whether this very point confirmed it (at most one can be: a point
 * cannot confirm a pivot high and a pivot low at once), and `onDivergence` hears each one once.
 *
 * @example
 * const d = new DivergenceDetector({ left: 1, right: 1 });
 * // price 1, 3, 2, 4, 3 against flow 0, 5, 4, 3, 2: the highs at 3 and 4 (flow 5 then 3)
 * // make a regular bearish divergence, known at the fifth point (d.fresh is then true).
 */
export class DivergenceDetector implements StreamingCalculator<DivergencePoint, Divergence> {
  private readonly k: DivergenceKernel;
  private last: Divergence | null = null;
  private isFresh = false;
  private readonly listener: ((d: Divergence) => void) | undefined;

  constructor(
    readonly options: DivergenceOptions = {},
    onDivergence?: (d: Divergence) => void,
  ) {
    this.k = new DivergenceKernel(options);
    this.listener = onDivergence;
  }

  update(point: DivergencePoint): Divergence | null {
    const d = this.k.step(point.ts, point.price, point.flow);
    this.isFresh = d !== null;
    if (d) {
      this.last = d;
      this.listener?.(d);
    }
    return this.last;
  }

  /** The latest detection, `null` before the first. */
  get value(): Divergence | null {
    return this.last;
  }

  /** True once a divergence has been detected. */
  get isReady(): boolean {
    return this.last !== null;
  }

  /** True when the latest point confirmed a new divergence. */
  get fresh(): boolean {
    return this.isFresh;
  }

  /** Points fed so far (the index the next point will have). */
  get count(): number {
    return this.k.n;
  }

  reset(): void {
    this.k.reset();
    this.last = null;
    this.isFresh = false;
  }

  /** The columnar face over one chunk, continuing this detector's state: the detections that became known in it, in order. */
  updateColumns(points: DivergenceColumns, out: Divergence[] = []): Divergence[] {
    const { ts, price, flow } = points;
    const k = this.k;
    for (let i = 0; i < ts.length; i++) {
      const d = k.step(ts[i]!, price[i]!, flow[i]!);
      this.isFresh = d !== null;
      if (d) {
        out.push(d);
        this.last = d;
        this.listener?.(d);
      }
    }
    return out;
  }
}

/**
 * Every divergence in a series of points (price and cumulative flow), in the order they became
 * known.
 *
 * @example
 * divergence({ ts, price: mid, flow: cvdBase }, { left: 5, right: 5 })
 */
export function divergence(points: DivergenceColumns, options: DivergenceOptions = {}): Divergence[] {
  return new DivergenceDetector(options).updateColumns(points);
}
