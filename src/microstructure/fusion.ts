/**
 * Fusion of book flow and trade flow into one score per update, in the shape the original
 * feature service promised:
 *
 *   `{ z_ofi, z_cvd, fusion: { score, side, consistency }, divergence, fp }`
 *
 * - **Flows.** Over the same horizon `flowWindow` (default the last second): OFI, the sum of the
 *   best-level e_n of the quotes in it (Cont, Kukanov & Stoikov 2014), and CVD, the signed
 *   volume of the market prints in it. Summing both over one horizon makes them comparable.
 * - **z_ofi, z_cvd.** Each flow scored by a rolling z-score (`rolling.ts`; default window the
 *   last minute, at least 30 points, scored against the window before the point), each updated
 *   when its own kind of event arrives (quotes move OFI, market prints move CVD) and carried
 *   otherwise. `zscore.robust` swaps in the median/MAD z-score where outliers dominate.
 * - **score** = `w_ofi·z_ofi + w_cvd·z_cvd`, default weights 0.6 and 0.4: they sum to 1 so the
 *   score stays in z units, and book flow weighs more because OFI explains short-horizon price
 *   changes better than trade imbalance does (Cont, Kukanov & Stoikov 2014, §4 and Table 3).
 * - **side**: `'buy'` when score > threshold, `'sell'` when score < −threshold, else `'neutral'`
 *   (default threshold 1, one standard deviation).
 * - **consistency** = `1 − |z_ofi − z_cvd| / (|z_ofi| + |z_cvd|)`, in [0, 1]: 1 when the two
 *   agree in sign and size, falling as their sizes part, and 0 whenever they disagree in sign
 *   (then |a − b| = |a| + |b|) — sign agreement and closeness in one number; 0 when both are 0.
 * - **divergence**: price against cumulative flow (CVD by default, or OFI) on confirmed swing
 *   points (`divergence.ts`), sampled once per `sampleMs` (default 1 s: the last mid and the
 *   cumulative flow as of the end of each sampled interval that had events; an interval closes
 *   when an event at or after its end arrives). The latest detection is reported while it is at
 *   most `ttlMs` old (default 60 s), else `null`.
 * - **fp**: the feature fingerprint, 16 hex digits of 64-bit FNV-1a over the canonical JSON of
 *   the fully resolved options (defaults filled in) and a version of these semantics
 *   (`fingerprint.ts`). Equal fp, same computation; downstream can refuse to mix two.
 *
 * The output is `null` until both z-scores have values. The streaming face reuses one output
 * object (no allocation per update): copy what you keep.
 *
 * @see Cont, Kukanov & Stoikov (2014), "The price impact of order book events", J. Financial Econometrics 12(1).
 */
import { UserInputError } from '../core/errors.js';
import type { QuoteEvent, TradeEvent } from '../core/events.js';
import type { StreamingCalculator } from './calculator.js';
import type { QuoteColumns, TradeColumns } from './columns.js';
import { CvdKernel } from './cvd.js';
import { DIVERGENCE_TYPES, DivergenceKernel, type Divergence, type DivergenceOptions, type DivergenceType } from './divergence.js';
import { fingerprint } from './fingerprint.js';
import { OfiState, ofiStep } from './ofi.js';
import { RollingZScore } from './rolling.js';
import { RollingRobustZScore } from './rolling-robust.js';
import type { WindowSpec } from './rolling-window.js';

/** Version of the fusion semantics, part of every fingerprint: bumped when an output would change. */
export const FUSION_VERSION = 1;

/** Trade side a score points to. */
export type FusionSide = 'buy' | 'sell' | 'neutral';

/** Options of {@link FeatureFusion} and {@link fusion}. Every field has a documented default. */
export interface FusionOptions {
  /** Horizon both flows are summed over: `{ ms: T }` or `{ events: N }` (N quotes for OFI, N market prints for CVD). Default `{ ms: 1000 }`. */
  flowWindow?: WindowSpec;
  /** Rolling z-score of each flow. Defaults: window `{ ms: 60_000 }`, `minPeriods` 30, `robust` false (mean/std; true: median/MAD). */
  zscore?: { window?: WindowSpec; minPeriods?: number; robust?: boolean };
  /** Weights of the score. Default `{ ofi: 0.6, cvd: 0.4 }`. */
  weights?: { ofi?: number; cvd?: number };
  /** |score| beyond which the side is buy or sell. Default 1. */
  threshold?: number;
  /** OFI update-id rule (`ofi.ts`). Default `'drop-stale'`. */
  updateIds?: 'drop-stale' | 'keep';
  /** Prints that count as trade flow. Default `'market'`. */
  prints?: 'market' | 'all';
  /** Divergence settings, or `false` (or `null`) for none. Defaults: `sampleMs` 1000, `flow` `'cvd'`, `ttlMs` 60 000, pivots 5/5, `maxGap` 100, all types. */
  divergence?: false | null | (DivergenceOptions & { sampleMs?: number; flow?: 'cvd' | 'ofi'; ttlMs?: number });
}

