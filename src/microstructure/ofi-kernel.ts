/**
 * The one kernel of best-level OFI (see `ofi.ts` for the formula and the rules it applies): it
 * runs over rows `from … to` of quote columns, with the whole state — previous quote, update-id
 * guard, and the sums of `ofi-aggregate.ts` specialised to one flow and one depth channel — held
 * in locals for the loop. The columnar face runs it over a column; the streaming face over a
 * one-row column. Hot-path aim: tens of millions of updates a second, no allocation.
 */
import { UserInputError } from '../core/errors.js';
import type { TopOfBookColumns } from './calculator.js';
import { MODE_BAR, MODE_EVENT, MODE_ROLLING, RECOMPUTE_MIN, resolveOfiSum, type OfiAggregationOptions } from './ofi-aggregate.js';

/** Options of best-level OFI. */
export interface OfiOptions extends OfiAggregationOptions {
  /** Skip updates whose id is not above the highest accepted one (`'drop-stale'`, default), or use every update (`'keep'`). */
  updateIds?: 'drop-stale' | 'keep';
}

/** Columns of best bid/ask updates, with the optional time and update-id columns. */
export interface OfiColumns extends TopOfBookColumns {
  ts?: Float64Array;
  updateId?: Float64Array;
}

/**
 * One-row quote columns, a class and not an object literal: V8 shares the hidden class of
 * literals with the same keys in the same order, so a literal `{ bidPrice: Float64Array, … }`
 * here would make every caller's `{ bidPrice: 100.5, … }` scratch quote store its numbers boxed
 * (a heap allocation per field write).
 */
class OneQuoteRow implements Required<OfiColumns> {
  readonly bidPrice = new Float64Array(1);
  readonly bidQty = new Float64Array(1);
  readonly askPrice = new Float64Array(1);
  readonly askQty = new Float64Array(1);
  readonly ts = new Float64Array(1);
  readonly updateId = new Float64Array(1);
}

/** The state of one best-level OFI series; pass it back to `ofi()` to continue. */
export class OfiState {
  readonly mode: number;
  readonly normalize: boolean;
  readonly timed: boolean;
  readonly span: number;
  readonly dropStale: boolean;
  readonly key: string;
  pb = 0;
  qb = 0;
  pa = 0;
  qa = 0;
  hasPrev = false;
  lastId = -Infinity;
  /** Last output (`NaN` until the first flow). */
  last = NaN;
  /** Updates skipped because their id equals the highest accepted one. */
  duplicates = 0;
  /** Updates skipped because their id is below the highest accepted one. */
  outOfOrder = 0;
  /** Updates refused because a non-empty side has a non-finite size. */
  invalid = 0;
  /** Timestamps that went back (or were NaN) and were clamped to the latest one (time sums). */
  clamped = 0;
  // sums of flow (e) and depth (d), with TwoSum compensations
  se = 0;
  ce = 0;
  sd = 0;
  cd = 0;
  /** Updates in the current sum. */
  n = 0;
  /** Rolling sums: interleaved (e, d) per update, and times. */
  ring: Float64Array;
  times: Float64Array;
  head = 0;
  count = 0;
  bar = -Infinity;
  lastTs = -Infinity;
  since = 0;
  /** e_n of the latest update that produced one (raw, before sums and normalisation). */
  readonly flow = new Float64Array(1);
  /** One-row columns for {@link ofiStep}. */
  readonly row: Required<OfiColumns> = new OneQuoteRow();
  readonly out1 = new Float64Array(1);

  constructor(options: OfiOptions = {}) {
    const ids = options.updateIds ?? 'drop-stale';
    if (ids !== 'drop-stale' && ids !== 'keep') throw new UserInputError(`updateIds: expected 'drop-stale' or 'keep', got ${String(ids)}`, 'E_OPTION');
    const c = resolveOfiSum(options);
    this.mode = c.mode;
    this.normalize = c.normalize;
    this.timed = c.timed;
    this.span = c.span;
    this.dropStale = ids === 'drop-stale';
    this.key = `${c.key}|${ids}`;
    this.ring = new Float64Array(2 * c.capacity);
    this.times = new Float64Array(this.timed && this.mode === MODE_ROLLING ? c.capacity : 0);
  }

  /** Updates skipped for their id, in all. */
  get stale(): number {
    return this.duplicates + this.outOfOrder;
  }

