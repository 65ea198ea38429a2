/**
 * Stage 1 of a backtest: the feature rows of the merged event stream, per symbol, computed once
 * and kept as typed columns ({@link FeatureTable}) that stage 2 (signals, strategy mode, risk,
 * simulator: `driver.ts`) reads row by row. Stage 1 depends only on the `features` section, so
 * a sweep over signal, risk, strategy or simulator parameters computes it once per distinct
 * feature configuration ({@link FeatureStage.key}) and shares it: a table of plain typed arrays
 * a worker can receive without a copy.
 *
 * The rows are those of the feature set (`microstructure/feature-set.ts`) that
 * `CoreAlgorithm.updateFeatures` reads: for update rows (one per quote or trade, the default)
 * the carried `mid` and `spread` of the accepted quotes, the fused `z_ofi`, `z_cvd`, `score`,
 * `side`, `consistency` and the divergence in force; for bar rows also the bar's time and its
 * quote and trade counts. Row `r` belongs to event `at[r]` of the stream: an update row to its
 * own quote or trade, a time bar's row to the event whose arrival closed the bar (the row knows
 * nothing of that event), an event bar's row to its last event. A driver hands the row to the
 * strategy right after that event, so no row is ever seen before the data it was made from.
 *
 * Update rows are computed by the columnar face of the fusion (`FeatureFusion.updateColumns`):
 * each window of the stream is split by symbol, each symbol's quotes and trades gathered into
 * typed columns and fused in one call, and the results scattered back to stream order. The
 * fusion merges quotes and trades by time, a quote first on ties — the stream's own order for
 * one symbol whenever its times do not go back; where they do (a source that steps back), that
 * symbol's window is fed through the streaming face in stream order instead, which continues
 * the same state. Both faces call one kernel, so the rows equal the feature set's, bit for bit
 * (`test/backtest/features-stage.test.ts`). Bar rows come from the feature set itself.
 *
 * @see Cont, Kukanov & Stoikov (2014) for OFI; `microstructure/fusion.ts` for the fusion.
 */
import { DIVERGENCE_TYPES, type Divergence } from '../microstructure/divergence.js';
import { featureSetOptionsFromConfig, FeatureSet, type FeatureSetOptions } from '../microstructure/feature-set.js';
import type { FeatureRow } from '../microstructure/feature-columns.js';
import type { FeaturesConfig } from '../microstructure/config.js';
import { fingerprint } from '../microstructure/fingerprint.js';
import { FeatureFusion, newFusionColumns, type FusionColumns } from '../microstructure/fusion.js';
import { QuoteGate } from '../microstructure/quote-gate.js';
import type { FeatureRowColumns } from '../signals/core-algorithm.js';
import { QUOTE, TRADE } from './data/columns.js';
import type { EventTable } from './data/event-table.js';

/** Version of the stage's rows, part of {@link FeatureStage.key}: bumped when a row would change. */
export const FEATURE_STAGE_VERSION = 1;

/** Kind code of a bar row (update rows carry their event's kind code). */
export const BAR_ROW = 4;

/** Stream events per window of the columnar pass: the gathered columns stay in cache. */
const WINDOW = 65_536;

/** Feature rows as typed columns (see the module comment): the signal layer's row columns, each row's event and bar. */
export interface FeatureTable extends FeatureRowColumns {
  length: number;
  /** Event index (in the table the rows were computed over) after which the row is delivered. */
  at: Int32Array;
  /** Bar rows only (null for update rows, whose symbol, kind and time are their event's). */
  bar: { sym: Uint16Array; end: Float64Array; quotes: Float64Array; trades: Float64Array } | null;
}

/** Growable feature columns. */
class Rows {
  n = 0;
  cap: number;
  at: Int32Array;
  mid: Float64Array;
  spread: Float64Array;
  zo: Float64Array;
  zc: Float64Array;
  score: Float64Array;
  side: Int8Array;
  cons: Float64Array;
  divType: Int8Array;
  divStrength: Float64Array;
  sym: Uint16Array | null;
  end: Float64Array | null;
  quotes: Float64Array | null;
  trades: Float64Array | null;