/** The options with every default filled in: what the fingerprint is taken of. */
export interface ResolvedFusionOptions {
  version: number;
  flowWindow: WindowSpec;
  zscore: { window: WindowSpec; minPeriods: number; robust: boolean };
  weights: { ofi: number; cvd: number };
  threshold: number;
  updateIds: 'drop-stale' | 'keep';
  prints: 'market' | 'all';
  divergence: null | { sampleMs: number; flow: 'cvd' | 'ofi'; ttlMs: number; left: number; right: number; maxGap: number; types: DivergenceType[] };
}

/** One fused reading. */
export interface FusionOutput {
  z_ofi: number;
  z_cvd: number;
  fusion: { score: number; side: FusionSide; consistency: number };
  divergence: Divergence | null;
  fp: string;
}

/** Fused readings as columns, one row per input event (quotes and trades merged); `NaN` where not ready. */
export interface FusionColumns {
  /** Timestamp of the event of each row. */
  ts: Float64Array;
  z_ofi: Float64Array;
  z_cvd: Float64Array;
  score: Float64Array;
  /** +1 buy, −1 sell, 0 neutral (and 0 where not ready). */
  side: Int8Array;
  consistency: Float64Array;
  /** Index into `divergences` of the row's divergence, −1 for none. */
  divergence: Int32Array;
  /** Every divergence detected so far by this calculator, in the order they became known. */
  divergences: Divergence[];
  fp: string;
}

function finite(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserInputError(`${name}: expected a finite number, got ${String(v)}`, 'E_OPTION');
  return v;
}

function windowOf(name: string, w: WindowSpec): WindowSpec {
  const x = w as Partial<{ events: number; ms: number }>;
  if (x && x.events !== undefined && x.ms === undefined) {
    if (!Number.isInteger(x.events) || x.events < 1) throw new UserInputError(`${name}.events: expected an integer ≥ 1, got ${String(x.events)}`, 'E_OPTION');
    return { events: x.events };
  }
  if (x && x.ms !== undefined && x.events === undefined) {
    if (!(x.ms > 0 && Number.isFinite(x.ms))) throw new UserInputError(`${name}.ms: expected a finite number > 0, got ${String(x.ms)}`, 'E_OPTION');
    return { ms: x.ms };
  }
  throw new UserInputError(`${name}: expected exactly one of { events: N } or { ms: T }`, 'E_OPTION');
}

/** Fill in the defaults and check every option, naming the one that is wrong. */
export function resolveFusionOptions(o: FusionOptions = {}): ResolvedFusionOptions {
  const z = o.zscore ?? {};
  const minPeriods = z.minPeriods ?? 30;
  if (!Number.isInteger(minPeriods) || minPeriods < 2) throw new UserInputError(`zscore.minPeriods: expected an integer ≥ 2, got ${String(minPeriods)}`, 'E_OPTION');
  const threshold = finite('threshold', o.threshold ?? 1);
  if (threshold < 0) throw new UserInputError(`threshold: expected a number ≥ 0, got ${threshold}`, 'E_OPTION');
  const updateIds = o.updateIds ?? 'drop-stale';
  if (updateIds !== 'drop-stale' && updateIds !== 'keep') throw new UserInputError(`updateIds: expected 'drop-stale' or 'keep', got ${String(updateIds)}`, 'E_OPTION');
  const prints = o.prints ?? 'market';
  if (prints !== 'market' && prints !== 'all') throw new UserInputError(`prints: expected 'market' or 'all', got ${String(prints)}`, 'E_OPTION');
  let divergence: ResolvedFusionOptions['divergence'] = null;
  if (o.divergence !== false && o.divergence !== null) {
    const d = o.divergence ?? {};
    const sampleMs = finite('divergence.sampleMs', d.sampleMs ?? 1000);
    if (sampleMs <= 0) throw new UserInputError(`divergence.sampleMs: expected a number > 0, got ${sampleMs}`, 'E_OPTION');
    const ttlMs = d.ttlMs ?? 60_000;
    if (!(ttlMs >= 0)) throw new UserInputError(`divergence.ttlMs: expected a number ≥ 0, got ${String(ttlMs)}`, 'E_OPTION');
    const flow = d.flow ?? 'cvd';
    if (flow !== 'cvd' && flow !== 'ofi') throw new UserInputError(`divergence.flow: expected 'cvd' or 'ofi', got ${String(flow)}`, 'E_OPTION');
    const types = [...(d.types ?? DIVERGENCE_TYPES)].sort();
    divergence = { sampleMs, flow, ttlMs, left: d.left ?? 5, right: d.right ?? 5, maxGap: d.maxGap ?? 100, types };
    new DivergenceKernel(divergence); // checks left, right, maxGap, types
  }
  return {
    version: FUSION_VERSION,
    flowWindow: windowOf('flowWindow', o.flowWindow ?? { ms: 1000 }),
    zscore: { window: windowOf('zscore.window', z.window ?? { ms: 60_000 }), minPeriods, robust: z.robust ?? false },
    weights: { ofi: finite('weights.ofi', o.weights?.ofi ?? 0.6), cvd: finite('weights.cvd', o.weights?.cvd ?? 0.4) },
    threshold,
    updateIds,
    prints,
    divergence,
  };
}