  reset(): void {
    this.pb = this.qb = this.pa = this.qa = 0;
    this.hasPrev = false;
    this.lastId = -Infinity;
    this.last = NaN;
    this.duplicates = this.outOfOrder = this.invalid = this.clamped = 0;
    this.se = this.ce = this.sd = this.cd = 0;
    this.n = this.head = this.count = this.since = 0;
    this.bar = -Infinity;
    this.lastTs = -Infinity;
  }
}

function grow(st: OfiState): void {
  const cap = st.times.length;
  const ring = new Float64Array(st.ring.length * 2);
  const times = new Float64Array(cap * 2);
  for (let i = 0, j = st.head; i < st.count; i++) {
    ring[2 * i] = st.ring[2 * j]!;
    ring[2 * i + 1] = st.ring[2 * j + 1]!;
    times[i] = st.times[j]!;
    if (++j === cap) j = 0;
  }
  st.ring = ring;
  st.times = times;
  st.head = 0;
}

/** Recompute the rolling sums exactly from the ring. */
function recompute(st: OfiState): void {
  const cap = st.ring.length >> 1;
  let se = 0;
  let ce = 0;
  let sd = 0;
  let cd = 0;
  for (let i = 0, j = st.head; i < st.count; i++) {
    const e = st.ring[2 * j]!;
    let u = se + e;
    let b = u - se;
    ce += se - (u - b) + (e - b);
    se = u;
    const d = st.ring[2 * j + 1]!;
    u = sd + d;
    b = u - sd;
    cd += sd - (u - b) + (d - b);
    sd = u;
    if (++j === cap) j = 0;
  }
  st.se = se;
  st.ce = ce;
  st.sd = sd;
  st.cd = cd;
  st.since = 0;
}

/**
 * Best-level OFI over rows `from … to − 1` of `c` into `out` (same rows; `NaN` for no value),
 * continuing from `st` and leaving it ready for the next rows.
 */