  constructor(cap: number, bars: boolean) {
    this.cap = Math.max(16, cap);
    const c = this.cap;
    this.at = new Int32Array(c);
    this.mid = new Float64Array(c);
    this.spread = new Float64Array(c);
    this.zo = new Float64Array(c);
    this.zc = new Float64Array(c);
    this.score = new Float64Array(c);
    this.side = new Int8Array(c);
    this.cons = new Float64Array(c);
    this.divType = new Int8Array(c);
    this.divStrength = new Float64Array(c);
    this.sym = bars ? new Uint16Array(c) : null;
    this.end = bars ? new Float64Array(c) : null;
    this.quotes = bars ? new Float64Array(c) : null;
    this.trades = bars ? new Float64Array(c) : null;
  }

  ensure(n: number): void {
    if (n <= this.cap) return;
    let c = this.cap * 2;
    while (c < n) c *= 2;
    const g = <T extends Float64Array | Int32Array | Int8Array | Uint16Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(c);
      b.set(a.subarray(0, this.n) as never);
      return b;
    };
    this.at = g(this.at);
    this.mid = g(this.mid);
    this.spread = g(this.spread);
    this.zo = g(this.zo);
    this.zc = g(this.zc);
    this.score = g(this.score);
    this.side = g(this.side);
    this.cons = g(this.cons);
    this.divType = g(this.divType);
    this.divStrength = g(this.divStrength);
    if (this.sym) {
      this.sym = g(this.sym);
      this.end = g(this.end!);
      this.quotes = g(this.quotes!);
      this.trades = g(this.trades!);
    }
    this.cap = c;
  }

  /** A row from a feature set's (reused) row object. */
  push(at: number, r: FeatureRow, sym: number): void {
    const n = this.n;
    this.ensure(n + 1);
    this.at[n] = at;
    const b = r.bar;
    this.mid[n] = b ? b.close : r.mid;
    this.spread[n] = b ? b.spread : r.spread;
    this.zo[n] = r.z_ofi;
    this.zc[n] = r.z_cvd;
    this.score[n] = r.score;
    this.side[n] = r.side;
    this.cons[n] = r.consistency;
    this.divType[n] = r.div_type === null ? -1 : DIVERGENCE_TYPES.indexOf(r.div_type as never);
    this.divStrength[n] = r.div_strength;
    if (this.sym && b) {
      this.sym[n] = sym;
      this.end![n] = b.end;
      this.quotes![n] = b.quotes;
      this.trades![n] = b.trades;
    }
    this.n = n + 1;
  }

  table(fp: string): FeatureTable {
    const n = this.n;
    return {
      length: n,
      at: this.at.subarray(0, n),
      mid: this.mid.subarray(0, n),
      spread: this.spread.subarray(0, n),
      z_ofi: this.zo.subarray(0, n),
      z_cvd: this.zc.subarray(0, n),
      score: this.score.subarray(0, n),
      side: this.side.subarray(0, n),
      consistency: this.cons.subarray(0, n),
      divType: this.divType.subarray(0, n),
      divStrength: this.divStrength.subarray(0, n),
      bar: this.sym ? { sym: this.sym.subarray(0, n), end: this.end!.subarray(0, n), quotes: this.quotes!.subarray(0, n), trades: this.trades!.subarray(0, n) } : null,
      fp,
    };
  }
}

/** Gathered columns of a window's quotes and trades, symbol after symbol (segment `s` from `qOff[s]`, `tOff[s]`). */
class Gather {
  qts = new Float64Array(0);
  bp = new Float64Array(0);
  bq = new Float64Array(0);
  ap = new Float64Array(0);
  aq = new Float64Array(0);
  uid = new Float64Array(0);
  qRow = new Int32Array(0);
  tts = new Float64Array(0);
  price = new Float64Array(0);
  qty = new Float64Array(0);
  side = new Int8Array(0);
  market = new Uint8Array(0);
  tRow = new Int32Array(0);
  qOff = new Int32Array(0);
  tOff = new Int32Array(0);
  qPos = new Int32Array(0);
  tPos = new Int32Array(0);

  reserve(nq: number, nt: number, symbols: number): void {
    if (nq > this.qts.length) {
      const c = Math.max(nq, 1024);
      this.qts = new Float64Array(c);
      this.bp = new Float64Array(c);
      this.bq = new Float64Array(c);
      this.ap = new Float64Array(c);
      this.aq = new Float64Array(c);
      this.uid = new Float64Array(c);
      this.qRow = new Int32Array(c);
    }
    if (nt > this.tts.length) {
      const c = Math.max(nt, 1024);
      this.tts = new Float64Array(c);
      this.price = new Float64Array(c);
      this.qty = new Float64Array(c);
      this.side = new Int8Array(c);
      this.market = new Uint8Array(c);
      this.tRow = new Int32Array(c);
    }
    if (symbols + 1 > this.qOff.length) {
      this.qOff = new Int32Array(symbols + 1);
      this.tOff = new Int32Array(symbols + 1);
      this.qPos = new Int32Array(symbols + 1);
      this.tPos = new Int32Array(symbols + 1);
    }
  }
}

