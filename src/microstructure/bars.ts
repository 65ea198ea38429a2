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
 *   the kernel of `ofi.ts`, whose update-id rule also decides which quotes the bars see at all),
 *   `ofiCum` their sum since the start; `cvdDelta` the aggressor-signed base volume of the bar's
 *   counted prints and `cvd` the CVD (with its own reset option) after the bar's last trade;
 *   `buyVolume`, `sellVolume`, `volume` (base) and `quoteVolume` (Σ price·qty) of counted prints;
 *   `quotes` and `trades` count the bar's quotes and counted prints. Counted prints are market
 *   prints unless `cvd.prints` is `'all'`.
 *
 * @see Cont, Kukanov & Stoikov (2014), "The price impact of order book events", J. Financial Econometrics 12(1): OFI over fixed intervals.
 * @see López de Prado (2018), "Advances in Financial Machine Learning", ch. 2: time bars and event (tick) bars.
 */
import { Float64, Field, Schema, Table, makeData, RecordBatch, Struct } from 'apache-arrow';
import { UserInputError } from '../core/errors.js';
import type { QuoteEvent, TradeEvent } from '../core/events.js';
import type { StreamingCalculator } from './calculator.js';
import type { QuoteColumns, TradeColumns } from './columns.js';
import { CvdKernel, type CvdOptions } from './cvd.js';
import { OfiState, ofiStep, type OfiOptions } from './ofi.js';

/** `{ ms: Δ }`: time bars of Δ milliseconds aligned to the epoch; `{ events: N }`: bars of N events. */
export type BarSpec = { ms: number } | { events: number };

/** Options of {@link BarAggregator} and {@link bars}. */
export interface BarOptions {
  bar: BarSpec;
  /** Empty time bars: `'skip'` (default) or `'emit'` (levels carried, flows zero). */
  empty?: 'skip' | 'emit';
  /** CVD options for the `cvd` column (`reset`), and which prints count (`prints`) for CVD, volumes and trade counts. */
  cvd?: Omit<CvdOptions, 'unit'>;
  /** The OFI update-id rule (see `ofi.ts`); a quote it skips is ignored by the bars altogether. Default `'drop-stale'`. */
  ofi?: Pick<OfiOptions, 'updateIds'>;
}

/** The fields of a bar, in column order. */
export const BAR_FIELDS = [
  'start',
  'end',
  'open',
  'high',
  'low',
  'close',
  'spread',
  'spreadMean',
  'ofi',
  'ofiCum',
  'cvdDelta',
  'cvd',
  'buyVolume',
  'sellVolume',
  'volume',
  'quoteVolume',
  'quotes',
  'trades',
] as const;
export type BarField = (typeof BAR_FIELDS)[number];

/** One bar (see the module comment for each field's meaning). */
export type Bar = Record<BarField, number>;

/** Bars as columns, one `Float64Array` per field, all of the same length. */
export type BarColumns = Record<BarField, Float64Array>;

/** Where a kernel puts a finished bar; the bar object is scratch, reused for the next one. */
interface BarSink {
  push(bar: Readonly<Bar>): void;
}

/**
 * Growing columns of bars (doubling, like Arrow's builders): the columnar face appends here
 * without an allocation per bar.
 */
export class BarColumnsBuilder implements BarSink {
  private cols: Float64Array[];
  length = 0;

  constructor(capacity = 256) {
    this.cols = BAR_FIELDS.map(() => new Float64Array(Math.max(1, capacity)));
  }

  push(bar: Readonly<Bar>): void {
    const n = this.length;
    if (n === this.cols[0]!.length) {
      this.cols = this.cols.map((c) => {
        const next = new Float64Array(c.length * 2);
        next.set(c);
        return next;
      });
    }
    const c = this.cols;
    c[0]![n] = bar.start;
    c[1]![n] = bar.end;
    c[2]![n] = bar.open;
    c[3]![n] = bar.high;
    c[4]![n] = bar.low;
    c[5]![n] = bar.close;
    c[6]![n] = bar.spread;
    c[7]![n] = bar.spreadMean;
    c[8]![n] = bar.ofi;
    c[9]![n] = bar.ofiCum;
    c[10]![n] = bar.cvdDelta;
    c[11]![n] = bar.cvd;
    c[12]![n] = bar.buyVolume;
    c[13]![n] = bar.sellVolume;
    c[14]![n] = bar.volume;
    c[15]![n] = bar.quoteVolume;
    c[16]![n] = bar.quotes;
    c[17]![n] = bar.trades;
    this.length = n + 1;
  }

