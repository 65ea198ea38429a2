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
 * object (no allocation per update): copy what you keep. Quotes whose update id is stale (the
 * rule of `ofi.ts`, option `updateIds`) are ignored by every part of the fusion.
 *
 * @see Cont, Kukanov & Stoikov (2014), "The price impact of order book events", J. Financial Econometrics 12(1).
 */
import { UserInputError } from '../core/errors.js';
import type { QuoteEvent, TradeEvent } from '../core/events.js';
import type { StreamingCalculator } from './calculator.js';
import type { QuoteColumns, TradeColumns } from '../core/columns.js';
import type { Divergence } from './divergence.js';
import { fingerprint } from './fingerprint.js';
import { FusionKernel } from './fusion-kernel.js';
import { consistencyOf, sideOf, type FusionColumns, type FusionOptions, type FusionOutput, type ResolvedFusionOptions } from './fusion-options.js';

export {
  consistencyOf,
  FUSION_VERSION,
  resolveFusionOptions,
  sideOf,
  type FusionColumns,
  type FusionOptions,
  type FusionOutput,
  type FusionSide,
  type ResolvedFusionOptions,
} from './fusion-options.js';

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
   * one row per event, continuing this calculator's state. Writes into `out` when given (its
   * columns at least as long as the chunk's events: reuse one across chunks to allocate nothing
   * per call); the returned columns are views of exactly the chunk's rows.
   */
  updateColumns(quotes: QuoteColumns, trades: TradeColumns, out?: FusionColumns): FusionColumns {
    const n = quotes.ts.length + trades.ts.length;
    const o = out ?? newFusionColumns(n);
    if (o.ts.length < n) throw new UserInputError(`out: holds ${o.ts.length} rows, the chunk ${n} events`, 'E_OPTION');
    this.k.columns(quotes, trades, o, (d) => this.indexOf(d));
    if (n > 0) this.fill();
    return {
      ts: o.ts.subarray(0, n),
      z_ofi: o.z_ofi.subarray(0, n),
      z_cvd: o.z_cvd.subarray(0, n),
      score: o.score.subarray(0, n),
      side: o.side.subarray(0, n),
      consistency: o.consistency.subarray(0, n),
      divergence: o.divergence.subarray(0, n),
      divergences: this.divergences,
      fp: this.fp,
    };
  }

  /** The index of `d` in `divergences`, appending it when new. */
  private indexOf(d: Divergence): number {
    const list = this.divergences;
    if (list.length > 0 && list[list.length - 1] === d) return list.length - 1;
    list.push(d);
    return list.length - 1;
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
export function fusion(input: { quotes: QuoteColumns; trades: TradeColumns }, options: FusionOptions = {}, out?: FusionColumns): FusionColumns {
  return new FeatureFusion(options).updateColumns(input.quotes, input.trades, out);
}

/** Empty output columns for `n` rows, to pass as `out` and reuse. */
export function newFusionColumns(n: number): FusionColumns {
  return {
    ts: new Float64Array(n),
    z_ofi: new Float64Array(n),
    z_cvd: new Float64Array(n),
    score: new Float64Array(n),
    side: new Int8Array(n),
    consistency: new Float64Array(n),
    divergence: new Int32Array(n),
    divergences: [],
    fp: '',
  };
}