/** One symbol's segment of a {@link Gather}, as views. */
interface Segment {
  nq: number;
  nt: number;
  qts: Float64Array;
  bp: Float64Array;
  bq: Float64Array;
  ap: Float64Array;
  aq: Float64Array;
  uid: Float64Array;
  qRow: Int32Array;
  tts: Float64Array;
  price: Float64Array;
  qty: Float64Array;
  side: Int8Array;
  market: Uint8Array;
  tRow: Int32Array;
}

function segment(g: Gather, s: number): Segment {
  const q0 = g.qOff[s]!;
  const q1 = g.qOff[s + 1]!;
  const t0 = g.tOff[s]!;
  const t1 = g.tOff[s + 1]!;
  return {
    nq: q1 - q0,
    nt: t1 - t0,
    qts: g.qts.subarray(q0, q1),
    bp: g.bp.subarray(q0, q1),
    bq: g.bq.subarray(q0, q1),
    ap: g.ap.subarray(q0, q1),
    aq: g.aq.subarray(q0, q1),
    uid: g.uid.subarray(q0, q1),
    qRow: g.qRow.subarray(q0, q1),
    tts: g.tts.subarray(t0, t1),
    price: g.price.subarray(t0, t1),
    qty: g.qty.subarray(t0, t1),
    side: g.side.subarray(t0, t1),
    market: g.market.subarray(t0, t1),
    tRow: g.tRow.subarray(t0, t1),
  };
}

/** One symbol's state across windows and chunks. */
class SymbolState {
  readonly fusion: FeatureFusion;
  readonly gate: QuoteGate;
  readonly set: FeatureSet | null;
  mid = NaN;
  spread = NaN;
  /** Where the feature set's rows go now (its sink is fixed at construction). */
  at = 0;
  sym = 0;

  constructor(symbol: string, options: FeatureSetOptions, streaming: boolean, rows: () => Rows) {
    this.fusion = new FeatureFusion(options.fusion ?? {});
    this.gate = new QuoteGate(this.fusion.resolved.updateIds);
    this.set = streaming ? new FeatureSet(symbol, options, (r) => rows().push(this.at, r, this.sym)) : null;
  }
}

/**
 * Buffers that one {@link FeatureStage} after another reuses in one thread
 * ({@link FeatureStageOptions.scratch}): the rows' columns, the gathered windows and the fusion's
 * output. A sweep run that computes its own features (`--no-feature-cache`) allocated about
 * 40 MB of them over the sample × 8, external memory that made V8 mark its whole heap after
 * nearly every run to free them (Node's `ArrayBuffer`s count against the heap's external-memory
 * limit). A table a stage makes with a scratch lives in the scratch's buffers: it is valid until
 * the next `run` of any stage given the same scratch, so a scratch is for a caller that is done
 * with each table before it makes the next.
 *
 * @example
 * const scratch = new FeatureScratch(); // one per thread
 * for (const plan of plans) use(new FeatureStage(plan.features, { scratch }).run(events));
 */
export class FeatureScratch {
  // nominal: only a scratch is a scratch (its buffers are kept in `lent`)
  private readonly kind = 'feature-scratch';
}

/** The buffers of each {@link FeatureScratch}. */
interface Lent {
  rows: Rows | null;
  gather: Gather;
  fout: FusionColumns;
}
const lent = new WeakMap<FeatureScratch, Lent>();

function newLent(): Lent {
  return { rows: null, gather: new Gather(), fout: newFusionColumns(0) };
}

function lentOf(scratch: FeatureScratch): Lent {
  let l = lent.get(scratch);
  if (!l) lent.set(scratch, (l = newLent()));
  return l;
}

