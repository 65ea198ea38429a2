/**
 * Integrated OFI of Cont, Cucuringu & Zhang (2023): one number per update (or bar) that combines
 * the multi-level OFI vector ofi = (ofi¹ … ofiᵏ) with the weights of its first principal component,
 *
 *   ofi^I = w₁ᵀ ofi / ‖w₁‖₁,
 *
 * where w₁ is the first principal vector of the covariance of the (depth-normalised) multi-level
 * OFIs over a training window. Feed it the output of `MultiLevelOfiCalculator` / `multiLevelOfi`
 * with `normalize: true` (the paper's scaling by the average depth of the first k levels),
 * usually summed over bars.
 *
 * **No look-ahead.** The weights are fitted on the first `train` valid vectors and applied only
 * to the vectors after them: every output inside the training window is `null`/`NaN`, and no
 * later input changes the weights. Vectors with a non-finite component (warm-up outputs of the
 * multi-level calculator) are neither trained on nor scored. The weights are signed so they sum
 * to a positive number (buying pressure stays positive) and scaled to ‖w‖₁ = 1. A training
 * window without any variance has no principal direction: equal weights 1/k are used.
 * Pass `weights` to apply weights fitted elsewhere (no training window then).
 *
 * @see Cont, Cucuringu & Zhang (2023), "Cross-impact of order flow imbalance in equity markets", Quantitative Finance 23(10), §2.2 (integrated OFI).
 */
import { UserInputError } from '../core/errors.js';
import type { StreamingCalculator } from './calculator.js';
import { firstPrincipalComponent } from './pca.js';

/** Options of integrated OFI. */
export interface IntegratedOfiOptions {
  /** Levels k of the OFI vectors. */
  levels: number;
  /** Valid vectors to fit the weights on (≥ 2); required unless `weights` is given. */
  train?: number;
  /** Weights to apply from the start instead of fitting (scaled to ‖w‖₁ = 1). */
  weights?: ArrayLike<number>;
}

/** State of one integrated OFI series; pass it back to {@link integratedOfi} to continue. */
export class IntegratedOfiState {
  readonly levels: number;
  readonly train: number;
  readonly key: string;
  /** Valid vectors seen in training. */
  n = 0;
  private readonly mean: Float64Array;
  private readonly comoment: Float64Array;
  private readonly delta: Float64Array;
  /** The weights once fitted (‖w‖₁ = 1), else `null`. */
  weights: Float64Array | null = null;
  private readonly given: Float64Array | null;
  /** Last output (`NaN` for none). */
  last = NaN;
  /** Input vectors, as a reused buffer: fill it, then {@link integratedOfiStep}. */
  readonly input: Float64Array;

  constructor(options: IntegratedOfiOptions) {
    const k = options?.levels;
    if (!Number.isInteger(k) || k < 1) throw new UserInputError(`levels: expected an integer ≥ 1, got ${String(k)}`, 'E_OPTION');
    this.levels = k;
    if (options.weights) {
      if (options.weights.length !== k) throw new UserInputError(`weights: expected ${k} numbers, got ${options.weights.length}`, 'E_OPTION');
      const w = Float64Array.from(options.weights);
      const l1 = w.reduce((a, x) => a + Math.abs(x), 0);
      if (!(l1 > 0 && Number.isFinite(l1))) throw new UserInputError('weights: expected finite numbers, not all zero', 'E_OPTION');
      for (let m = 0; m < k; m++) w[m] = w[m]! / l1;
      this.given = w;
      this.train = 0;
    } else {
      const train = options.train;
      if (!Number.isInteger(train) || (train as number) < 2) throw new UserInputError(`train: expected an integer ≥ 2 (or weights), got ${String(train)}`, 'E_OPTION');
      this.given = null;
      this.train = train as number;
    }
    this.key = `${k}|${this.train}|${this.given ? Array.from(this.given).join(',') : ''}`;
    this.mean = new Float64Array(k);
    this.comoment = new Float64Array(k * k);
    this.delta = new Float64Array(k);
    this.input = new Float64Array(k);
    this.reset();
  }

  reset(): void {
    this.n = 0;
    this.mean.fill(0);
    this.comoment.fill(0);
    this.weights = this.given ? Float64Array.from(this.given) : null;
    this.last = NaN;
  }

  /** Add one training vector (Welford's co-moment update: stable, one pass). */
  learn(x: Float64Array): void {
    const k = this.levels;
    const n = ++this.n;
    for (let a = 0; a < k; a++) {
      this.delta[a] = x[a]! - this.mean[a]!;
      this.mean[a]! += this.delta[a]! / n;
    }
    for (let a = 0; a < k; a++) for (let b = a; b < k; b++) this.comoment[a * k + b]! += this.delta[a]! * (x[b]! - this.mean[b]!);
  }

