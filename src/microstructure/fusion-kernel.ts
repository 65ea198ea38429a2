/**
 * The kernel of the feature fusion (`fusion.ts`): its state, the per-event steps of the
 * streaming face, and the columnar face as passes over the same kernels.
 *
 * Quotes first pass the update-id gate (`quote-gate.ts`, the rule of `ofi.ts`), applied once in
 * front so that OFI, the mid and the divergence sampling all see the same accepted quotes, in
 * either face. OFI then runs with `'keep'`.
 */
import type { QuoteColumns, TradeColumns } from '../core/columns.js';
import { CvdKernel } from './cvd.js';
import { DivergenceKernel, type Divergence } from './divergence.js';
import { consistencyOf, type FusionColumns, type FusionOptions, type ResolvedFusionOptions, resolveFusionOptions } from './fusion-options.js';
import { ofi, OfiState, ofiStep, type OfiOptions } from './ofi.js';
import { RollingZScore, rollingZScore } from './rolling.js';
import { RollingRobustZScore, rollingRobustZScore } from './rolling-robust.js';
import type { WindowSpec } from './rolling-window.js';
import { gateQuotes, QuoteBlock, QuoteGate } from './quote-gate.js';

type ZScore = RollingZScore | RollingRobustZScore;

/** Growable scratch columns, reused across columnar calls (allocation per chunk at most, never per event). */
class Scratch {
  private f: Float64Array[] = [];
  private i: Int32Array[] = [];
  f64(slot: number, n: number): Float64Array {
    const a = this.f[slot];
    if (a && a.length >= n) return a;
    return (this.f[slot] = new Float64Array(Math.max(n, 1024, (a?.length ?? 0) * 2)));
  }
  i32(slot: number, n: number): Int32Array {
    const a = this.i[slot];
    if (a && a.length >= n) return a;
    return (this.i[slot] = new Int32Array(Math.max(n, 1024, (a?.length ?? 0) * 2)));
  }
}

const SKIPPED = -1;

/** Events per block of the columnar face: scratch columns of this many rows stay in cache. */
export const FUSION_BLOCK = 16_384;

/**
 * State and steps of one fusion. After each step `zo`/`zc` hold the latest z-scores (`NaN`
 * before warm) and `div` the divergence to report (or `null`).
 * @internal
 */
export class FusionKernel {
  readonly opts: ResolvedFusionOptions;
  readonly countAll: boolean;
  private readonly gate: QuoteGate;
  private readonly zopts: { window: WindowSpec; minPeriods: number };
  private readonly ofiOpts: OfiOptions;
  private readonly cumOpts: OfiOptions;
  private readonly ofiSt: OfiState;
  /** Cumulative OFI, kept only when divergence reads OFI. */
  private readonly cumSt: OfiState | null;
  private readonly cvdK: CvdKernel;
  private readonly zOfi: ZScore;
  private readonly zCvd: ZScore;
  private readonly divK: DivergenceKernel | null;
  private readonly sampleMs: number;
  private readonly ttl: number;
  private readonly scratch = new Scratch();
  /** Called with each new divergence. */
  onDivergence: ((d: Divergence) => void) | null = null;
  zo = NaN;
  zc = NaN;
  div: Divergence | null = null;
  private latest: Divergence | null = null;
  private mid = NaN;
  /** Cumulative flow the divergence reads (CVD or OFI), as of the latest event. */
  private cumFlow = 0;
  private cumCvd = 0;
  private cumCvdC = 0;
  private bucketEnd = NaN;
  /** Row-to-row values of the merge pass (see there). */
  private readonly carried = new Float64Array(3);

  constructor(options: FusionOptions) {
    const o = (this.opts = resolveFusionOptions(options));
    this.countAll = o.prints === 'all';
    this.gate = new QuoteGate(o.updateIds);
    this.ofiOpts = { sum: o.flowWindow, updateIds: 'keep' };
    this.cumOpts = { sum: 'cumulative', updateIds: 'keep' };
    this.ofiSt = new OfiState(this.ofiOpts);
    this.cumSt = o.divergence?.flow === 'ofi' ? new OfiState(this.cumOpts) : null;
    this.cvdK = new CvdKernel({ reset: o.flowWindow, prints: o.prints });
    const zOpts = (this.zopts = { window: o.zscore.window, minPeriods: o.zscore.minPeriods });
    this.zOfi = o.zscore.robust ? new RollingRobustZScore(zOpts) : new RollingZScore(zOpts);
    this.zCvd = o.zscore.robust ? new RollingRobustZScore(zOpts) : new RollingZScore(zOpts);
    const d = o.divergence;
    this.divK = d ? new DivergenceKernel(d) : null;
    this.sampleMs = d ? d.sampleMs : Infinity;
    this.ttl = d ? d.ttlMs : 0;
  }