/** Options of {@link FeatureStage}. */
export interface FeatureStageOptions {
  /** `columnar` (default) or `streaming` (the feature set event by event: the reference). */
  engine?: 'columnar' | 'streaming';
  /**
   * Buffers to make the tables in, reused from stage to stage ({@link FeatureScratch}): each
   * table is then valid only until the next `run` with the same scratch. Default: new buffers
   * for every `run`, each table valid for as long as it is kept.
   */
  scratch?: FeatureScratch;
}

/**
 * Stage 1 over one stream: call {@link run} on each chunk in order (state carries from chunk to
 * chunk per symbol), or once on a whole table.
 *
 * @example
 * const features = new FeatureStage(config.features).run(events); // FeatureTable
 */
export class FeatureStage {
  readonly options: FeatureSetOptions;
  /** Fingerprint of the fusion options (the rows' `fp`). */
  readonly fp: string;
  /** Identity of the computation: equal keys, equal rows for the same stream. */
  readonly key: string;
  private readonly bars: boolean;
  private readonly streaming: boolean;
  private readonly states = new Map<string, SymbolState>();
  private rows = new Rows(16, false);
  /** The gathered windows and the fusion's output: the scratch's, or this stage's own. */
  private readonly lent: Lent;
  private readonly reuseRows: boolean;
  /** The mid and spread carried from row to row (a typed array: loop-carried doubles would be boxed). */
  private readonly carried = new Float64Array(2);
  // scratch events for the streaming face of the fusion
  private readonly q = { type: 'quote' as const, ts: 0, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0, updateId: NaN };
  private readonly t = { type: 'trade' as const, ts: 0, price: 0, qty: 0, side: 'buy' as 'buy' | 'sell', printKind: 'MARKET' };

  constructor(features: FeatureSetOptions | FeaturesConfig = {}, options: FeatureStageOptions = {}) {
    this.options = isFeaturesConfig(features) ? featureSetOptionsFromConfig(features) : features;
    const fusion = new FeatureFusion(this.options.fusion ?? {});
    this.fp = fusion.fp;
    this.bars = (this.options.bar ?? null) !== null;
    this.streaming = this.bars || options.engine === 'streaming';
    this.lent = options.scratch ? lentOf(options.scratch) : newLent();
    this.reuseRows = options.scratch !== undefined;
    this.key = fingerprint({
      version: FEATURE_STAGE_VERSION,
      fusion: fusion.resolved,
      bar: this.options.bar ?? null,
      emptyBars: this.options.emptyBars ?? 'skip',
      cvdReset: this.options.cvdReset ?? 'none',
      normalize: this.options.normalize ?? false,
    });
  }

  /** Feature rows of events `[0, t.length)` of a table (a chunk, or a whole stream), continuing each symbol's state. */
  run(t: EventTable): FeatureTable {
    const n = t.length;
    let expect = 0;
    if (!this.bars) for (let i = 0; i < n; i++) if (t.kind[i] === QUOTE || t.kind[i] === TRADE) expect++;
    this.rows = this.rowsFor(this.bars ? 1024 : expect);
    const states = t.symbols.map((s) => this.stateOf(s));
    if (this.streaming) this.runStreaming(t, states);
    else for (let w = 0; w < n; w += WINDOW) this.window(t, states, w, Math.min(n, w + WINDOW));
    return this.rows.table(this.fp);
  }

  /** Rows for `cap` rows to start with: the scratch's, emptied, when it has room, else new ones (kept in the scratch). */
  private rowsFor(cap: number): Rows {
    if (!this.reuseRows) return new Rows(cap, this.bars);
    const l = this.lent;
    if (l.rows && l.rows.cap >= cap && (l.rows.sym !== null) === this.bars) {
      l.rows.n = 0;
      return l.rows;
    }
    return (l.rows = new Rows(cap, this.bars));
  }

  /** End of the stream: the open bars' rows (bar rows only), delivered after event `lastIndex` of the last table. */
  flush(lastIndex: number): FeatureTable {
    this.rows = new Rows(16, this.bars);
    if (this.bars) {
      for (const st of this.states.values()) {
        st.at = lastIndex;
        st.set!.flush();
      }
    }
    return this.rows.table(this.fp);
  }

  private stateOf(symbol: string): SymbolState {
    let st = this.states.get(symbol);
    if (!st) this.states.set(symbol, (st = new SymbolState(symbol, this.options, this.streaming, () => this.rows)));
    return st;
  }

