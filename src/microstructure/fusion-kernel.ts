/**
 * The kernel of the feature fusion (`fusion.ts`): its state, the per-event steps of the
 * streaming face, and the columnar face as passes over the same kernels.
 *
 * Quotes first pass the update-id gate (the rule of `ofi.ts`: with `'drop-stale'` an update whose
 * id is not above the highest accepted one is skipped; an update with a non-finite size on a
 * non-empty side is unusable), applied once in front so that OFI, the mid and the divergence
 * sampling all see the same accepted quotes, in either face. OFI then runs with `'keep'`.
 */
import type { QuoteColumns, TradeColumns } from './columns.js';
import { CvdKernel } from './cvd.js';
import { DivergenceKernel, type Divergence } from './divergence.js';
import { consistencyOf, type FusionColumns, type FusionOptions, type ResolvedFusionOptions, resolveFusionOptions } from './fusion-options.js';
import { ofi, OfiState, ofiStep, type OfiOptions } from './ofi.js';
import { RollingZScore, rollingZScore } from './rolling.js';
import { RollingRobustZScore, rollingRobustZScore } from './rolling-robust.js';

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

/**
 * State and steps of one fusion. After each step `zo`/`zc` hold the latest z-scores (`NaN`
 * before warm) and `div` the divergence to report (or `null`).
 * @internal
 */
export class FusionKernel {
  readonly opts: ResolvedFusionOptions;
  readonly countAll: boolean;
  private readonly dropStale: boolean;
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
  private lastId = -Infinity;
  private mid = NaN;
  /** Cumulative flow the divergence reads (CVD or OFI), as of the latest event. */
  private cumFlow = 0;
  private cumCvd = 0;
  private cumCvdC = 0;
  private bucketEnd = NaN;

  constructor(options: FusionOptions) {
    const o = (this.opts = resolveFusionOptions(options));
    this.countAll = o.prints === 'all';
    this.dropStale = o.updateIds === 'drop-stale';
    this.ofiOpts = { sum: o.flowWindow, updateIds: 'keep' };
    this.cumOpts = { sum: 'cumulative', updateIds: 'keep' };
    this.ofiSt = new OfiState(this.ofiOpts);
    this.cumSt = o.divergence?.flow === 'ofi' ? new OfiState(this.cumOpts) : null;
    this.cvdK = new CvdKernel({ reset: o.flowWindow, prints: o.prints });
    const zOpts = { window: o.zscore.window, minPeriods: o.zscore.minPeriods };
    this.zOfi = o.zscore.robust ? new RollingRobustZScore(zOpts) : new RollingZScore(zOpts);
    this.zCvd = o.zscore.robust ? new RollingRobustZScore(zOpts) : new RollingZScore(zOpts);
    const d = o.divergence;
    this.divK = d ? new DivergenceKernel(d) : null;
    this.sampleMs = d ? d.sampleMs : Infinity;
    this.ttl = d ? d.ttlMs : 0;
  }

  /** The update-id gate: true when the quote is to be used (and then it moves the guard). */
  private accept(id: number, bp: number, bq: number, ap: number, aq: number): boolean {
    if (this.dropStale && id <= this.lastId) return false;
    if ((bp - bp === 0 && !(bq - bq === 0)) || (ap - ap === 0 && !(aq - aq === 0))) return false;
    if (id > this.lastId) this.lastId = id;
    return true;
  }