/**
 * `1 − |a − b| / (|a| + |b|)`: 1 for equal z-scores, 0 for opposite signs, 0 when both are 0.
 * @example consistencyOf(2, 1) // 1 − 1/3 = 0.666…
 */
export function consistencyOf(a: number, b: number): number {
  const s = Math.abs(a) + Math.abs(b);
  return s > 0 ? 1 - Math.abs(a - b) / s : 0;
}

/** Side of a score: buy above `threshold`, sell below `−threshold`. */
export function sideOf(score: number, threshold: number): FusionSide {
  return score > threshold ? 'buy' : score < -threshold ? 'sell' : 'neutral';
}

type ZScore = RollingZScore | RollingRobustZScore;

/**
 * The per-event steps both faces call. After each step, `zo`/`zc` hold the latest z-scores
 * (`NaN` before warm) and `div` the divergence to report (or `null`).
 * @internal
 */
export class FusionKernel {
  readonly opts: ResolvedFusionOptions;
  readonly countAll: boolean;
  private readonly ofiSt: OfiState;
  private readonly cvdK: CvdKernel;
  private readonly zOfi: ZScore;
  private readonly zCvd: ZScore;
  private readonly divK: DivergenceKernel | null;
  private readonly sampleMs: number;
  private readonly ttl: number;
  private readonly flowIsCvd: boolean;
  /** Called with each new divergence. */
  onDivergence: ((d: Divergence) => void) | null = null;
  zo = NaN;
  zc = NaN;
  div: Divergence | null = null;
  private latest: Divergence | null = null;
  private mid = NaN;
  private cumOfi = 0;
  private cumOfiC = 0;
  private cumCvd = 0;
  private cumCvdC = 0;
  private bucketEnd = NaN;

  constructor(options: FusionOptions) {
    const o = (this.opts = resolveFusionOptions(options));
    this.countAll = o.prints === 'all';
    this.ofiSt = new OfiState({ sum: o.flowWindow, updateIds: o.updateIds });
    this.cvdK = new CvdKernel({ reset: o.flowWindow, prints: o.prints });
    const zOpts = { window: o.zscore.window, minPeriods: o.zscore.minPeriods };
    this.zOfi = o.zscore.robust ? new RollingRobustZScore(zOpts) : new RollingZScore(zOpts);
    this.zCvd = o.zscore.robust ? new RollingRobustZScore(zOpts) : new RollingZScore(zOpts);
    const d = o.divergence;
    this.divK = d ? new DivergenceKernel(d) : null;
    this.sampleMs = d ? d.sampleMs : Infinity;
    this.ttl = d ? d.ttlMs : 0;
    this.flowIsCvd = d ? d.flow === 'cvd' : true;
  }

  private static z(z: ZScore, x: number, t: number): number {
    const v = z.update(x, t);
    return v === null ? NaN : v;
  }