  /** The feature set, event by event (bar rows, and the reference engine). */
  private runStreaming(t: EventTable, states: SymbolState[]): void {
    const { kind, sym, row } = t;
    const qc = t.quote;
    const tc = t.trade;
    for (let i = 0; i < t.length; i++) {
      const k = kind[i];
      if (k !== QUOTE && k !== TRADE) continue;
      const st = states[sym[i]!]!;
      st.at = i;
      st.sym = sym[i]!;
      const r = row[i]!;
      if (k === QUOTE) st.set!.quote(qc.ts[r]!, qc.bidPrice[r]!, qc.bidQty[r]!, qc.askPrice[r]!, qc.askQty[r]!, qc.updateId[r]!);
      else st.set!.trade(tc.ts[r]!, tc.price[r]!, tc.qty[r]!, tc.side[r]!, t.printKinds[tc.print[r]!]!);
    }
  }

  /** The columnar pass over events `[w0, w1)`: gather by symbol, fuse each symbol in one call, scatter back. */
  private window(t: EventTable, states: SymbolState[], w0: number, w1: number): void {
    const rows = this.rows;
    const { kind, sym, row } = t;
    const S = states.length;
    const g = this.lent.gather;
    g.reserve(w1 - w0, w1 - w0, S);
    const { qOff, tOff, qPos, tPos } = g;
    qOff.fill(0, 0, S + 1);
    tOff.fill(0, 0, S + 1);
    for (let i = w0; i < w1; i++) {
      const k = kind[i];
      if (k === QUOTE) qOff[sym[i]! + 1]!++;
      else if (k === TRADE) tOff[sym[i]! + 1]!++;
    }
    for (let s = 0; s < S; s++) {
      qOff[s + 1]! += qOff[s]!;
      tOff[s + 1]! += tOff[s]!;
    }
    qPos.set(qOff.subarray(0, S));
    tPos.set(tOff.subarray(0, S));
    const qc = t.quote;
    const tc = t.trade;
    let r = rows.n;
    for (let i = w0; i < w1; i++) {
      const k = kind[i];
      if (k === QUOTE) {
        const x = row[i]!;
        const a = qPos[sym[i]!]!++;
        g.qts[a] = qc.ts[x]!;
        g.bp[a] = qc.bidPrice[x]!;
        g.bq[a] = qc.bidQty[x]!;
        g.ap[a] = qc.askPrice[x]!;
        g.aq[a] = qc.askQty[x]!;
        g.uid[a] = qc.updateId[x]!;
        g.qRow[a] = r;
        rows.at[r++] = i;
      } else if (k === TRADE) {
        const x = row[i]!;
        const b = tPos[sym[i]!]!++;
        g.tts[b] = tc.ts[x]!;
        g.price[b] = tc.price[x]!;
        g.qty[b] = tc.qty[x]!;
        g.side[b] = tc.side[x]!;
        g.market[b] = tc.market[x]!;
        g.tRow[b] = r;
        rows.at[r++] = i;
      }
    }
    rows.n = r;
    for (let s = 0; s < S; s++) {
      if (qOff[s + 1] === qOff[s] && tOff[s + 1] === tOff[s]) continue;
      const seg = segment(g, s);
      if (fusionOrderIsStreamOrder(seg)) this.fuseColumnar(states[s]!, seg);
      else this.fuseStreaming(states[s]!, seg);
    }
  }

  private fuseColumnar(st: SymbolState, g: Segment): void {
    const { nq, nt } = g;
    const n = nq + nt;
    const l = this.lent;
    if (l.fout.ts.length < n) l.fout = newFusionColumns(Math.max(n, 1024));
    const quotes = { ts: g.qts, bidPrice: g.bp, bidQty: g.bq, askPrice: g.ap, askQty: g.aq, updateId: g.uid };
    const trades = { ts: g.tts, price: g.price, qty: g.qty, side: g.side, market: g.market };
    const f = st.fusion.updateColumns(quotes, trades, l.fout);
    const rows = this.rows;
    const divs = f.divergences;
    // the same merge walk, scattering the fused rows and carrying the mid of accepted quotes
    const cv = this.carried;
    cv[0] = st.mid;
    cv[1] = st.spread;
    let i = 0;
    let j = 0;
    for (let k = 0; k < n; k++) {
      let r: number;
      if (j >= nt || (i < nq && !(g.qts[i]! > g.tts[j]!))) {
        r = g.qRow[i]!;
        if (st.gate.acceptAt(quotes, i)) {
          cv[0] = 0.5 * (g.bp[i]! + g.ap[i]!);
          cv[1] = g.ap[i]! - g.bp[i]!;
        }
        i++;
      } else {
        r = g.tRow[j++]!;
      }
      rows.mid[r] = cv[0]!;
      rows.spread[r] = cv[1]!;
      rows.zo[r] = f.z_ofi[k]!;
      rows.zc[r] = f.z_cvd[k]!;
      rows.score[r] = f.score[k]!;
      rows.side[r] = f.side[k]!;
      rows.cons[r] = f.consistency[k]!;
      const d = f.divergence[k]!;
      if (d < 0) {
        rows.divType[r] = -1;
        rows.divStrength[r] = NaN;
      } else {
        const dv = divs[d]!;
        rows.divType[r] = DIVERGENCE_TYPES.indexOf(dv.type);
        rows.divStrength[r] = dv.strength;
      }
    }
    st.mid = cv[0]!;
    st.spread = cv[1]!;
  }

