/**
 * Bars: a merged stream of best bid/ask updates and trades cut into time bars (aligned to the
 * epoch: a 1-second bar starts on a whole second) or event bars (every N events), each carrying
 * the mid's OHLC, the spread, order flow imbalance, CVD, volumes and counts. Bars are the
 * sampling grid of the price-impact regression (ΔP per interval against the interval's OFI) and
 * of swing-point divergence.
 *
 * Semantics, exactly:
 * - A time bar of width Δ is `[kΔ, (k+1)Δ)`. It closes when an event with `ts ≥ (k+1)Δ` arrives,
 *   or on `flush()`. Nothing is emitted for a bar before that: no look-ahead, and a bar never
 *   changes once emitted. An event whose `ts` is before the open bar's start (a late print) is
 *   counted in the open bar; bars never reopen. An event without a timestamp (`NaN`) joins the
 *   open bar, or the next one to open.
 * - An event bar closes on its N-th event (quotes and trades alike), or on `flush()`; `start` and
 *   `end` are the timestamps of its first and last event.
 * - Empty time bars (no event in `[kΔ, (k+1)Δ)`) are skipped, or, with `empty: 'emit'`, emitted
 *   with the levels carried forward (mid OHLC = last mid, spread = last spread) and the flows zero.
 * - Levels come from quotes only: OHLC of the mid `(bid + ask)/2` over the bar's quotes, `spread`
 *   the last `ask − bid`, `spreadMean` its mean over the bar's quotes; a bar without quotes
 *   carries the last known ones (`NaN` before the first quote).
 * - Flows: `ofi` is the sum of the per-quote OFI e_n of the bar's quotes (Cont, Kukanov & Stoikov;
 *   the kernel of `ofi.ts`; quotes first pass the update-id gate of `quote-gate.ts`, and one it
 *   skips is not seen by the bars at all),
 *   `ofiCum` their sum since the start; `cvdDelta` the aggressor-signed base volume of the bar's
 *   counted prints and `cvd` the CVD (with its own reset option) after the bar's last trade;
 *   `buyVolume`, `sellVolume`, `volume` (base) and `quoteVolume` (Σ price·qty) of counted prints;
 *   `quotes` and `trades` count the bar's quotes and counted prints. Counted prints are market
 *   prints unless `cvd.prints` is `'all'`.
 *
 * @see Cont, Kukanov & Stoikov (2014), "The price impact of order book events", J. Financial Econometrics 12(1): OFI over fixed intervals.
 * @see López de Prado (2018), "Advances in Financial Machine Learning", ch. 2: time bars and event (tick) bars.
 */
import type { QuoteEvent, TradeEvent } from '../core/events.js';
import type { StreamingCalculator } from './calculator.js';
import type { QuoteColumns, TradeColumns } from '../core/columns.js';
import { BarColumnsBuilder, type Bar, type BarColumns } from './bar-columns.js';
import { BarKernel, OFI_KEEP, type BarOptions } from './bar-kernel.js';
import { ofi } from './ofi.js';
import { gateQuotes } from './quote-gate.js';

export { BAR_FIELDS, BarColumnsBuilder, barsToArrow, type Bar, type BarColumns, type BarField } from './bar-columns.js';
export type { BarOptions, BarSpec } from './bar-kernel.js';

/** What bars are built from: quotes and trades, one merged stream. */
export type BarEvent = (Pick<QuoteEvent, 'type' | 'ts' | 'bidPrice' | 'bidQty' | 'askPrice' | 'askQty'> & { updateId?: number }) | Pick<TradeEvent, 'type' | 'ts' | 'price' | 'qty' | 'side' | 'printKind'>;

/**
 * Streaming bars. `update(event)` takes quotes and trades in stream order and returns the latest
 * completed bar (`null` before the first), so it keeps the one streaming contract; `fresh` is
 * the number of bars the last update completed (an event after a gap can close several when empty
 * bars are emitted), and `onBar` hears every bar once, in order. `flush()` closes the open bar.
 *
 * The columnar face, `updateColumns`, continues the same state over chunks of quote and trade
 * columns; {@link bars} does it over whole tables.
 *
 * @example
 * const agg = new BarAggregator({ bar: { ms: 1000 } }, (b) => console.log(b.start, b.close, b.ofi));
 * for (const e of events) agg.update(e);
 * agg.flush();
 */
export class BarAggregator implements StreamingCalculator<BarEvent, Bar> {
  private readonly k: BarKernel;
  private last: Bar | null = null;
  private completed = 0;
  private readonly listener: ((bar: Bar) => void) | undefined;
  private readonly scratch = new BarScratch();

  constructor(
    readonly options: BarOptions,
    onBar?: (bar: Bar) => void,
  ) {
    this.listener = onBar;
    this.k = new BarKernel(options, {
      push: (b) => {
        const copy = { ...b };
        this.last = copy;
        this.completed++;
        this.listener?.(copy);
      },
    });
  }

