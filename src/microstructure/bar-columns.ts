/**
 * The shape of a bar and bars as columns: the field list, the growing column builder the
 * columnar face appends to without an allocation per bar, and the Arrow table helper.
 * Each field's meaning is in `bars.ts`.
 */
import { Field, Float64, makeData, RecordBatch, Schema, Struct, Table } from 'apache-arrow';

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
export interface BarSink {
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

/** Bars as an Arrow table (one Float64 column per field), for Parquet writers and notebooks. */
export function barsToArrow(cols: BarColumns): Table {
  const fields = BAR_FIELDS.map((f) => new Field(f, new Float64(), false));
  const n = cols.start.length;
  const children = BAR_FIELDS.map((f) => makeData({ type: new Float64(), length: n, nullCount: 0, data: cols[f] }));
  const schema = new Schema(fields);
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children });
  return new Table([new RecordBatch(schema, struct)]);
}