  /** The streaming face in stream order (rows ascending), for a symbol whose times go back. */
  private fuseStreaming(st: SymbolState, g: Segment): void {
    const { nq, nt } = g;
    const rows = this.rows;
    const quotes = { bidPrice: g.bp, bidQty: g.bq, askPrice: g.ap, askQty: g.aq, updateId: g.uid };
    let i = 0;
    let j = 0;
    while (i < nq || j < nt) {
      let r: number;
      if (j >= nt || (i < nq && g.qRow[i]! < g.tRow[j]!)) {
        r = g.qRow[i]!;
        const q = this.q;
        q.ts = g.qts[i]!;
        q.bidPrice = g.bp[i]!;
        q.bidQty = g.bq[i]!;
        q.askPrice = g.ap[i]!;
        q.askQty = g.aq[i]!;
        q.updateId = g.uid[i]!;
        if (st.gate.acceptAt(quotes, i)) {
          st.mid = 0.5 * (q.bidPrice + q.askPrice);
          st.spread = q.askPrice - q.bidPrice;
        }
        st.fusion.update(q);
        i++;
      } else {
        r = g.tRow[j]!;
        const t = this.t;
        t.ts = g.tts[j]!;
        t.price = g.price[j]!;
        t.qty = g.qty[j]!;
        t.side = g.side[j]! > 0 ? 'buy' : 'sell';
        t.printKind = g.market[j] === 1 ? 'MARKET' : 'OTHER';
        st.fusion.update(t);
        j++;
      }
      rows.mid[r] = st.mid;
      rows.spread[r] = st.spread;
      const v = st.fusion.value;
      if (!v) {
        rows.zo[r] = rows.zc[r] = rows.score[r] = rows.cons[r] = rows.divStrength[r] = NaN;
        rows.side[r] = 0;
        rows.divType[r] = -1;
        continue;
      }
      rows.zo[r] = v.z_ofi;
      rows.zc[r] = v.z_cvd;
      rows.score[r] = v.fusion.score;
      rows.side[r] = v.fusion.side === 'buy' ? 1 : v.fusion.side === 'sell' ? -1 : 0;
      rows.cons[r] = v.fusion.consistency;
      const d: Divergence | null = v.divergence;
      rows.divType[r] = d ? DIVERGENCE_TYPES.indexOf(d.type) : -1;
      rows.divStrength[r] = d ? d.strength : NaN;
    }
  }
}

/** True when merging a segment's quotes and trades by time (a quote first on ties) visits them in stream order. */
function fusionOrderIsStreamOrder(g: Segment): boolean {
  const { nq, nt } = g;
  let i = 0;
  let j = 0;
  let last = -1;
  while (i < nq || j < nt) {
    let r: number;
    if (j >= nt || (i < nq && !(g.qts[i]! > g.tts[j]!))) r = g.qRow[i++]!;
    else r = g.tRow[j++]!;
    if (r <= last) return false;
    last = r;
  }
  return true;
}

function isFeaturesConfig(f: FeatureSetOptions | FeaturesConfig): f is FeaturesConfig {
  return typeof (f as FeaturesConfig).flow_window === 'string';
}

/**
 * Stage 1 over a whole table at once.
 *
 * @example
 * const features = computeFeatureTable(events, config.features);
 * features.score[r]; // the fused score of row r, delivered after event features.at[r]
 */