  /** The bars so far as columns (views into the builder's buffers, valid until the next push). */
  columns(): BarColumns {
    const out = {} as BarColumns;
    BAR_FIELDS.forEach((f, i) => (out[f] = this.cols[i]!.subarray(0, this.length)));
    return out;
  }
}

function newBar(): Bar {
  const b = {} as Bar;
  for (const f of BAR_FIELDS) b[f] = NaN;
  return b;
}

/**
 * The per-event steps both faces call.
 * @internal
 */
export class BarKernel {
  private readonly timed: boolean;
  private readonly span: number;
  private readonly emitEmpty: boolean;
  readonly countAll: boolean;
  private readonly cvdK: CvdKernel;
  /** The OFI state (per-event e_n); its `duplicates`, `outOfOrder` and `invalid` count the quotes skipped. */
  readonly ofiK: OfiState;
  private readonly scratch: Bar = newBar();
  sink: BarSink;
  /** Bars emitted so far. */
  emitted = 0;
  // the open bar
  private open = false;
  private start = NaN;
  private end = NaN;
  private events = 0;
  private nq = 0;
  private o = NaN;
  private h = NaN;
  private l = NaN;
  private c = NaN;
  private spreadSum = 0;
  private ofiSum = 0;
  private nt = 0;
  private delta = 0;
  private buy = 0;
  private sell = 0;
  private quoteVol = 0;
  // carried across bars
  private lastMid = NaN;
  private lastSpread = NaN;
  private ofiCum = 0;

  constructor(options: BarOptions, sink: BarSink) {
    const spec = options?.bar as Partial<{ ms: number; events: number }> | undefined;
    if (spec && spec.ms !== undefined && spec.events === undefined) {
      if (!(spec.ms > 0 && Number.isFinite(spec.ms))) throw new UserInputError(`bar.ms: expected a finite number > 0, got ${String(spec.ms)}`, 'E_OPTION');
      this.timed = true;
      this.span = spec.ms;
    } else if (spec && spec.events !== undefined && spec.ms === undefined) {
      if (!Number.isInteger(spec.events) || spec.events < 1) throw new UserInputError(`bar.events: expected an integer ≥ 1, got ${String(spec.events)}`, 'E_OPTION');
      this.timed = false;
      this.span = spec.events;
    } else {
      throw new UserInputError('bar: expected exactly one of { ms: Δ } or { events: N }', 'E_OPTION');
    }
    const empty = options.empty ?? 'skip';
    if (empty !== 'skip' && empty !== 'emit') throw new UserInputError(`empty: expected 'skip' or 'emit', got '${String(empty)}'`, 'E_OPTION');
    this.emitEmpty = empty === 'emit';
    this.cvdK = new CvdKernel(options.cvd ?? {});
    this.countAll = this.cvdK.countAll;
    this.ofiK = new OfiState({ updateIds: options.ofi?.updateIds ?? 'drop-stale' });
    this.sink = sink;
  }

  quote(ts: number, bidPrice: number, bidQty: number, askPrice: number, askQty: number, updateId: number): void {
    const st = this.ofiK;
    const skipped = st.duplicates + st.outOfOrder + st.invalid;
    const e = ofiStep(st, bidPrice, bidQty, askPrice, askQty, ts, updateId);
    if (st.duplicates + st.outOfOrder + st.invalid !== skipped) return; // stale or unusable: as if it never came
    if (this.timed) this.advance(ts);
    else if (!this.open) this.openEventBar(ts);
    const mid = 0.5 * (bidPrice + askPrice);
    const spread = askPrice - bidPrice;
    if (this.nq === 0) {
      this.o = this.h = this.l = mid;
    } else {
      if (mid > this.h) this.h = mid;
      if (mid < this.l) this.l = mid;
    }
    this.c = mid;
    this.nq++;
    this.spreadSum += spread;
    this.lastMid = mid;
    this.lastSpread = spread;
    if (e === e) {
      // the first quote has no predecessor, hence no flow
      this.ofiSum += e;
      this.ofiCum += e;
    }
    if (!this.timed) this.countEvent(ts);
  }

  trade(ts: number, price: number, qty: number, sign: number, counts: boolean): void {
    if (this.timed) this.advance(ts);
    else if (!this.open) this.openEventBar(ts);
    this.cvdK.step(ts, price, qty, sign, counts);
    if (counts) {
      const b = sign * qty;
      this.delta += b;
      if (sign > 0) this.buy += qty;
      else this.sell += qty;
      this.quoteVol += price * qty;
      this.nt++;
    }
    if (!this.timed) this.countEvent(ts);
  }