  quote(ts: number, bp: number, bq: number, ap: number, aq: number, id: number): void {
    if (this.gate.accept(id, bp, bq, ap, aq)) {
      if (this.divK && !(ts < this.bucketEnd)) this.sample(ts);
      this.mid = 0.5 * (bp + ap);
      const v = ofiStep(this.ofiSt, bp, bq, ap, aq, ts, NaN);
      if (v === v) {
        const z = this.zOfi.update(v, ts);
        this.zo = z === null ? NaN : z;
      }
      if (this.cumSt) {
        const c = ofiStep(this.cumSt, bp, bq, ap, aq, ts, NaN);
        if (c === c) this.cumFlow = c;
      }
    }
    // the latest divergence while it is at most ttl old (inline: a call would box ts)
    const d = this.latest;
    this.div = d !== null && ts - d.knownTs <= this.ttl ? d : null;
  }

  trade(ts: number, price: number, qty: number, sign: number, counts: boolean): void {
    if (this.divK && !(ts < this.bucketEnd)) this.sample(ts);
    const k = this.cvdK;
    k.step(ts, price, qty, sign, counts);
    if (counts) {
      this.addCvd(sign * qty);
      if (k.ready) {
        const z = this.zCvd.update(k.base, ts);
        this.zc = z === null ? NaN : z;
      }
    }
    const d = this.latest;
    this.div = d !== null && ts - d.knownTs <= this.ttl ? d : null;
  }

  reset(): void {
    this.ofiSt.reset();
    this.cumSt?.reset();
    this.cvdK.reset();
    this.zOfi.reset();
    this.zCvd.reset();
    this.divK?.reset();
    this.zo = this.zc = NaN;
    this.div = this.latest = null;
    this.gate.reset();
    this.mid = NaN;
    this.cumFlow = this.cumCvd = this.cumCvdC = 0;
    this.bucketEnd = NaN;
  }

  private addCvd(b: number): void {
    const s = this.cumCvd;
    const u = s + b;
    this.cumCvdC += Math.abs(s) >= Math.abs(b) ? s - u + b : b - u + s;
    this.cumCvd = u;
    if (this.cumSt === null) this.cumFlow = u + this.cumCvdC;
  }

  /**
   * Close the sampling interval when `ts` reaches its end: its point is the last mid and
   * cumulative flow before `ts`. It does nothing while `ts < bucketEnd`, so callers test that
   * first and call it only then (once an interval, not once an event).
   */
  private sample(ts: number): void {
    if (ts >= this.bucketEnd) {
      const d = this.divK!.step(this.bucketEnd, this.mid, this.cumFlow);
      if (d) {
        this.latest = d;
        this.onDivergence?.(d);
      }
    }
    if (!(ts < this.bucketEnd) && ts === ts) this.bucketEnd = (Math.floor(ts / this.sampleMs) + 1) * this.sampleMs;
  }

  /**
   * The columnar face over one chunk. The chunk is cut into blocks of {@link FUSION_BLOCK}
   * events of the merged order (a quote first on ties), so the scratch columns stay small and in
   * cache; each block runs in passes, each one kernel over one kind of event in the order the
   * streaming face feeds it, so the outputs are identical:
   * 1. quotes through the gate, compacted; 2. OFI over them in one run (rolling flow, and the
   * cumulative OFI when divergence reads it); 3. the z-score kernel over the flows in one run;
   * 4. trades through the CVD kernel; 5. their z-scores in one run; 6. the block's events merged:
   * z-scores carried forward, divergence sampling, the fused row.
   * `indexOf` maps a divergence to its index in the output's list.
   */
  columns(q: QuoteColumns, t: TradeColumns, out: FusionColumns, indexOf: (d: Divergence) => number): void {
    const nq = q.ts.length;
    const nt = t.ts.length;
    const qts = q.ts;
    const tts = t.ts;
    let i = 0;
    let j = 0;
    let r = 0;
    while (i < nq || j < nt) {
      // the next block: the first FUSION_BLOCK events of the merge from (i, j)
      let i1 = i;
      let j1 = j;
      for (let b = 0; b < FUSION_BLOCK && (i1 < nq || j1 < nt); b++) {
        if (j1 >= nt || (i1 < nq && !(qts[i1]! > tts[j1]!))) i1++;
        else j1++;
      }
      this.block(q, i, i1, t, j, j1, out, r, indexOf);
      r += i1 - i + (j1 - j);
      i = i1;
      j = j1;
    }
  }

