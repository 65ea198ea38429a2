/**
 * Which best bid/ask updates a calculator uses: the update-id rule of best-level OFI (`ofi.ts`),
 * applied once in front of everything a calculator derives from quotes (OFI, the mid, sampling),
 * so that all of them see the same accepted updates, in the streaming and the columnar face.
 *
 * Binance's bookTicker `u` is the order-book update id; it can repeat and messages can arrive out
 * of `u` order. With `'drop-stale'` an update whose id is not above the highest accepted one is
 * skipped (it carries an older book); with `'keep'` none is. Updates without an id (`NaN`, e.g.
 * LOBSTER) are never stale. Either way an update with a non-finite size on a side that has a
 * price is unusable and skipped. OFI itself then runs with `'keep'` on what passes.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Individual-Symbol-Book-Ticker-Streams
 */
import { UserInputError } from '../core/errors.js';

/** Quote columns as the gate reads them. */
export interface GateColumns {
  bidPrice: Float64Array;
  bidQty: Float64Array;
  askPrice: Float64Array;
  askQty: Float64Array;
  updateId?: Float64Array;
}

/**
 * One-row gate columns, a class and not an object literal (see `OneQuoteRow` in `ofi-kernel.ts`:
 * a literal with a caller's key order would make the caller's quotes store their numbers boxed).
 */
class GateRow implements GateColumns {
  readonly bidPrice = new Float64Array(1);
  readonly bidQty = new Float64Array(1);
  readonly askPrice = new Float64Array(1);
  readonly askQty = new Float64Array(1);
  readonly updateId = new Float64Array(1);
}

/** Quote columns of a block, as a class for the same reason. */
export class QuoteBlock implements GatedQuotes {
  constructor(
    readonly bidPrice: Float64Array,
    readonly bidQty: Float64Array,
    readonly askPrice: Float64Array,
    readonly askQty: Float64Array,
    readonly ts: Float64Array,
  ) {}
}

/** The gate's state: the highest accepted id, and what it has skipped. */
export class QuoteGate {
  private readonly dropStale: boolean;
  private lastId = -Infinity;
  /** Updates skipped for a stale id. */
  stale = 0;
  /** Updates skipped for an unusable size. */
  invalid = 0;
  /** One-row columns for {@link accept}. */
  private readonly row = new GateRow();

  constructor(updateIds: 'drop-stale' | 'keep' = 'drop-stale') {
    if (updateIds !== 'drop-stale' && updateIds !== 'keep') throw new UserInputError(`updateIds: expected 'drop-stale' or 'keep', got ${String(updateIds)}`, 'E_OPTION');
    this.dropStale = updateIds === 'drop-stale';
  }

  /** True when the update is to be used (and then it moves the guard). */
  accept(id: number, bidPrice: number, bidQty: number, askPrice: number, askQty: number): boolean {
    const r = this.row;
    r.updateId[0] = id;
    r.bidPrice[0] = bidPrice;
    r.bidQty[0] = bidQty;
    r.askPrice[0] = askPrice;
    r.askQty[0] = askQty;
    return this.acceptAt(r, 0);
  }

  /**
   * {@link accept} for row `i` of quote columns, the rule both faces run. It takes the row, not
   * its numbers: a call that V8 does not inline passes doubles boxed, an allocation each.
   */
  acceptAt(q: GateColumns, i: number): boolean {
    const id = q.updateId !== undefined ? q.updateId[i]! : NaN;
    if (this.dropStale && id <= this.lastId) {
      this.stale++;
      return false;
    }
    const bidPrice = q.bidPrice[i]!;
    const askPrice = q.askPrice[i]!;
    if ((bidPrice - bidPrice === 0 && !(q.bidQty[i]! - q.bidQty[i]! === 0)) || (askPrice - askPrice === 0 && !(q.askQty[i]! - q.askQty[i]! === 0))) {
      this.invalid++;
      return false;
    }
    if (id > this.lastId) this.lastId = id;
    return true;
  }

  reset(): void {
    this.lastId = -Infinity;
    this.stale = 0;
    this.invalid = 0;
  }
}

/** Columns the accepted quotes are compacted into, each at least as long as the quotes offered. */
export interface GatedQuotes {
  ts: Float64Array;
  bidPrice: Float64Array;
  bidQty: Float64Array;
  askPrice: Float64Array;
  askQty: Float64Array;
}

/**
 * Rows `i0 … i1 − 1` of quote columns through the gate, the accepted ones copied to `into` from
 * row 0 and `rowOf[i − i0]` set to their row there (−1 for a skipped quote). Returns how many
 * were accepted. The columnar faces run OFI over `into` afterwards, in one call.
 */
export function gateQuotes(
  gate: QuoteGate,
  q: { ts: Float64Array; bidPrice: Float64Array; bidQty: Float64Array; askPrice: Float64Array; askQty: Float64Array; updateId?: Float64Array },
  i0: number,
  i1: number,
  into: GatedQuotes,
  rowOf: Int32Array,
): number {
  const { ts, bidPrice, bidQty, askPrice, askQty } = q;
  const cts = into.ts;
  const cbp = into.bidPrice;
  const cbq = into.bidQty;
  const cap = into.askPrice;
  const caq = into.askQty;
  let a = 0;
  for (let i = i0; i < i1; i++) {
    if (!gate.acceptAt(q, i)) {
      rowOf[i - i0] = -1;
      continue;
    }
    cts[a] = ts[i]!;
    cbp[a] = bidPrice[i]!;
    cbq[a] = bidQty[i]!;
    cap[a] = askPrice[i]!;
    caq[a] = askQty[i]!;
    rowOf[i - i0] = a++;
  }
  return a;
}
