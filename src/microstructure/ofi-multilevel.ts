/**
 * Multi-level order-flow imbalance (MLOFI) of Xu, Gould & Howison (2019): the best-level OFI
 * formula applied to each of the first k price levels, giving a vector per book update,
 *
 *   e^m_n = 1{Pb^m_n ≥ Pb^m_{n−1}}·qb^m_n − 1{Pb^m_n ≤ Pb^m_{n−1}}·qb^m_{n−1}
 *         − 1{Pa^m_n ≤ Pa^m_{n−1}}·qa^m_n + 1{Pa^m_n ≥ Pa^m_{n−1}}·qa^m_{n−1},   m = 1 … k,
 *
 * where level m is the m-th best price on each side. Sums over events, windows and bars are
 * those of `ofi-aggregate.ts`; `normalize` divides every level by the average depth across the k
 * levels over the same updates, Q^k = (1/N) Σ_n (1/k) Σ_m (qb^m_n + qa^m_n)/2, as Cont, Cucuringu
 * & Zhang (2023) do before integrating the levels (see `ofi-integrated.ts`).
 *
 * Input is a book *state* per update, levels best first: a depth snapshot (`DepthEvent` with
 * `isSnapshot`, a LOBSTER level-k row) or the top k of a local book rebuilt from diffs
 * (`LocalOrderBook.topK` in `book.ts`) — not a diff itself. A level beyond the end of the arrays,
 * or with price `NaN`, is empty (size 0 at the worst price), so books thinner than k levels work.
 * A non-empty level whose size is not finite makes the update invalid: it is skipped and counted.
 *
 * The streaming face returns one `Float64Array` of k values that it reuses: copy it to keep it.
 *
 * @see Xu, Gould & Howison (2019), "Multi-level order-flow imbalance in a limit order book", Market Microstructure and Liquidity 4(3–4), §3.
 * @see Cont, Cucuringu & Zhang (2023), "Cross-impact of order flow imbalance in equity markets", Quantitative Finance 23(10), §2.1.
 */
import { UserInputError } from '../core/errors.js';
import type { StreamingCalculator } from './calculator.js';
import { FlowAggregator, type OfiAggregationOptions } from './ofi-aggregate.js';

/** Options of multi-level OFI. */
export interface MultiLevelOfiOptions extends OfiAggregationOptions {
  /** Levels per side, k ≥ 1. */
  levels: number;
}

/** A book state, levels best first; a `DepthEvent` snapshot satisfies it. */
export interface BookLevels {
  bidPrices: ArrayLike<number>;
  bidQtys: ArrayLike<number>;
  askPrices: ArrayLike<number>;
  askQtys: ArrayLike<number>;
  /** Time (ms); needed for `{ ms }` and `{ barMs }` sums. */
  ts?: number;
}

/** Book states as columns: `bidPrices[m]` is the column of level m + 1's bid price. */
export interface LevelColumns {
  bidPrices: Float64Array[];
  bidQtys: Float64Array[];
  askPrices: Float64Array[];
  askQtys: Float64Array[];
  ts?: Float64Array;
}

/** State of one multi-level OFI series; pass it back to {@link multiLevelOfi} to continue. */
export class MultiLevelOfiState {
  readonly levels: number;
  readonly agg: FlowAggregator;
  readonly key: string;
  /** The book update being read (filled by the caller, then {@link multiLevelOfiStep}). */
  readonly curBidPrice: Float64Array;
  readonly curBidQty: Float64Array;
  readonly curAskPrice: Float64Array;
  readonly curAskQty: Float64Array;
  private readonly prevBidPrice: Float64Array;
  private readonly prevBidQty: Float64Array;
  private readonly prevAskPrice: Float64Array;
  private readonly prevAskQty: Float64Array;
  private readonly flows: Float64Array;
  hasPrev = false;
  /** True when the latest output is a value (a flow has been produced, and its normalisation was defined). */
  ready = false;
  /** Updates refused because a non-empty level had a non-finite size. */
  invalid = 0;

