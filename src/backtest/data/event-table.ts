/**
 * The merged event stream, columnar: for each event in exchange-time order its kind code
 * (`Uint8`), symbol code (`Uint16`), row in its kind's columns (`Int32`) and time (`Float64`);
 * the rows themselves in one typed column set per kind. No object per event anywhere: a
 * consumer walks `i` and reads `table.quote.bidPrice[table.row[i]]`.
 *
 * One shape serves both readers. The streaming reader hands out tables of a few thousand
 * events (chunks), each with its own columns; the in-memory reader builds one table over a
 * whole slice, so a parameter sweep that replays it a hundred times pays the merge once and
 * then reads at memory speed. A table's arrays can live on `SharedArrayBuffer`s: {@link
 * EventTable.data} is a plain object of typed arrays and strings that `postMessage` hands to a
 * worker without copying the shared memory, and {@link EventTable.fromData} wraps it there.
 *
 * Order: exchange time, ties by kind (`EVENT_KINDS`: book state before the trades that hit
 * it), then symbol, then source — the rule of the dataset merge (`io/merge.ts`).
 */
import type { EventKind } from '../../core/events.js';
import { DEPTH, MARK, QUOTE, TRADE, type DepthColumnSet, type MarkColumnSet, type QuoteColumnSet, type TradeColumnSet } from './columns.js';

/** A table as plain data (structured-cloneable; shared buffers stay shared). */
export interface EventTableData {
  length: number;
  kind: Uint8Array;
  sym: Uint16Array;
  row: Int32Array;
  ts: Float64Array;
  depth: DepthColumnSet;
  quote: QuoteColumnSet;
  trade: TradeColumnSet;
  mark: MarkColumnSet;
  /** Symbol of each code. */
  symbols: string[];
  /** Print kind (`MARKET`, `INSURANCE_FUND`, …) of each trade `print` code. */
  printKinds: string[];
}

/**
 * Events in merged order over typed columns (see the module comment).
 *
 * @example
 * for (let i = 0; i < t.length; i++) if (t.kind[i] === QUOTE) mid = 0.5 * (t.quote.bidPrice[t.row[i]] + t.quote.askPrice[t.row[i]]);
 */
export class EventTable implements EventTableData {
  readonly length: number;
  readonly kind: Uint8Array;
  readonly sym: Uint16Array;
  readonly row: Int32Array;
  readonly ts: Float64Array;
  readonly depth: DepthColumnSet;
  readonly quote: QuoteColumnSet;
  readonly trade: TradeColumnSet;
  readonly mark: MarkColumnSet;
  readonly symbols: string[];
  readonly printKinds: string[];

  constructor(d: EventTableData) {
    this.length = d.length;
    this.kind = d.kind;
    this.sym = d.sym;
    this.row = d.row;
    this.ts = d.ts;
    this.depth = d.depth;
    this.quote = d.quote;
    this.trade = d.trade;
    this.mark = d.mark;
    this.symbols = d.symbols;
    this.printKinds = d.printKinds;
  }

  /** Wrap data made elsewhere (a worker's copy of {@link data}). */
  static fromData(d: EventTableData): EventTable {
    return d instanceof EventTable ? d : new EventTable(d);
  }

  /** The table as plain data, to post to a worker. */
  data(): EventTableData {
    const { length, kind, sym, row, ts, depth, quote, trade, mark, symbols, printKinds } = this;
    return { length, kind, sym, row, ts, depth, quote, trade, mark, symbols, printKinds };
  }

  /** The column set of a kind code. */
  columns(kind: number): DepthColumnSet | QuoteColumnSet | TradeColumnSet | MarkColumnSet {
    return kind === QUOTE ? this.quote : kind === TRADE ? this.trade : kind === DEPTH ? this.depth : this.mark;
  }

  /** Events of each kind in the merged order. */
  get counts(): Record<EventKind, number> {
    const c = [0, 0, 0, 0];
    for (let i = 0; i < this.length; i++) c[this.kind[i]!]!++;
    return { depth: c[DEPTH]!, quote: c[QUOTE]!, trade: c[TRADE]!, mark: c[MARK]! };
  }

  /** Code of a symbol, or −1 when the table has none of it. */
  symbolCode(symbol: string): number {
    return this.symbols.indexOf(symbol);
  }

  /** Events `[start, end)` of the merged order, as a table over the same columns (no copy). */
  range(start: number, end: number): EventTable {
    const a = Math.max(0, Math.min(start, this.length));
    const b = Math.max(a, Math.min(end, this.length));
    return new EventTable({ ...this.data(), length: b - a, kind: this.kind.subarray(a, b), sym: this.sym.subarray(a, b), row: this.row.subarray(a, b), ts: this.ts.subarray(a, b) });
  }

  /**
   * The events with `startTs ≤ ts < endTs` (a train or test fold of a sweep), as a table over
   * the same columns. Found by binary search, so the merged times must not go back (they do
   * not, unless a source itself does).
   */
  between(startTs: number, endTs: number): EventTable {
    return this.range(this.lowerBound(startTs), this.lowerBound(endTs));
  }

  /** The first event index whose time is at or after `t` (`length` if none). */
  lowerBound(t: number): number {
    let lo = 0;
    let hi = this.length;
    const ts = this.ts;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