  private block(q: QuoteColumns, i0: number, i1: number, t: TradeColumns, j0: number, j1: number, out: FusionColumns, r0: number, indexOf: (d: Divergence) => number): void {
    const sc = this.scratch;
    const a = this.gatePass(q, i0, i1);
    const cbp = sc.f64(0, 0);
    const cbq = sc.f64(1, 0);
    const cap = sc.f64(2, 0);
    const caq = sc.f64(3, 0);
    const cts = sc.f64(4, 0);
    // 2. OFI over the accepted quotes
    const cols = new QuoteBlock(cbp.subarray(0, a), cbq.subarray(0, a), cap.subarray(0, a), caq.subarray(0, a), cts.subarray(0, a));
    const flow = ofi(cols, this.ofiOpts, sc.f64(5, a).subarray(0, a), this.ofiSt);
    const cum = this.cumSt ? ofi(cols, this.cumOpts, sc.f64(6, a).subarray(0, a), this.cumSt) : null;
    // 3. z-scores of the flows (the first quote has none): zAt[row] = index of its z, or −1
    const m = this.flowPass(flow, cts, a);
    const zq = sc.f64(9, m).subarray(0, m);
    this.zRun(this.zOfi, sc.f64(7, m).subarray(0, m), zq, sc.f64(8, m).subarray(0, m));
    // 4. trades through the CVD kernel; 5. their z-scores
    const cum0 = this.cumCvd + this.cumCvdC;
    const c = this.tradePass(t, j0, j1);
    const zc = sc.f64(13, c).subarray(0, c);
    this.zRun(this.zCvd, sc.f64(10, c).subarray(0, c), zc, sc.f64(11, c).subarray(0, c));
    // 6. the block's events, merged
    this.mergePass(q, i0, i1, t, j0, j1, out, r0, indexOf, zq, zc, cum, cum0);
  }

  private zRun(z: ZScore, values: Float64Array, out: Float64Array, ts: Float64Array): void {
    if (z instanceof RollingZScore) rollingZScore(values, this.zopts, out, ts, z.state);
    else rollingRobustZScore(values, this.zopts, out, ts, z.state);
  }

  /** 1. Quotes through the gate, compacted into scratch 0–4; scratch i32 0 maps each quote to its row or SKIPPED. Returns the rows. */
  private gatePass(q: QuoteColumns, i0: number, i1: number): number {
    const n = i1 - i0;
    const sc = this.scratch;
    const into = new QuoteBlock(sc.f64(0, n), sc.f64(1, n), sc.f64(2, n), sc.f64(3, n), sc.f64(4, n));
    return gateQuotes(this.gate, q, i0, i1, into, sc.i32(0, n));
  }

  /** 3. The flows that have a value, into scratch 7 (values) and 8 (times); scratch i32 1 maps rows to them. */
  private flowPass(flow: Float64Array, cts: Float64Array, a: number): number {
    const sc = this.scratch;
    const zAt = sc.i32(1, a);
    const zin = sc.f64(7, a);
    const zt = sc.f64(8, a);
    let m = 0;
    for (let x = 0; x < a; x++) {
      const v = flow[x]!;
      if (v === v) {
        zin[m] = v;
        zt[m] = cts[x]!;
        zAt[x] = m++;
      } else zAt[x] = -1;
    }
    return m;
  }

  /** 4. Trades through the CVD kernel: flows to score into scratch 10/11, i32 2 maps trades to them, scratch 12 the cumulative CVD after each. */
  private tradePass(t: TradeColumns, j0: number, j1: number): number {
    const n = j1 - j0;
    const sc = this.scratch;
    const { ts: tts, price, qty, side } = t;
    const market = this.countAll ? undefined : t.market;
    const tz = sc.i32(2, n);
    const cin = sc.f64(10, n);
    const ct = sc.f64(11, n);
    const cumC = sc.f64(12, n);
    const k = this.cvdK;
    let c = 0;
    let s = this.cumCvd;
    let sc2 = this.cumCvdC;
    for (let j = j0; j < j1; j++) {
      const ts = tts[j]!;
      const counts = market === undefined || market[j] === 1;
      const sign = side[j]!;
      const qj = qty[j]!;
      k.stepAt(tts, price, qty, j, sign, counts);
      tz[j - j0] = -1;
      if (counts) {
        const b = sign * qj;
        const u = s + b;
        sc2 += Math.abs(s) >= Math.abs(b) ? s - u + b : b - u + s;
        s = u;
        if (k.ready) {
          cin[c] = k.base;
          ct[c] = ts;
          tz[j - j0] = c++;
        }
      }
      cumC[j - j0] = s + sc2;
    }
    this.cumCvd = s;
    this.cumCvdC = sc2;
    return c;
  }