  constructor(options: MultiLevelOfiOptions) {
    const k = options?.levels;
    if (!Number.isInteger(k) || k < 1) throw new UserInputError(`levels: expected an integer ≥ 1, got ${String(k)}`, 'E_OPTION');
    this.levels = k;
    this.agg = new FlowAggregator(k, options);
    this.key = `${k}|${this.agg.key}`;
    const mk = () => new Float64Array(k);
    this.curBidPrice = mk();
    this.curBidQty = mk();
    this.curAskPrice = mk();
    this.curAskQty = mk();
    this.prevBidPrice = mk();
    this.prevBidQty = mk();
    this.prevAskPrice = mk();
    this.prevAskQty = mk();
    this.flows = mk();
  }

  /** The value (k numbers, reused), or `null` before the first flow. */
  get value(): Float64Array | null {
    return this.ready ? this.agg.out : null;
  }

  reset(): void {
    this.agg.reset();
    this.hasPrev = false;
    this.ready = false;
    this.invalid = 0;
  }

  /** Copy a book state into the current-update buffers (levels past the arrays' end are empty). */
  load(book: BookLevels): void {
    const k = this.levels;
    for (let m = 0; m < k; m++) {
      this.curBidPrice[m] = m < book.bidPrices.length ? book.bidPrices[m]! : NaN;
      this.curBidQty[m] = m < book.bidQtys.length ? book.bidQtys[m]! : 0;
      this.curAskPrice[m] = m < book.askPrices.length ? book.askPrices[m]! : NaN;
      this.curAskQty[m] = m < book.askQtys.length ? book.askQtys[m]! : 0;
    }
  }

  /** @internal the per-update kernel; see {@link multiLevelOfiStep}. */
  step(t: number): boolean {
    const k = this.levels;
    const pb = this.curBidPrice;
    const qb = this.curBidQty;
    const pa = this.curAskPrice;
    const qa = this.curAskQty;
    // empty levels: an empty queue at the worst price; a non-finite size elsewhere refuses the update
    for (let m = 0; m < k; m++) {
      if (!(pb[m]! - pb[m]! === 0)) {
        pb[m] = -Infinity;
        qb[m] = 0;
      } else if (!(qb[m]! - qb[m]! === 0)) {
        this.invalid++;
        this.agg.skip();
        return this.ready;
      }
      if (!(pa[m]! - pa[m]! === 0)) {
        pa[m] = Infinity;
        qa[m] = 0;
      } else if (!(qa[m]! - qa[m]! === 0)) {
        this.invalid++;
        this.agg.skip();
        return this.ready;
      }
    }
    if (!this.hasPrev) {
      this.hasPrev = true;
      this.prevBidPrice.set(pb);
      this.prevBidQty.set(qb);
      this.prevAskPrice.set(pa);
      this.prevAskQty.set(qa);
      return this.ready;
    }
    const ppb = this.prevBidPrice;
    const pqb = this.prevBidQty;
    const ppa = this.prevAskPrice;
    const pqa = this.prevAskQty;
    const flows = this.flows;
    let depth = 0;
    for (let m = 0; m < k; m++) {
      const b = pb[m]!;
      const a = pa[m]!;
      flows[m] = (b >= ppb[m]! ? qb[m]! : 0) - (b <= ppb[m]! ? pqb[m]! : 0) - (a <= ppa[m]! ? qa[m]! : 0) + (a >= ppa[m]! ? pqa[m]! : 0);
      depth += qb[m]! + qa[m]!;
      ppb[m] = b;
      pqb[m] = qb[m]!;
      ppa[m] = a;
      pqa[m] = qa[m]!;
    }
    this.agg.push(flows, depth / (2 * k), t);
    // normalised by a zero average depth (empty books): no value
    this.ready = this.agg.out[0] === this.agg.out[0];
    return this.ready;
  }
}

/**
 * The per-update kernel both faces call: multi-level OFI after the update held in the state's
 * `cur*` buffers; returns whether there is a value (in `st.agg.out`).
 */