  /** Close the open bar, if any. Returns whether one was closed. */
  flush(): boolean {
    if (!this.open) return false;
    this.close();
    return true;
  }

  reset(): void {
    this.open = false;
    this.start = this.end = NaN;
    this.clear();
    this.lastMid = this.lastSpread = NaN;
    this.ofiCum = 0;
    this.emitted = 0;
    this.cvdK.reset();
    this.ofiK.reset();
  }

  private advance(ts: number): void {
    if (this.open) {
      if (!(ts >= this.end)) return; // inside, late, or NaN: the open bar takes it
      const next = Math.floor(ts / this.span) * this.span;
      this.close();
      if (this.emitEmpty) {
        for (let s = this.end; s < next; s += this.span) {
          this.start = s;
          this.end = s + this.span;
          this.close();
        }
      }
      this.start = next;
      this.end = next + this.span;
      this.open = true;
    } else if (ts === ts) {
      this.start = Math.floor(ts / this.span) * this.span;
      this.end = this.start + this.span;
      this.open = true;
    }
  }

  private openEventBar(ts: number): void {
    this.open = true;
    this.start = ts;
    this.end = ts;
  }

  private countEvent(ts: number): void {
    if (ts > this.end || this.end !== this.end) this.end = ts;
    if (++this.events === this.span) this.close();
  }

  private close(): void {
    const b = this.scratch;
    b.start = this.start;
    b.end = this.end;
    if (this.nq > 0) {
      b.open = this.o;
      b.high = this.h;
      b.low = this.l;
      b.close = this.c;
      b.spreadMean = this.spreadSum / this.nq;
    } else {
      b.open = b.high = b.low = b.close = this.lastMid;
      b.spreadMean = this.lastSpread;
    }
    b.spread = this.lastSpread;
    b.ofi = this.ofiSum;
    b.ofiCum = this.ofiCum;
    b.cvdDelta = this.delta;
    b.cvd = this.cvdK.ready ? this.cvdK.base : NaN;
    b.buyVolume = this.buy;
    b.sellVolume = this.sell;
    b.volume = this.buy + this.sell;
    b.quoteVolume = this.quoteVol;
    b.quotes = this.nq;
    b.trades = this.nt;
    this.sink.push(b);
    this.emitted++;
    this.open = false;
    this.clear();
  }

  private clear(): void {
    this.events = 0;
    this.nq = 0;
    this.o = this.h = this.l = this.c = NaN;
    this.spreadSum = 0;
    this.ofiSum = 0;
    this.nt = 0;
    this.delta = 0;
    this.buy = 0;
    this.sell = 0;
    this.quoteVol = 0;
  }
}

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
    const st = this.k.ofiK;
    return st.duplicates + st.outOfOrder + st.invalid;
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
      barsLoop(k, quotes, trades);
      if (flush) k.flush();
    } finally {
      k.sink = prev;
    }
    return out;
  }
}

function barsLoop(k: BarKernel, q: QuoteColumns, t: TradeColumns): void {
  const nq = q.ts.length;
  const nt = t.ts.length;
  const { ts: qts, bidPrice, bidQty, askPrice, askQty, updateId } = q;
  const { ts: tts, price, qty, side } = t;
  const market = k.countAll ? undefined : t.market;
  let i = 0;
  let j = 0;
  while (i < nq || j < nt) {
    if (j >= nt || (i < nq && !(qts[i]! > tts[j]!))) {
      k.quote(qts[i]!, bidPrice[i]!, bidQty[i]!, askPrice[i]!, askQty[i]!, updateId !== undefined ? updateId[i]! : NaN);
      i++;
    } else {
      k.trade(tts[j]!, price[j]!, qty[j]!, side[j]!, market === undefined || market[j] === 1);
      j++;
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

/** Bars as an Arrow table (one Float64 column per field), for Parquet writers and notebooks. */
export function barsToArrow(cols: BarColumns): Table {
  const fields = BAR_FIELDS.map((f) => new Field(f, new Float64(), false));
  const n = cols.start.length;
  const children = BAR_FIELDS.map((f) => makeData({ type: new Float64(), length: n, nullCount: 0, data: cols[f] }));
  const schema = new Schema(fields);
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children });
  return new Table([new RecordBatch(schema, struct)]);
}
