/**
 * Best-level order-flow imbalance (OFI) of Cont, Kukanov & Stoikov (2014). For each best
 * bid/ask update n, with bid price and size Pb, qb and ask price and size Pa, qa:
 *
 *   e_n = 1{Pb_n ≥ Pb_{n−1}}·qb_n − 1{Pb_n ≤ Pb_{n−1}}·qb_{n−1}
 *       − 1{Pa_n ≤ Pa_{n−1}}·qa_n + 1{Pa_n ≥ Pa_{n−1}}·qa_{n−1}
 *
 * (bid queue growth or a better bid is buying pressure; ask queue growth or a better ask is
 * selling pressure). The first update has no predecessor and no value. Sums over events, time
 * windows and bars, and the depth normalisation, are those of `ofi-aggregate.ts`.
 *
 * An empty side (price `NaN`, as a book with no bids gives; LOBSTER writes ±9999999999 there,
 * which acts the same) is a queue of size 0 at a price worse than any: bid −∞, ask +∞. A
 * non-empty level with a size that is not a finite number is refused and counted (`invalid`).
 *
 * **Update ids (Binance).** bookTicker's `u` is the order-book update id; it can repeat and
 * messages can arrive out of `u` order. With `updateIds: 'drop-stale'` (the default) an update
 * whose id is not above the highest accepted id is skipped: equal ids are counted in
 * `duplicates`, lower ones in `outOfOrder`. A skipped update leaves the book state and every
 * sum untouched, and its output repeats the current value (`0` for `sum: 'event'`: it adds no
 * flow). Skipping, not reordering, because a streaming face cannot wait for late messages
 * without adding delay; a repeated id carries the same book, so its e_n would be 0 anyway.
 * Updates without an id (`NaN`, e.g. LOBSTER) are never stale. A whole day in hand can instead be
 * put in id order first with {@link orderByUpdateId}.
 *
 * @see Cont, Kukanov & Stoikov (2014), "The price impact of order book events", J. Financial Econometrics 12(1), eq. (2)–(3).
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Individual-Symbol-Book-Ticker-Streams
 *
 * @example
 * const ofi = new OfiCalculator();
 * ofi.update({ bidPrice: 100, bidQty: 5, askPrice: 101, askQty: 4 }); // null (no previous quote)
 * ofi.update({ bidPrice: 100, bidQty: 7, askPrice: 101, askQty: 4 }); // 2 (bid queue +2)
 */
import type { RecordBatch } from 'apache-arrow';
import { f64Column } from '../core/batch.js';
import { UserInputError } from '../core/errors.js';
import type { StreamingCalculator, TopOfBook } from './calculator.js';
import { KERNEL_BLOCK } from './kernel-block.js';
import { ofiRun, ofiStep, OfiState, type OfiColumns, type OfiOptions } from './ofi-kernel.js';

export type { OfiAggregationOptions, OfiSum } from './ofi-aggregate.js';
export { OfiState, ofiStep, type OfiColumns, type OfiOptions } from './ofi-kernel.js';

/** A best bid/ask update as OFI reads it: a `QuoteEvent` satisfies it. */
export interface OfiQuote extends TopOfBook {
  /** Exchange time (ms); needed for `{ ms }` and `{ barMs }` sums. */
  ts?: number;
  /** Order-book update id (Binance `u`); `NaN` or absent when the source has none. */
  updateId?: number;
}

/**
 * Best-level OFI, streaming: one quote in, the OFI after it out (`null` before the first flow).
 * @see the module comment for the formula, the sums and the update-id rule.
 */
export class OfiCalculator implements StreamingCalculator<OfiQuote, number> {
  /** The kernel state (counters: `duplicates`, `outOfOrder`, `invalid`, `clamped`); pass it to {@link ofi} to continue columnar. */
  readonly state: OfiState;

  constructor(readonly options: OfiOptions = {}) {
    this.state = new OfiState(options);
  }