  quote(ts: number, bp: number, bq: number, ap: number, aq: number, id: number): void {
    if (this.accept(id, bp, bq, ap, aq)) {
      if (this.divK) this.sample(ts);
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
    this.report(ts);
  }

  trade(ts: number, price: number, qty: number, sign: number, counts: boolean): void {
    if (this.divK) this.sample(ts);
    const k = this.cvdK;
    k.step(ts, price, qty, sign, counts);
    if (counts) {
      this.addCvd(sign * qty);
      if (k.ready) {
        const z = this.zCvd.update(k.base, ts);
        this.zc = z === null ? NaN : z;
      }
    }
    this.report(ts);
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
    this.lastId = -Infinity;
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

  /** Close the sampling interval when `ts` reaches its end: its point is the last mid and cumulative flow before `ts`. */
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

  private report(ts: number): void {
    const d = this.latest;
    this.div = d !== null && ts - d.knownTs <= this.ttl ? d : null;
  }

  /**
   * The columnar face over one chunk, in passes, each one kernel over one kind of event in the
   * order the streaming face feeds it, so the outputs are identical:
   * 1. quotes through the gate, compacted; 2. OFI over them in one run (rolling flow, and the
   * cumulative OFI when divergence reads it); 3. the z-score kernel over the flows in one run;
   * 4. trades through the CVD kernel; 5. their z-scores in one run; 6. the events merged by `ts`
   * (a quote first on ties): z-scores carried forward, divergence sampling, the fused row.
   * `indexOf` maps a divergence to its index in the output's list.
   */
  columns(q: QuoteColumns, t: TradeColumns, out: FusionColumns, indexOf: (d: Divergence) => number): void {
    const nq = q.ts.length;
    const nt = t.ts.length;
    const sc = this.scratch;
    const robust = this.opts.zscore.robust;
    const zopts = { window: this.opts.zscore.window, minPeriods: this.opts.zscore.minPeriods };
    const { ts: qts, bidPrice, bidQty, askPrice, askQty, updateId } = q;

    // 1. the gate: acc[i] = row among the accepted quotes, or SKIPPED
    const acc = sc.i32(0, nq);
    const cbp = sc.f64(0, nq);
    const cbq = sc.f64(1, nq);
    const cap = sc.f64(2, nq);
    const caq = sc.f64(3, nq);
    const cts = sc.f64(4, nq);
    let a = 0;
    for (let i = 0; i < nq; i++) {
      const bp = bidPrice[i]!;
      const bq = bidQty[i]!;
      const ap = askPrice[i]!;
      const aq = askQty[i]!;
      if (!this.accept(updateId !== undefined ? updateId[i]! : NaN, bp, bq, ap, aq)) {
        acc[i] = SKIPPED;
        continue;
      }
      cbp[a] = bp;
      cbq[a] = bq;
      cap[a] = ap;
      caq[a] = aq;
      cts[a] = qts[i]!;
      acc[i] = a++;
    }
    // 2. OFI over the accepted quotes
    const cols = { bidPrice: cbp.subarray(0, a), bidQty: cbq.subarray(0, a), askPrice: cap.subarray(0, a), askQty: caq.subarray(0, a), ts: cts.subarray(0, a) };
    const flow = ofi(cols, this.ofiOpts, sc.f64(5, a).subarray(0, a), this.ofiSt);
    const cum = this.cumSt ? ofi(cols, this.cumOpts, sc.f64(6, a).subarray(0, a), this.cumSt) : null;
    // 3. z-scores of the flows (the first quote has none): zAt[a] = index of its z, or −1
    const zAt = sc.i32(1, a);
    const zin = sc.f64(7, a);
    const zt = sc.f64(8, a);
    let m = 0;
    for (let r = 0; r < a; r++) {
      const v = flow[r]!;
      if (v === v) {
        zin[m] = v;
        zt[m] = cts[r]!;
        zAt[r] = m++;
      } else zAt[r] = -1;
    }
    const zq = sc.f64(9, m).subarray(0, m);
    if (robust) rollingRobustZScore(zin.subarray(0, m), zopts, zq, zt.subarray(0, m), (this.zOfi as RollingRobustZScore).state);
    else rollingZScore(zin.subarray(0, m), zopts, zq, zt.subarray(0, m), (this.zOfi as RollingZScore).state);

    // 4. trades through the CVD kernel: tz[j] = index of the trade's z, or −1; cumC[j] = CVD after it
    const { ts: tts, price, qty, side } = t;
    const market = this.countAll ? undefined : t.market;
    const tz = sc.i32(2, nt);
    const cin = sc.f64(10, nt);
    const ct = sc.f64(11, nt);
    const cumC = sc.f64(12, nt);
    const k = this.cvdK;
    let c = 0;
    const cum0 = this.cumCvd + this.cumCvdC;
    for (let j = 0; j < nt; j++) {
      const ts = tts[j]!;
      const counts = market === undefined || market[j] === 1;
      const sign = side[j]!;
      k.step(ts, price[j]!, qty[j]!, sign, counts);
      tz[j] = -1;
      if (counts) {
        const b = sign * qty[j]!;
        const s0 = this.cumCvd;
        const u = s0 + b;
        this.cumCvdC += Math.abs(s0) >= Math.abs(b) ? s0 - u + b : b - u + s0;
        this.cumCvd = u;
        if (k.ready) {
          cin[c] = k.base;
          ct[c] = ts;
          tz[j] = c++;
        }
      }
      cumC[j] = this.cumCvd + this.cumCvdC;
    }
    // 5. their z-scores
    const zc = sc.f64(13, c).subarray(0, c);
    if (robust) rollingRobustZScore(cin.subarray(0, c), zopts, zc, ct.subarray(0, c), (this.zCvd as RollingRobustZScore).state);
    else rollingZScore(cin.subarray(0, c), zopts, zc, ct.subarray(0, c), (this.zCvd as RollingZScore).state);

    // 6. merged rows
    const wo = this.opts.weights.ofi;
    const wc = this.opts.weights.cvd;
    const thr = this.opts.threshold;
    const sampling = this.divK !== null;
    const flowIsOfi = cum !== null;
    let cumFlow = this.cumFlow;
    if (!flowIsOfi) cumFlow = cum0;
    let zo = this.zo;
    let zcv = this.zc;
    let i = 0;
    let j = 0;
    for (let r = 0; i < nq || j < nt; r++) {
      let ts: number;
      if (j >= nt || (i < nq && !(qts[i]! > tts[j]!))) {
        ts = qts[i]!;
        const x = acc[i]!;
        if (x !== SKIPPED) {
          if (sampling) {
            this.cumFlow = cumFlow;
            this.sample(ts);
          }
          this.mid = 0.5 * (bidPrice[i]! + askPrice[i]!);
          const y = zAt[x]!;
          if (y >= 0) zo = zq[y]!;
          if (flowIsOfi) {
            const v = cum[x]!;
            if (v === v) cumFlow = v;
          }
        }
        i++;
      } else {
        ts = tts[j]!;
        if (sampling) {
          this.cumFlow = cumFlow;
          this.sample(ts);
        }
        if (!flowIsOfi) cumFlow = cumC[j]!;
        const y = tz[j]!;
        if (y >= 0) zcv = zc[y]!;
        j++;
      }
      this.report(ts);
      out.ts[r] = ts;
      if (zo !== zo || zcv !== zcv) {
        out.z_ofi[r] = NaN;
        out.z_cvd[r] = NaN;
        out.score[r] = NaN;
        out.consistency[r] = NaN;
        out.divergence[r] = -1;
        continue;
      }
      const score = wo * zo + wc * zcv;
      out.z_ofi[r] = zo;
      out.z_cvd[r] = zcv;
      out.score[r] = score;
      out.side[r] = score > thr ? 1 : score < -thr ? -1 : 0;
      out.consistency[r] = consistencyOf(zo, zcv);
      out.divergence[r] = this.div === null ? -1 : indexOf(this.div);
    }
    this.cumFlow = cumFlow;
    this.zo = zo;
    this.zc = zcv;
  }
}