  /** Fit the weights from what was learnt. */
  fit(): Float64Array {
    const k = this.levels;
    const cov = new Float64Array(k * k);
    let trace = 0;
    for (let a = 0; a < k; a++) {
      for (let b = a; b < k; b++) cov[a * k + b] = cov[b * k + a] = this.comoment[a * k + b]! / (this.n - 1);
      trace += cov[a * k + a]!;
    }
    const w = trace > 0 ? firstPrincipalComponent(cov, k) : new Float64Array(k).fill(1);
    const l1 = w.reduce((s, x) => s + Math.abs(x), 0);
    for (let m = 0; m < k; m++) w[m] = w[m]! / l1;
    this.weights = w;
    return w;
  }
}

/** The per-vector kernel both faces call: integrated OFI of the vector in `st.input`, `NaN` for none. */
export function integratedOfiStep(st: IntegratedOfiState): number {
  const x = st.input;
  const k = st.levels;
  for (let m = 0; m < k; m++) if (!(x[m]! - x[m]! === 0)) return (st.last = NaN);
  const w = st.weights;
  if (!w) {
    st.learn(x);
    if (st.n === st.train) st.fit();
    return (st.last = NaN);
  }
  let v = 0;
  for (let m = 0; m < k; m++) v += w[m]! * x[m]!;
  return (st.last = v);
}

/**
 * Integrated OFI, streaming: a multi-level OFI vector in, its projection on the first principal
 * component out (`null` inside the training window).
 */
export class IntegratedOfiCalculator implements StreamingCalculator<ArrayLike<number>, number> {
  /** The kernel state (`weights` once fitted); pass it to {@link integratedOfi} to continue columnar. */
  readonly state: IntegratedOfiState;

  constructor(readonly options: IntegratedOfiOptions) {
    this.state = new IntegratedOfiState(options);
  }

  update(vector: ArrayLike<number>): number | null {
    const k = this.state.levels;
    for (let m = 0; m < k; m++) this.state.input[m] = m < vector.length ? vector[m]! : NaN;
    const v = integratedOfiStep(this.state);
    return v === v ? v : null;
  }

  /** The fitted weights (‖w‖₁ = 1), `null` during training. */
  get weights(): Float64Array | null {
    return this.state.weights;
  }

  get value(): number | null {
    const v = this.state.last;
    return v === v ? v : null;
  }

  get isReady(): boolean {
    return this.state.last === this.state.last;
  }

  reset(): void {
    this.state.reset();
  }
}

/**
 * Integrated OFI over k level columns (as {@link multiLevelOfi} returns them) into `out`,
 * `NaN` inside the training window, continuing `state` when given.
 */
export function integratedOfi(levels: Float64Array[], options: IntegratedOfiOptions, out?: Float64Array, state?: IntegratedOfiState): Float64Array {
  const st = state ?? new IntegratedOfiState(options);
  if (state && new IntegratedOfiState(options).key !== state.key) throw new UserInputError('state: was created for other options than this call', 'E_OPTION');
  const k = st.levels;
  if (levels.length < k) throw new UserInputError(`levels: expected ${k} columns, got ${levels.length}`, 'E_OPTION');
  const n = levels[0]!.length;
  for (let m = 1; m < k; m++) if (levels[m]!.length !== n) throw new UserInputError(`levels[${m}]: holds ${levels[m]!.length} values, levels[0] ${n}`, 'E_OPTION');
  const o = out ?? new Float64Array(n);
  if (o.length < n) throw new UserInputError(`out: holds ${o.length} values, the input ${n}`, 'E_OPTION');
  const x = st.input;
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < k; m++) x[m] = levels[m]![i]!;
    o[i] = integratedOfiStep(st);
  }
  return o;
}

/**
 * Weights of integrated OFI fitted on rows `from … to − 1` of k level columns (rows with a
 * non-finite value are left out): the first principal component, signed to a positive sum,
 * ‖w‖₁ = 1. For fitting on one period and applying to another (`{ weights }`).
 */
export function fitIntegratedOfiWeights(levels: Float64Array[], from = 0, to = levels[0]?.length ?? 0): Float64Array {
  const k = levels.length;
  const st = new IntegratedOfiState({ levels: k, train: Number.MAX_SAFE_INTEGER });
  const x = st.input;
  for (let i = from; i < to; i++) {
    let ok = true;
    for (let m = 0; m < k; m++) {
      x[m] = levels[m]![i]!;
      if (!Number.isFinite(x[m]!)) ok = false;
    }
    if (ok) st.learn(x);
  }
  if (st.n < 2) throw new UserInputError(`fitIntegratedOfiWeights: ${st.n} valid rows, at least 2 needed`, 'E_INPUT');
  return st.fit();
}
