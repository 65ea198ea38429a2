/**
 * The tables a backtest writes — orders, fills, round trips, the equity curve — as Arrow
 * record batches with explicit schemas, and the JSON text of its metrics.
 *
 * Each table has its own schema, declared here column by column (they are not event schemas
 * and carry no event-kind metadata, so no event reader mistakes one for market data). Times
 * are Float64 milliseconds since the epoch like the event schemas' `ts`, so one join key
 * works across them; a value that does not exist yet (an unfilled order's average price, an
 * open round trip's exit time) is null, not NaN.
 *
 * The JSON is written with a fixed key order (the order the objects are built in), two-space
 * indentation, numbers as JavaScript's shortest round-trip text, and null for a number without
 * a value, so the same run gives the same bytes.
 *
 * @see https://arrow.apache.org/docs/format/Columnar.html (validity bitmaps, Utf8 offsets)
 */
import { Bool, Field, Float64, Int32, makeData, RecordBatch, Schema, Struct, Utf8, type Data, type DataType } from 'apache-arrow';
import { utf8Data } from '../core/batch.js';
import { ParquetWriter } from '../io/parquet.js';
import type { RoundTrip } from '../backtest/metrics.js';
import type { EquityCurve } from '../backtest/driver.js';
import type { Fill, Order } from '../backtest/types.js';

/** Column types of the output tables. */
type ColType = 'f64' | 'i32' | 'bool' | 'utf8';

/** One column: its name, type, whether it may be null, and how to read it from a row. */
export interface TableColumn<R> {
  name: string;
  type: ColType;
  nullable?: boolean;
  get: (row: R) => number | string | boolean | null;
}

function arrowType(t: ColType): DataType {
  switch (t) {
    case 'f64':
      return new Float64();
    case 'i32':
      return new Int32();
    case 'bool':
      return new Bool();
    case 'utf8':
      return new Utf8();
  }
}

/** The Arrow schema of a table, with `ofi_backtest.table` naming it. */
export function tableSchema<R>(table: string, columns: readonly TableColumn<R>[]): Schema {
  return new Schema(
    columns.map((c) => new Field(c.name, arrowType(c.type), c.nullable ?? false)),
    new Map([['ofi_backtest.table', table]]),
  );
}

function columnData<R>(c: TableColumn<R>, rows: readonly R[]): Data {
  const n = rows.length;
  let nulls = 0;
  const valid = new Uint8Array((n + 7) >> 3);
  const values = rows.map((r) => {
    const v = c.get(r);
    // a number without a value is null; NaN is how the trading types say "not yet"
    if (v === null || (typeof v === 'number' && v !== v)) {
      nulls++;
      return null;
    }
    return v;
  });
  for (let i = 0; i < n; i++) if (values[i] !== null) valid[i >> 3]! |= 1 << (i & 7);
  const nullBitmap = nulls > 0 ? valid : undefined;
  switch (c.type) {
    case 'f64':
      return makeData({ type: new Float64(), length: n, nullCount: nulls, nullBitmap, data: Float64Array.from(values, (v) => (v === null ? 0 : Number(v))) });
    case 'i32':
      return makeData({ type: new Int32(), length: n, nullCount: nulls, nullBitmap, data: Int32Array.from(values, (v) => (v === null ? 0 : Number(v))) });
    case 'bool': {
      const bits = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (values[i] === true) bits[i >> 3]! |= 1 << (i & 7);
      return makeData({ type: new Bool(), length: n, nullCount: nulls, nullBitmap, data: bits });
    }
    case 'utf8': {
      const base = utf8Data(values.map((v) => (v === null ? '' : String(v))));
      if (nulls === 0) return base;
      return makeData({ type: new Utf8(), length: n, nullCount: nulls, nullBitmap, valueOffsets: base.valueOffsets, data: base.values });
    }
  }
}

/** Rows as one record batch of the schema. */
export function tableBatch<R>(schema: Schema, columns: readonly TableColumn<R>[], rows: readonly R[]): RecordBatch {
  const children = columns.map((c) => columnData(c, rows));
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }));
}

/** orders.parquet: every order as it ended (its last status), in submission order. */
export const ORDER_COLUMNS: readonly TableColumn<Order>[] = [
  { name: 'id', type: 'i32', get: (o) => o.id },
  { name: 'symbol', type: 'utf8', get: (o) => o.symbol },
  { name: 'side', type: 'utf8', get: (o) => o.side },
  { name: 'type', type: 'utf8', get: (o) => o.type },
  { name: 'time_in_force', type: 'utf8', get: (o) => o.timeInForce },
  { name: 'reduce_only', type: 'bool', get: (o) => o.reduceOnly },
  { name: 'qty', type: 'f64', get: (o) => o.qty },
  { name: 'price', type: 'f64', nullable: true, get: (o) => (o.type === 'market' ? null : o.price) },
  { name: 'tag', type: 'utf8', get: (o) => o.tag },
  { name: 'status', type: 'utf8', get: (o) => o.status },
  { name: 'filled_qty', type: 'f64', get: (o) => o.filledQty },
  { name: 'avg_price', type: 'f64', nullable: true, get: (o) => o.avgPrice },
  { name: 'submit_ts', type: 'f64', get: (o) => o.submitTs },
  { name: 'venue_ts', type: 'f64', get: (o) => o.venueTs },
  { name: 'update_ts', type: 'f64', get: (o) => o.updateTs },
  { name: 'reason', type: 'utf8', get: (o) => o.reason },
];