  update(q: OfiQuote): number | null {
    const v = ofiStep(this.state, q.bidPrice, q.bidQty, q.askPrice, q.askQty, q.ts ?? NaN, q.updateId ?? NaN);
    return v === v ? v : null;
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

function checkColumns(c: OfiColumns, n: number, needTs: boolean): void {
  for (const name of ['bidQty', 'askPrice', 'askQty'] as const) {
    if (c[name].length !== n) throw new UserInputError(`columns.${name}: holds ${c[name].length} values, bidPrice ${n}`, 'E_OPTION');
  }
  if (needTs && !c.ts) throw new UserInputError('columns.ts: time sums need a timestamp column', 'E_OPTION');
  if (c.ts && c.ts.length < n) throw new UserInputError(`columns.ts: holds ${c.ts.length} values, bidPrice ${n}`, 'E_OPTION');
  if (c.updateId && c.updateId.length < n) throw new UserInputError(`columns.updateId: holds ${c.updateId.length} values, bidPrice ${n}`, 'E_OPTION');
}

/**
 * Best-level OFI over columns into `out` (`NaN` where there is no value), continuing `state`
 * when given, so chunks of one series can arrive one call at a time.
 *
 * @example
 * ofi({ bidPrice: new Float64Array([100, 100, 101]), bidQty: new Float64Array([5, 7, 1]),
 *       askPrice: new Float64Array([102, 102, 102]), askQty: new Float64Array([4, 4, 6]) }, {});
 * // [NaN, 2, -1]: +2 on the bid; then a new bid level of 1 (+1) and the ask queue +2 (−2)
 */
export function ofi(columns: OfiColumns, options: OfiOptions = {}, out?: Float64Array, state?: OfiState): Float64Array {
  const st = state ?? new OfiState(options);
  if (state && new OfiState(options).key !== state.key) throw new UserInputError('state: was created for other options than this call', 'E_OPTION');
  const n = columns.bidPrice.length;
  checkColumns(columns, n, st.timed);
  const o = out ?? new Float64Array(n);
  if (o.length < n) throw new UserInputError(`out: holds ${o.length} values, the input ${n}`, 'E_OPTION');
  for (let a = 0; a < n; a += KERNEL_BLOCK) ofiRun(st, columns, o, a, Math.min(n, a + KERNEL_BLOCK));
  return o;
}

/**
 * Best-level OFI of an Arrow record batch of quotes (the `quote` event schema: `bidPrice`,
 * `bidQty`, `askPrice`, `askQty`, `ts`, `updateId`), read as typed columns without copying.
 */
export function ofiFromBatch(batch: RecordBatch, options: OfiOptions = {}, out?: Float64Array, state?: OfiState): Float64Array {
  const cols: OfiColumns = {
    bidPrice: f64Column(batch, 'bidPrice'),
    bidQty: f64Column(batch, 'bidQty'),
    askPrice: f64Column(batch, 'askPrice'),
    askQty: f64Column(batch, 'askQty'),
  };
  if (batch.getChild('ts')) cols.ts = f64Column(batch, 'ts');
  if (batch.getChild('updateId')) cols.updateId = f64Column(batch, 'updateId');
  return ofi(cols, options, out, state);
}

/**
 * The quotes put in update-id order, repeated ids dropped (the first arrival kept): for a day
 * of Binance quotes in hand, an alternative to the streaming rule of skipping late updates.
 * Every row needs an id.
 */
export function orderByUpdateId<C extends OfiColumns & { updateId: Float64Array }>(columns: C): C {
  const ids = columns.updateId;
  const n = ids.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(ids[i]!)) throw new UserInputError(`columns.updateId: row ${i} has no id, so the rows cannot be put in id order`, 'E_INPUT');
    idx[i] = i;
  }
  // stable: equal ids keep arrival order, so the first arrival comes first
  const order = Array.from(idx).sort((a, b) => ids[a]! - ids[b]! || a - b);
  const keep: number[] = [];
  for (let j = 0; j < order.length; j++) if (j === 0 || ids[order[j]!] !== ids[order[j - 1]!]) keep.push(order[j]!);
  const out: Record<string, unknown> = { ...(columns as object) };
  for (const [name, col] of Object.entries(columns as object)) {
    if (col instanceof Float64Array && col.length === n) out[name] = Float64Array.from(keep, (i) => col[i]!);
  }
  return out as unknown as C;
}