  quote(ts: number, bidPrice: number, bidQty: number, askPrice: number, askQty: number, updateId: number): void {
    const st = this.ofiSt;
    const skipped = st.duplicates + st.outOfOrder + st.invalid;
    const had = st.hasPrev;
    const v = ofiStep(st, bidPrice, bidQty, askPrice, askQty, ts, updateId);
    if (st.duplicates + st.outOfOrder + st.invalid === skipped) {
      if (this.divK) this.sample(ts);
      this.mid = 0.5 * (bidPrice + askPrice);
      if (had) {
        const e = st.flow[0]!;
        const s = this.cumOfi;
        const u = s + e;
        this.cumOfiC += Math.abs(s) >= Math.abs(e) ? s - u + e : e - u + s;
        this.cumOfi = u;
        this.zo = FusionKernel.z(this.zOfi, v, ts);
      }
    }
    this.report(ts);
  }

  trade(ts: number, price: number, qty: number, sign: number, counts: boolean): void {
    if (this.divK) this.sample(ts);
    const k = this.cvdK;
    k.step(ts, price, qty, sign, counts);
    if (counts) {
      const b = sign * qty;
      const s = this.cumCvd;
      const u = s + b;
      this.cumCvdC += Math.abs(s) >= Math.abs(b) ? s - u + b : b - u + s;
      this.cumCvd = u;
      if (k.ready) this.zc = FusionKernel.z(this.zCvd, k.base, ts);
    }
    this.report(ts);
  }

  reset(): void {
    this.ofiSt.reset();
    this.cvdK.reset();
    this.zOfi.reset();
    this.zCvd.reset();
    this.divK?.reset();
    this.zo = this.zc = NaN;
    this.div = this.latest = null;
    this.mid = NaN;
    this.cumOfi = this.cumOfiC = this.cumCvd = this.cumCvdC = 0;
    this.bucketEnd = NaN;
  }

  /** Close the sampling interval when `ts` reaches its end: one divergence point per interval with events. */
  private sample(ts: number): void {
    if (ts >= this.bucketEnd) {
      const flow = this.flowIsCvd ? this.cumCvd + this.cumCvdC : this.cumOfi + this.cumOfiC;
      const d = this.divK!.step(this.bucketEnd, this.mid, flow);
      if (d) {
        this.latest = d;
        this.onDivergence?.(d);
      }
    }
    if (!(ts < this.bucketEnd) && ts === ts) this.bucketEnd = (Math.floor(ts / this.sampleMs) + 1) * this.sampleMs;
  }

  private report(ts: number): void {
    const d = this.latest;
    this.div = d !== null && ts - d.knownTs <= this.ttl ? d : null;
  }
}

/**
 * Streaming fusion over one merged stream of quotes and trades. `update(event)` returns the
 * fused reading after it, or `null` until both z-scores are warm; the returned object is reused
 * by the next update. `updateColumns` is the columnar face over chunks, continuing this state.
 *
 * @example
 * const f = new FeatureFusion({ weights: { ofi: 0.6, cvd: 0.4 } });
 * for (const e of events) {
 *   const r = f.update(e);
 *   if (r && r.fusion.side !== 'neutral') console.log(r.fusion.side, r.fusion.score, r.fp);
 * }
 */
export class FeatureFusion implements StreamingCalculator<QuoteEvent | TradeEvent, FusionOutput> {
  /** The fingerprint of this configuration. */
  readonly fp: string;
  /** The options with every default filled in. */
  readonly resolved: ResolvedFusionOptions;
  private readonly k: FusionKernel;
  private readonly out: FusionOutput;
  private ready = false;
  /** Every divergence the columnar face has reported, indexed by its `divergence` column. */
  readonly divergences: Divergence[] = [];

  constructor(options: FusionOptions = {}) {
    this.k = new FusionKernel(options);
    this.resolved = this.k.opts;
    this.fp = fingerprint(this.resolved);
    this.out = { z_ofi: NaN, z_cvd: NaN, fusion: { score: NaN, side: 'neutral', consistency: NaN }, divergence: null, fp: this.fp };
  }

  update(e: Pick<QuoteEvent, 'type' | 'ts' | 'bidPrice' | 'bidQty' | 'askPrice' | 'askQty' | 'updateId'> | Pick<TradeEvent, 'type' | 'ts' | 'price' | 'qty' | 'side' | 'printKind'>): FusionOutput | null {
    const k = this.k;
    if (e.type === 'quote') k.quote(e.ts, e.bidPrice, e.bidQty, e.askPrice, e.askQty, e.updateId ?? NaN);
    else k.trade(e.ts, e.price, e.qty, e.side === 'buy' ? 1 : -1, k.countAll || e.printKind === 'MARKET');
    return this.fill();
  }