  update(e: BarEvent): Bar | null {
    this.completed = 0;
    if (e.type === 'quote') this.k.quote(e.ts, e.bidPrice, e.bidQty, e.askPrice, e.askQty, e.updateId ?? NaN);
    else this.k.trade(e.ts, e.price, e.qty, e.side === 'buy' ? 1 : -1, this.k.countAll || e.printKind === 'MARKET');
    return this.last;
  }

  /** Close the open bar now (end of input); returns it, or `null` when none was open. */
  flush(): Bar | null {
    this.completed = 0;
    return this.k.flush() ? this.last : null;
  }

  /** The latest completed bar. */
  get value(): Bar | null {
    return this.last;
  }

  get isReady(): boolean {
    return this.last !== null;
  }

  /** Quotes ignored so far under the OFI update-id rule (repeated or older ids, unusable sizes). */
  get staleQuotes(): number {
    return this.k.gate.stale + this.k.gate.invalid;
  }

  /** Bars completed by the latest `update` or `flush`. */
  get fresh(): number {
    return this.completed;
  }

  reset(): void {
    this.k.reset();
    this.last = null;
    this.completed = 0;
  }

  /**
   * The columnar face over one chunk: quotes and trades merged by `ts` (a quote before a trade
   * of the same `ts`, as book state precedes the trades it meets), bars appended to `out`.
   * Continues this aggregator's state; pass `flush: true` on the last chunk to close the open bar.
   * Listeners do not hear columnar bars; `value` does not change.
   */
  updateColumns(quotes: QuoteColumns, trades: TradeColumns, out: BarColumnsBuilder = new BarColumnsBuilder(), flush = false): BarColumnsBuilder {
    const k = this.k;
    const prev = k.sink;
    k.sink = out;
    try {
      barsLoop(k, quotes, trades, this.scratch);
      if (flush) k.flush();
    } finally {
      k.sink = prev;
    }
    return out;
  }
}

/** Merged events per block of the columnar face (its scratch columns stay in cache). */
const BAR_BLOCK = 16_384;

/** Scratch columns of the columnar face, grown as needed. */
class BarScratch {
  rowOf = new Int32Array(0);
  e = new Float64Array(0);
  into = { ts: new Float64Array(0), bidPrice: new Float64Array(0), bidQty: new Float64Array(0), askPrice: new Float64Array(0), askQty: new Float64Array(0) };
  ensure(n: number): void {
    if (this.rowOf.length >= n) return;
    this.rowOf = new Int32Array(n);
    this.e = new Float64Array(n);
    this.into = { ts: new Float64Array(n), bidPrice: new Float64Array(n), bidQty: new Float64Array(n), askPrice: new Float64Array(n), askQty: new Float64Array(n) };
  }
}

/**
 * Blocks of the merge (a quote first on ties): the block's quotes through the gate and OFI in
 * one run each (the same kernels, in the same order, as the streaming face), then the block's
 * events into the bar kernel.
 */
function barsLoop(k: BarKernel, q: QuoteColumns, t: TradeColumns, sc: BarScratch): void {
  const nq = q.ts.length;
  const nt = t.ts.length;
  const { ts: qts, bidPrice, askPrice } = q;
  const { ts: tts, price, qty, side } = t;
  const market = k.countAll ? undefined : t.market;
  sc.ensure(Math.min(nq, BAR_BLOCK));
  let i = 0;
  let j = 0;
  while (i < nq || j < nt) {
    let i1 = i;
    let j1 = j;
    for (let b = 0; b < BAR_BLOCK && (i1 < nq || j1 < nt); b++) {
      if (j1 >= nt || (i1 < nq && !(qts[i1]! > tts[j1]!))) i1++;
      else j1++;
    }
    const a = gateQuotes(k.gate, q, i, i1, sc.into, sc.rowOf);
    const into = sc.into;
    const e = ofi(
      { ts: into.ts.subarray(0, a), bidPrice: into.bidPrice.subarray(0, a), bidQty: into.bidQty.subarray(0, a), askPrice: into.askPrice.subarray(0, a), askQty: into.askQty.subarray(0, a) },
      OFI_KEEP,
      sc.e.subarray(0, a),
      k.ofiK,
    );
    const rowOf = sc.rowOf;
    const i0 = i;
    while (i < i1 || j < j1) {
      if (j >= j1 || (i < i1 && !(qts[i]! > tts[j]!))) {
        const x = rowOf[i - i0]!;
        if (x >= 0) k.accepted(qts[i]!, bidPrice[i]!, askPrice[i]!, e[x]!);
        i++;
      } else {
        k.trade(tts[j]!, price[j]!, qty[j]!, side[j]!, market === undefined || market[j] === 1);
        j++;
      }
    }
  }
}

/**
 * Bars of a table of quotes and a table of trades (merged by `ts`, quotes first on ties), the
 * last open bar included.
 *
 * @example
 * const b = bars({ quotes: quoteColumns(qb), trades: tradeColumns(tb) }, { bar: { ms: 1000 } });
 * b.close; // Float64Array of 1-second closing mids
 */
export function bars(input: { quotes: QuoteColumns; trades: TradeColumns }, options: BarOptions): BarColumns {
  return new BarAggregator(options).updateColumns(input.quotes, input.trades, new BarColumnsBuilder(), true).columns();
}