export function multiLevelOfiStep(st: MultiLevelOfiState, t: number): boolean {
  return st.step(t);
}

/**
 * Multi-level OFI, streaming: one book state in, k OFI values out (a reused array; `null`
 * before the first flow).
 * @example
 * const ml = new MultiLevelOfiCalculator({ levels: 2 });
 * ml.update({ bidPrices: [100, 99], bidQtys: [5, 8], askPrices: [101, 102], askQtys: [4, 6] }); // null
 * ml.update({ bidPrices: [100, 99], bidQtys: [5, 10], askPrices: [101, 102], askQtys: [3, 6] }); // [1, 2]
 */
export class MultiLevelOfiCalculator implements StreamingCalculator<BookLevels, Float64Array> {
  /** The kernel state (counter: `invalid`); pass it to {@link multiLevelOfi} to continue columnar. */
  readonly state: MultiLevelOfiState;

  constructor(readonly options: MultiLevelOfiOptions) {
    this.state = new MultiLevelOfiState(options);
  }

  update(book: BookLevels): Float64Array | null {
    this.state.load(book);
    return multiLevelOfiStep(this.state, book.ts ?? NaN) ? this.state.agg.out : null;
  }

  get value(): Float64Array | null {
    return this.state.value;
  }

  get isReady(): boolean {
    return this.state.ready;
  }

  reset(): void {
    this.state.reset();
  }
}

/**
 * Multi-level OFI over per-level columns into `out` (k columns, `NaN` where there is no value),
 * continuing `state` when given. Columns for fewer than k levels leave the rest empty.
 */
export function multiLevelOfi(columns: LevelColumns, options: MultiLevelOfiOptions, out?: Float64Array[], state?: MultiLevelOfiState): Float64Array[] {
  const st = state ?? new MultiLevelOfiState(options);
  if (state && new MultiLevelOfiState(options).key !== state.key) throw new UserInputError('state: was created for other options than this call', 'E_OPTION');
  const k = st.levels;
  const have = Math.min(k, columns.bidPrices.length, columns.bidQtys.length, columns.askPrices.length, columns.askQtys.length);
  const n = have > 0 ? columns.bidPrices[0]!.length : (columns.ts?.length ?? 0);
  for (const side of ['bidPrices', 'bidQtys', 'askPrices', 'askQtys'] as const) {
    for (let m = 0; m < have; m++) {
      if (columns[side][m]!.length !== n) throw new UserInputError(`columns.${side}[${m}]: holds ${columns[side][m]!.length} values, bidPrices[0] ${n}`, 'E_OPTION');
    }
  }
  const ts = columns.ts;
  if (st.agg.timed && !ts) throw new UserInputError('columns.ts: time sums need a timestamp column', 'E_OPTION');
  if (ts && ts.length < n) throw new UserInputError(`columns.ts: holds ${ts.length} values, the book ${n}`, 'E_OPTION');
  const o = out ?? Array.from({ length: k }, () => new Float64Array(n));
  if (o.length < k || o.some((c) => c.length < n)) throw new UserInputError(`out: expected ${k} columns of at least ${n} values`, 'E_OPTION');
  const { bidPrices, bidQtys, askPrices, askQtys } = columns;
  const res = st.agg.out;
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < k; m++) {
      const here = m < have;
      st.curBidPrice[m] = here ? bidPrices[m]![i]! : NaN;
      st.curBidQty[m] = here ? bidQtys[m]![i]! : 0;
      st.curAskPrice[m] = here ? askPrices[m]![i]! : NaN;
      st.curAskQty[m] = here ? askQtys[m]![i]! : 0;
    }
    if (multiLevelOfiStep(st, ts !== undefined ? ts[i]! : NaN)) for (let m = 0; m < k; m++) o[m]![i] = res[m]!;
    else for (let m = 0; m < k; m++) o[m]![i] = NaN;
  }
  return o;
}