export function computeFeatureTable(t: EventTable, features: FeatureSetOptions | FeaturesConfig = {}, options: FeatureStageOptions = {}): FeatureTable {
  const stage = new FeatureStage(features, options);
  const rows = stage.run(t);
  const tail = stage.flush(t.length - 1);
  return tail.length === 0 ? rows : concatFeatureTables(rows, tail);
}

/** Two feature tables one after the other (a stream's rows and its flushed bars). */
export function concatFeatureTables(a: FeatureTable, b: FeatureTable): FeatureTable {
  const cat = <T extends Float64Array | Int32Array | Int8Array | Uint16Array>(x: T, y: T): T => {
    const out = new (x.constructor as new (n: number) => T)(x.length + y.length);
    out.set(x as never);
    out.set(y as never, x.length);
    return out;
  };
  return {
    length: a.length + b.length,
    at: cat(a.at, b.at),
    mid: cat(a.mid, b.mid),
    spread: cat(a.spread, b.spread),
    z_ofi: cat(a.z_ofi, b.z_ofi),
    z_cvd: cat(a.z_cvd, b.z_cvd),
    score: cat(a.score, b.score),
    side: cat(a.side, b.side),
    consistency: cat(a.consistency, b.consistency),
    divType: cat(a.divType, b.divType),
    divStrength: cat(a.divStrength, b.divStrength),
    bar: a.bar && b.bar ? { sym: cat(a.bar.sym, b.bar.sym), end: cat(a.bar.end, b.bar.end), quotes: cat(a.bar.quotes, b.bar.quotes), trades: cat(a.bar.trades, b.bar.trades) } : (a.bar ?? b.bar),
    fp: a.fp,
  };
}

/** The first row of `f` whose event index is at or after `event` (`f.length` if none): rows are in stream order. */
function firstRowAt(f: FeatureTable, event: number): number {
  let lo = 0;
  let hi = f.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (f.at[mid]! < event) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The rows of a feature table that belong to its table's first `events` events (`at < events`):
 * the stage-1 rows of that prefix of the stream, as views (no copy). Rows are in stream order,
 * so a binary search finds the cut. A sweep computes one table over the whole data and hands
 * each run the rows of the events it goes through. (A whole-table `computeFeatureTable`
 * also holds the open bars flushed at the end; a prefix run would have flushed its own, so a
 * sweep takes the rows of {@link FeatureStage.run} without the flush.)
 *
 * @example featureTablePrefix(computeFeatureTable(t), t.lowerBound(ts)).length // rows before time ts
 */
export function featureTablePrefix(f: FeatureTable, events: number): FeatureTable {
  return featureTableRange(f, 0, events);
}

/** A copy of `at` less `from` (its own function: the loop is the whole of it, see `BacktestDriver.feed`). */
function rebased(at: Int32Array, from: number): Int32Array {
  const out = new Int32Array(at.length);
  for (let i = 0; i < at.length; i++) out[i] = at[i]! - from;
  return out;
}

/**
 * The rows of a feature table that belong to events `[from, to)` of its table, for the table
 * `t.range(from, to)`: `at` counted from `from` (a copy when `from > 0`), the other columns as
 * views. A sweep run fed segment by segment (`BacktestDriver.restart`) hands each piece its rows.
 *
 * @example driver.feed(t.range(a, b), featureTableRange(f, a, b));
 */
export function featureTableRange(f: FeatureTable, from: number, to: number): FeatureTable {
  const lo = from > 0 ? firstRowAt(f, from) : 0;
  const hi = firstRowAt(f, to);
  if (lo === 0 && hi === f.length) return f;
  const v = <T extends Float64Array | Int32Array | Int8Array | Uint16Array>(a: T): T => a.subarray(lo, hi) as T;
  const length = hi - lo;
  const at = from > 0 ? rebased(v(f.at), from) : v(f.at);
  return {
    length,
    at,
    mid: v(f.mid),
    spread: v(f.spread),
    z_ofi: v(f.z_ofi),
    z_cvd: v(f.z_cvd),
    score: v(f.score),
    side: v(f.side),
    consistency: v(f.consistency),
    divType: v(f.divType),
    divStrength: v(f.divStrength),
    bar: f.bar ? { sym: v(f.bar.sym), end: v(f.bar.end), quotes: v(f.bar.quotes), trades: v(f.bar.trades) } : null,
    fp: f.fp,
  };
}