  private fill(): FusionOutput | null {
    const k = this.k;
    const zo = k.zo;
    const zc = k.zc;
    if (zo !== zo || zc !== zc) {
      this.ready = false;
      return null;
    }
    const o = this.out;
    const w = this.resolved.weights;
    const score = w.ofi * zo + w.cvd * zc;
    o.z_ofi = zo;
    o.z_cvd = zc;
    o.fusion.score = score;
    o.fusion.side = sideOf(score, this.resolved.threshold);
    o.fusion.consistency = consistencyOf(zo, zc);
    o.divergence = k.div;
    this.ready = true;
    return o;
  }

  get value(): FusionOutput | null {
    return this.ready ? this.out : null;
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Be told of each divergence once, when it becomes known. */
  set onDivergence(fn: ((d: Divergence) => void) | null) {
    this.k.onDivergence = fn;
  }

  reset(): void {
    this.k.reset();
    this.ready = false;
    this.divergences.length = 0;
  }

  /**
   * The columnar face over one chunk: quotes and trades merged by `ts` (a quote first on ties),
   * one row per event, continuing this calculator's state.
   */
  updateColumns(quotes: QuoteColumns, trades: TradeColumns): FusionColumns {
    const nq = quotes.ts.length;
    const nt = trades.ts.length;
    const n = nq + nt;
    const out: FusionColumns = {
      ts: new Float64Array(n),
      z_ofi: new Float64Array(n),
      z_cvd: new Float64Array(n),
      score: new Float64Array(n),
      side: new Int8Array(n),
      consistency: new Float64Array(n),
      divergence: new Int32Array(n),
      divergences: this.divergences,
      fp: this.fp,
    };
    fusionLoop(this, this.k, quotes, trades, out);
    if (n > 0) this.fill();
    return out;
  }

  /** @internal the divergence list index of `d`, appending it when new. */
  indexOf(d: Divergence | null): number {
    if (d === null) return -1;
    const list = this.divergences;
    if (list.length > 0 && list[list.length - 1] === d) return list.length - 1;
    list.push(d);
    return list.length - 1;
  }
}

function fusionLoop(f: FeatureFusion, k: FusionKernel, q: QuoteColumns, t: TradeColumns, out: FusionColumns): void {
  const nq = q.ts.length;
  const nt = t.ts.length;
  const { ts: qts, bidPrice, bidQty, askPrice, askQty, updateId } = q;
  const { ts: tts, price, qty, side } = t;
  const market = k.countAll ? undefined : t.market;
  const w = k.opts.weights;
  const wo = w.ofi;
  const wc = w.cvd;
  const thr = k.opts.threshold;
  let i = 0;
  let j = 0;
  for (let r = 0; i < nq || j < nt; r++) {
    let ts: number;
    if (j >= nt || (i < nq && !(qts[i]! > tts[j]!))) {
      ts = qts[i]!;
      k.quote(ts, bidPrice[i]!, bidQty[i]!, askPrice[i]!, askQty[i]!, updateId !== undefined ? updateId[i]! : NaN);
      i++;
    } else {
      ts = tts[j]!;
      k.trade(ts, price[j]!, qty[j]!, side[j]!, market === undefined || market[j] === 1);
      j++;
    }
    out.ts[r] = ts;
    const zo = k.zo;
    const zc = k.zc;
    if (zo !== zo || zc !== zc) {
      out.z_ofi[r] = NaN;
      out.z_cvd[r] = NaN;
      out.score[r] = NaN;
      out.consistency[r] = NaN;
      out.divergence[r] = -1;
      continue;
    }
    const score = wo * zo + wc * zc;
    out.z_ofi[r] = zo;
    out.z_cvd[r] = zc;
    out.score[r] = score;
    out.side[r] = score > thr ? 1 : score < -thr ? -1 : 0;
    out.consistency[r] = consistencyOf(zo, zc);
    out.divergence[r] = k.div === null ? -1 : f.indexOf(k.div);
  }
}

/**
 * Fused features of a table of quotes and a table of trades (merged by `ts`, quotes first on
 * ties), one row per event.
 *
 * @example
 * const f = fusion({ quotes: quoteColumns(qb), trades: tradeColumns(tb) });
 * f.score; // Float64Array, NaN during warm-up
 * f.fp;    // '…16 hex digits…'
 */
export function fusion(input: { quotes: QuoteColumns; trades: TradeColumns }, options: FusionOptions = {}): FusionColumns {
  return new FeatureFusion(options).updateColumns(input.quotes, input.trades);
}
