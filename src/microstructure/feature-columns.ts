/**
 * The columns of feature rows (`feature-set.ts`) and the growing column builder the rows are
 * appended to, so a writer (Parquet, JSONL, a notebook's Arrow table) gets typed arrays and no
 * object per row. Two shapes:
 *
 * - **bar rows** (a time or event bar): `symbol`, the bar's fields (`bars.ts`: `start`, `end`,
 *   OHLC of the mid, `spread`, `spreadMean`, `ofi`, `ofiCum`, `cvdDelta`, `cvd`, volumes,
 *   counts), then the fused features as they stood at the bar's close;
 * - **update rows** (one per quote or trade): `symbol`, `ts`, `kind`, the carried `mid` and
 *   `spread`, the update's own `ofi` (e_n of a quote, 0 for a trade or a skipped quote, `NaN`
 *   for the first quote), a trade's `price`, `qty` and `aggressor` (+1 bought, −1 sold, 0 for a
 *   quote), the carried `cvd`, then the fused features after the update.
 *
 * Fused features (`fusion.ts`): `z_ofi`, `z_cvd`, `score`, `side` (+1 buy, −1 sell, 0 neutral
 * or not ready), `consistency`; the divergence being reported (`divergence.ts`): `div_type`
 * (`null` when none), flags `div_bullish`, `div_bearish` (0/1), `div_strength`, `div_known_ts`
 * (when it became known); and `fp`, the fingerprint of the fusion options. `ofi_norm` (OFI over
 * the average best-level depth of the same quotes) follows `ofi` when asked for. A number that
 * has no value yet (warm-up) is `NaN`.
 */
import { BAR_FIELDS, type Bar } from './bar-columns.js';

/** Physical type of a feature column. */
export type FeatureColumnType = 'f64' | 'i8' | 'utf8';

/** One feature row, scratch: filled by the feature set, read by {@link FeatureColumnsBuilder}. */
export interface FeatureRow {
  symbol: string;
  /** The bar of a bar row (bar rows only). */
  bar: Bar | null;
  ts: number;
  kind: 'quote' | 'trade';
  mid: number;
  spread: number;
  ofi: number;
  ofi_norm: number;
  price: number;
  qty: number;
  aggressor: number;
  cvd: number;
  z_ofi: number;
  z_cvd: number;
  score: number;
  side: number;
  consistency: number;
  div_type: string | null;
  div_bullish: number;
  div_bearish: number;
  div_strength: number;
  div_known_ts: number;
  fp: string;
}

/** One column: its name, type, whether it can be null, and how to read it from a row. */
export interface FeatureColumn {
  name: string;
  type: FeatureColumnType;
  nullable: boolean;
  get(row: FeatureRow): number | string | null;
}

const f64 = (name: string, get: (r: FeatureRow) => number): FeatureColumn => ({ name, type: 'f64', nullable: false, get });
const i8 = (name: string, get: (r: FeatureRow) => number): FeatureColumn => ({ name, type: 'i8', nullable: false, get });

const FUSED: FeatureColumn[] = [
  f64('z_ofi', (r) => r.z_ofi),
  f64('z_cvd', (r) => r.z_cvd),
  f64('score', (r) => r.score),
  i8('side', (r) => r.side),
  f64('consistency', (r) => r.consistency),
  { name: 'div_type', type: 'utf8', nullable: true, get: (r) => r.div_type },
  i8('div_bullish', (r) => r.div_bullish),
  i8('div_bearish', (r) => r.div_bearish),
  f64('div_strength', (r) => r.div_strength),
  f64('div_known_ts', (r) => r.div_known_ts),
  { name: 'fp', type: 'utf8', nullable: false, get: (r) => r.fp },
];

const SYMBOL: FeatureColumn = { name: 'symbol', type: 'utf8', nullable: false, get: (r) => r.symbol };
const OFI_NORM = f64('ofi_norm', (r) => r.ofi_norm);

/** The columns of bar rows or of update rows, with `ofi_norm` when `normalize`. */
export function featureColumns(mode: 'bar' | 'update', normalize = false): FeatureColumn[] {
  if (mode === 'bar') {
    const bar = BAR_FIELDS.map((f) => f64(f, (r) => r.bar![f]));
    const at = BAR_FIELDS.indexOf('ofiCum') + 1;
    return [SYMBOL, ...bar.slice(0, at), ...(normalize ? [OFI_NORM] : []), ...bar.slice(at), ...FUSED];
  }
  return [
    SYMBOL,
    f64('ts', (r) => r.ts),
    { name: 'kind', type: 'utf8', nullable: false, get: (r) => r.kind },
    f64('mid', (r) => r.mid),
    f64('spread', (r) => r.spread),
    f64('ofi', (r) => r.ofi),
    ...(normalize ? [OFI_NORM] : []),
    f64('price', (r) => r.price),
    f64('qty', (r) => r.qty),
    i8('aggressor', (r) => r.aggressor),
    f64('cvd', (r) => r.cvd),
    ...FUSED,
  ];
}

/** Column values of a block of rows. */
export type FeatureColumnValues = Float64Array | Int8Array | (string | null)[];

/**
 * Rows appended as columns (typed arrays growing by doubling); `take()` hands out what was
 * gathered and starts afresh, so a writer can flush every few thousand rows.
 */
export class FeatureColumnsBuilder {
  private f: FeatureColumnValues[];
  private cap: number;
  length = 0;

  constructor(
    readonly columns: readonly FeatureColumn[],
    private readonly capacity = 4096,
  ) {
    this.cap = Math.max(16, capacity);
    this.f = this.fresh();
  }

  private fresh(): FeatureColumnValues[] {
    this.cap = Math.max(16, this.capacity);
    return this.columns.map((c) => (c.type === 'f64' ? new Float64Array(this.cap) : c.type === 'i8' ? new Int8Array(this.cap) : []));
  }

  push(row: FeatureRow): void {
    const n = this.length;
    if (n === this.cap) this.grow();
    const cols = this.columns;
    const f = this.f;
    for (let c = 0; c < cols.length; c++) {
      const col = cols[c]!;
      const v = col.get(row);
      if (col.type === 'utf8') (f[c] as (string | null)[])[n] = v as string | null;
      else (f[c] as Float64Array)[n] = v as number;
    }
    this.length = n + 1;
  }

  private grow(): void {
    this.cap *= 2;
    this.f = this.f.map((a) => {
      if (Array.isArray(a)) return a;
      const next = a instanceof Int8Array ? new Int8Array(this.cap) : new Float64Array(this.cap);
      next.set(a as never);
      return next;
    });
  }

  /** The rows so far as columns (exactly `length` values each), and a fresh start. */
  take(): { length: number; values: FeatureColumnValues[] } {
    const n = this.length;
    const values = this.f.map((a) => (Array.isArray(a) ? a.slice(0, n) : a.subarray(0, n)));
    this.f = this.fresh();
    this.length = 0;
    return { length: n, values };
  }
}