  /** 6. The block's events merged: z-scores carried forward, divergence sampling, the fused rows. */
  private mergePass(q: QuoteColumns, i0: number, i1: number, t: TradeColumns, j0: number, j1: number, out: FusionColumns, r0: number, indexOf: (d: Divergence) => number, zq: Float64Array, zc: Float64Array, cum: Float64Array | null, cum0: number): void {
    const sc = this.scratch;
    const acc = sc.i32(0, 0);
    const zAt = sc.i32(1, 0);
    const tz = sc.i32(2, 0);
    const cumC = sc.f64(12, 0);
    const qts = q.ts;
    const bidPrice = q.bidPrice;
    const askPrice = q.askPrice;
    const tts = t.ts;
    const wo = this.opts.weights.ofi;
    const wc = this.opts.weights.cvd;
    const thr = this.opts.threshold;
    const sampling = this.divK !== null;
    const flowIsOfi = cum !== null;
    // z_ofi, z_cvd and the cumulative flow go from row to row through a typed array, not as
    // loop-carried locals, which V8 keeps boxed (an allocation per row) in on-stack-replaced code
    const cv = this.carried;
    cv[0] = this.zo;
    cv[1] = this.zc;
    cv[2] = flowIsOfi ? this.cumFlow : cum0;
    const oTs = out.ts;
    const oZo = out.z_ofi;
    const oZc = out.z_cvd;
    const oScore = out.score;
    const oSide = out.side;
    const oCons = out.consistency;
    const oDiv = out.divergence;
    let i = i0;
    let j = j0;
    for (let r = r0; i < i1 || j < j1; r++) {
      let ts: number;
      if (j >= j1 || (i < i1 && !(qts[i]! > tts[j]!))) {
        ts = qts[i]!;
        const x = acc[i - i0]!;
        if (x !== SKIPPED) {
          // sample() acts only when an interval closes: call it then, not with every event's ts
          if (sampling && !(ts < this.bucketEnd)) {
            this.cumFlow = cv[2]!;
            this.sample(ts);
          }
          this.mid = 0.5 * (bidPrice[i]! + askPrice[i]!);
          const y = zAt[x]!;
          if (y >= 0) cv[0] = zq[y]!;
          if (flowIsOfi) {
            const v = cum[x]!;
            if (v === v) cv[2] = v;
          }
        }
        i++;
      } else {
        ts = tts[j]!;
        if (sampling && !(ts < this.bucketEnd)) {
          this.cumFlow = cv[2]!;
          this.sample(ts);
        }
        if (!flowIsOfi) cv[2] = cumC[j - j0]!;
        const y = tz[j - j0]!;
        if (y >= 0) cv[1] = zc[y]!;
        j++;
      }
      if (sampling) {
        // the latest divergence while it is at most ttl old (inline: a call would box ts)
        const d = this.latest;
        this.div = d !== null && ts - d.knownTs <= this.ttl ? d : null;
      }
      oTs[r] = ts;
      const zo = cv[0]!;
      const zcv = cv[1]!;
      if (zo !== zo || zcv !== zcv) {
        oZo[r] = NaN;
        oZc[r] = NaN;
        oScore[r] = NaN;
        oSide[r] = 0;
        oCons[r] = NaN;
        oDiv[r] = -1;
        continue;
      }
      const score = wo * zo + wc * zcv;
      oZo[r] = zo;
      oZc[r] = zcv;
      oScore[r] = score;
      oSide[r] = score > thr ? 1 : score < -thr ? -1 : 0;
      oCons[r] = consistencyOf(zo, zcv);
      const d = this.div;
      oDiv[r] = d === null ? -1 : indexOf(d);
    }
    this.cumFlow = cv[2]!;
    this.zo = cv[0]!;
    this.zc = cv[1]!;
  }
}