/** fills.parquet: the fills ledger, in execution order. */
export const FILL_COLUMNS: readonly TableColumn<Fill>[] = [
  { name: 'ts', type: 'f64', get: (f) => f.ts },
  { name: 'order_id', type: 'i32', get: (f) => f.orderId },
  { name: 'symbol', type: 'utf8', get: (f) => f.symbol },
  { name: 'side', type: 'utf8', get: (f) => f.side },
  { name: 'price', type: 'f64', get: (f) => f.price },
  { name: 'qty', type: 'f64', get: (f) => f.qty },
  { name: 'liquidity', type: 'utf8', get: (f) => f.liquidity },
  { name: 'fee', type: 'f64', get: (f) => f.fee },
  { name: 'tag', type: 'utf8', get: (f) => f.tag },
];

/** trades.parquet: round trips (closed ones as they closed, then the open ones marked at the end). */
export const TRADE_COLUMNS: readonly TableColumn<RoundTrip>[] = [
  { name: 'id', type: 'i32', get: (t) => t.id },
  { name: 'symbol', type: 'utf8', get: (t) => t.symbol },
  { name: 'direction', type: 'utf8', get: (t) => t.direction },
  { name: 'status', type: 'utf8', get: (t) => t.status },
  { name: 'entry_ts', type: 'f64', get: (t) => t.entryTs },
  { name: 'exit_ts', type: 'f64', nullable: true, get: (t) => t.exitTs },
  { name: 'entry_qty', type: 'f64', get: (t) => t.entryQty },
  { name: 'entry_price', type: 'f64', get: (t) => t.entryPrice },
  { name: 'exit_qty', type: 'f64', get: (t) => t.exitQty },
  { name: 'exit_price', type: 'f64', nullable: true, get: (t) => t.exitPrice },
  { name: 'max_qty', type: 'f64', get: (t) => t.maxQty },
  { name: 'gross_pnl', type: 'f64', get: (t) => t.grossPnl },
  { name: 'fees', type: 'f64', get: (t) => t.fees },
  { name: 'pnl', type: 'f64', get: (t) => t.pnl },
  { name: 'return', type: 'f64', get: (t) => t.return },
  { name: 'duration_ms', type: 'f64', get: (t) => t.durationMs },
  { name: 'holding_ms', type: 'f64', nullable: true, get: (t) => t.holdingMs },
  { name: 'fills', type: 'i32', get: (t) => t.fills },
  { name: 'entry_tag', type: 'utf8', get: (t) => t.entryTag },
  { name: 'exit_tag', type: 'utf8', get: (t) => t.exitTag },
  { name: 'mode', type: 'utf8', get: (t) => t.mode },
  { name: 'entry_hour', type: 'i32', get: (t) => t.entryHour },
];

/** equity.parquet: the equity curve as sampled (every clock tick and after each fill), columns as the driver keeps them. */
export const EQUITY_SCHEMA = new Schema(
  [
    new Field('ts', new Float64(), false),
    new Field('equity', new Float64(), false),
    new Field('cash', new Float64(), false),
    new Field('gross_exposure', new Float64(), false),
    new Field('net_exposure', new Float64(), false),
    new Field('at_fill', new Bool(), false),
  ],
  new Map([['ofi_backtest.table', 'equity']]),
);

/** Rows [from, to) of an equity curve as a record batch of {@link EQUITY_SCHEMA}, the columns taken as they are. */
export function equityBatch(curve: EquityCurve, from = 0, to = curve.length): RecordBatch {
  const n = to - from;
  const f64 = (a: Float64Array) => makeData({ type: new Float64(), length: n, nullCount: 0, data: a.subarray(from, to) });
  const bits = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (curve.fill[from + i]) bits[i >> 3]! |= 1 << (i & 7);
  const children = [f64(curve.ts), f64(curve.equity), f64(curve.cash), f64(curve.gross), f64(curve.net), makeData({ type: new Bool(), length: n, nullCount: 0, data: bits })];
  return new RecordBatch(EQUITY_SCHEMA, makeData({ type: new Struct(EQUITY_SCHEMA.fields), length: n, nullCount: 0, children }));
}

/** Write an equity curve to Parquet. */
export async function writeEquity(path: string, curve: EquityCurve, rowGroupRows = 65_536): Promise<{ rows: number; bytes: number }> {
  const w = new ParquetWriter(path, EQUITY_SCHEMA, { rowGroupRows });
  try {
    for (let i = 0; i < curve.length; i += rowGroupRows) await w.write(equityBatch(curve, i, Math.min(curve.length, i + rowGroupRows)));
  } catch (err) {
    await w.abort();
    throw err;
  }
  return w.close();
}

/** JSON with equal bytes for equal values (moved to `core/stable-json.ts`; kept here for the run writers). */
export { stableJson } from '../core/stable-json.js';

/**
 * Write rows to a Parquet file under the table's schema, in row groups of `rowGroupRows`.
 * The bytes depend on the rows alone: parquet-wasm writes no time or random id, and the
 * writer's `created_by` is a constant.
 */
export async function writeTable<R>(path: string, table: string, columns: readonly TableColumn<R>[], rows: readonly R[], rowGroupRows = 65_536): Promise<{ rows: number; bytes: number }> {
  const schema = tableSchema(table, columns);
  const w = new ParquetWriter(path, schema, { rowGroupRows });
  try {
    for (let i = 0; i < rows.length; i += rowGroupRows) await w.write(tableBatch(schema, columns, rows.slice(i, i + rowGroupRows)));
  } catch (err) {
    await w.abort();
    throw err;
  }
  return w.close();
}