export function ofiRun(st: OfiState, c: OfiColumns, out: Float64Array, from: number, to: number): void {
  // The worst prices, as locals set on every call: `-Infinity` written in the loop is a unary
  // minus on the global `Infinity`, and in a branch that has never run it has no type feedback,
  // so V8 would keep the price variables tagged and box every price read (an allocation per
  // update, and a third of the speed). A bundler turns a module `const` into a `var`, which is
  // no better.
  const worstBid = -Infinity;
  const worstAsk = Infinity;
  const BP = c.bidPrice;
  const BQ = c.bidQty;
  const AP = c.askPrice;
  const AQ = c.askQty;
  const TS = c.ts;
  const ID = c.updateId;
  const mode = st.mode;
  const normalize = st.normalize;
  const timed = st.timed;
  const span = st.span;
  const dropStale = st.dropStale;
  const flow = st.flow;
  let pb = st.pb;
  let qb = st.qb;
  let pa = st.pa;
  let qa = st.qa;
  let hasPrev = st.hasPrev;
  let lastId = st.lastId;
  let last = st.last;
  let se = st.se;
  let ce = st.ce;
  let sd = st.sd;
  let cd = st.cd;
  let n = st.n;
  let ring = st.ring;
  let times = st.times;
  let cap = ring.length >> 1;
  let head = st.head;
  let count = st.count;
  let bar = st.bar;
  let lastTs = st.lastTs;
  let since = st.since;
  for (let i = from; i < to; i++) {
    const id = ID !== undefined ? ID[i]! : NaN;
    let bp = BP[i]!;
    let bq = BQ[i]!;
    let ap = AP[i]!;
    let aq = AQ[i]!;
    let skip = false;
    if (dropStale && id <= lastId) {
      if (id === lastId) st.duplicates++;
      else st.outOfOrder++;
      skip = true;
    } else {
      // an empty side is an empty queue at the worst possible price
      if (!(bp - bp === 0)) {
        bp = worstBid;
        bq = 0;
      } else if (!(bq - bq === 0)) skip = true;
      if (!(ap - ap === 0)) {
        ap = worstAsk;
        aq = 0;
      } else if (!(aq - aq === 0)) skip = true;
      if (skip) st.invalid++;
    }
    if (skip) {
      // the update adds nothing: per event that is 0, otherwise the sums stand
      if (mode === MODE_EVENT && last === last) last = 0;
      out[i] = last;
      continue;
    }
    if (id > lastId) lastId = id;
    if (!hasPrev) {
      hasPrev = true;
      pb = bp;
      qb = bq;
      pa = ap;
      qa = aq;
      out[i] = last;
      continue;
    }
    const e = (bp >= pb ? bq : 0) - (bp <= pb ? qb : 0) - (ap <= pa ? aq : 0) + (ap >= pa ? qa : 0);
    flow[0] = e;
    pb = bp;
    qb = bq;
    pa = ap;
    qa = aq;
    const d = (bq + aq) * 0.5;
    if (mode === MODE_EVENT) {
      last = normalize ? (d > 0 ? e / d : NaN) : e;
      out[i] = last;
      continue;
    }
    let t = 0;
    if (timed) {
      t = TS![i]!;
      if (t >= lastTs) lastTs = t;
      else {
        st.clamped++;
        t = lastTs;
      }
    }
    if (mode === MODE_BAR) {
      const b = Math.floor(t / span);
      if (b !== bar) {
        bar = b;
        se = ce = sd = cd = 0;
        n = 0;
      }
    } else if (mode === MODE_ROLLING) {
      if (timed) {
        const edge = t - span;
        while (count > 0 && times[head]! <= edge) {
          const x = -ring[2 * head]!;
          const y = -ring[2 * head + 1]!;
          if (++head === cap) head = 0;
          n--;
          if (--count === 0) se = ce = sd = cd = 0;
          else {
            let u = se + x;
            let b = u - se;
            ce += se - (u - b) + (x - b);
            se = u;
            u = sd + y;
            b = u - sd;
            cd += sd - (u - b) + (y - b);
            sd = u;
          }
        }
        if (count === cap) {
          st.head = head;
          st.count = count;
          grow(st);
          ring = st.ring;
          times = st.times;
          cap = ring.length >> 1;
          head = 0;
        }
      } else if (count === span) {
        const x = -ring[2 * head]!;
        const y = -ring[2 * head + 1]!;
        if (++head === cap) head = 0;
        n--;
        if (--count === 0) se = ce = sd = cd = 0;
        else {
          let u = se + x;
          let b = u - se;
          ce += se - (u - b) + (x - b);
          se = u;
          u = sd + y;
          b = u - sd;
          cd += sd - (u - b) + (y - b);
          sd = u;
        }
      }
      let slot = head + count;
      if (slot >= cap) slot -= cap;
      ring[2 * slot] = e;
      ring[2 * slot + 1] = d;
      if (timed) times[slot] = t;
      count++;
    }
    let u = se + e;
    let b = u - se;
    ce += se - (u - b) + (e - b);
    se = u;
    u = sd + d;
    b = u - sd;
    cd += sd - (u - b) + (d - b);
    sd = u;
    n++;
    if (mode === MODE_ROLLING && ++since >= RECOMPUTE_MIN && since >= count) {
      st.head = head;
      st.count = count;
      recompute(st);
      se = st.se;
      ce = st.ce;
      sd = st.sd;
      cd = st.cd;
      since = 0;
    }
    if (normalize) {
      const avg = (sd + cd) / n;
      last = avg > 0 ? (se + ce) / avg : NaN;
    } else last = se + ce;
    out[i] = last;
  }
  st.pb = pb;
  st.qb = qb;
  st.pa = pa;
  st.qa = qa;
  st.hasPrev = hasPrev;
  st.lastId = lastId;
  st.last = last;
  st.se = se;
  st.ce = ce;
  st.sd = sd;
  st.cd = cd;
  st.n = n;
  st.head = head;
  st.count = count;
  st.bar = bar;
  st.lastTs = lastTs;
  st.since = since;
}

/**
 * One update through the kernel (a run of one row), for calculators that drive OFI update by
 * update alongside other state: returns the OFI after it (`NaN` for no value); `st.flow[0]` then
 * holds the update's raw e_n, and the skip counters tell whether it was skipped.
 */
export function ofiStep(st: OfiState, bidPrice: number, bidQty: number, askPrice: number, askQty: number, ts: number, updateId: number): number {
  const r = st.row;
  r.bidPrice[0] = bidPrice;
  r.bidQty[0] = bidQty;
  r.askPrice[0] = askPrice;
  r.askQty[0] = askQty;
  r.ts[0] = ts;
  r.updateId[0] = updateId;
  ofiRun(st, r, st.out1, 0, 1);
  return st.out1[0]!;
}
