/**
 * The Arrow schema of each event kind. In bulk, events are Arrow record batches, one kind per
 * batch, columns as typed arrays: hot loops read `Float64Array`s straight from
 * `batch.getChild(name).data[0].values` and never touch an object per event.
 *
 * Column names are the event field names, so a Parquet file written from a batch reads the
 * same in DuckDB, Polars or pandas (`SELECT ts, price FROM 'part-*.parquet'`). `side` is an
 * `Int8` (+1 aggressor bought, −1 aggressor sold) so flow kernels multiply by it directly;
 * depth levels are `List<Float64>` columns, one list per side and quantity.
 *
 * @see https://arrow.apache.org/docs/format/Columnar.html
 */
import { Bool, Field, Float64, Int8, List, Schema, Utf8, type DataType } from 'apache-arrow';
import type { EventKind } from './events.js';

/** Physical column types used by event schemas. */
export type ColumnType = 'f64' | 'i8' | 'bool' | 'utf8' | 'list_f64';

/** One column of an event schema. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
}

const c = (name: string, type: ColumnType): ColumnSpec => ({ name, type });
const BASE: readonly ColumnSpec[] = [c('ts', 'f64'), c('recvTs', 'f64'), c('symbol', 'utf8')];

/** Columns of each kind, in schema order. */
export const COLUMNS: { readonly [K in EventKind]: readonly ColumnSpec[] } = {
  trade: [...BASE, c('price', 'f64'), c('qty', 'f64'), c('side', 'i8'), c('id', 'f64'), c('firstId', 'f64'), c('lastId', 'f64'), c('printKind', 'utf8')],
  quote: [...BASE, c('bidPrice', 'f64'), c('bidQty', 'f64'), c('askPrice', 'f64'), c('askQty', 'f64'), c('updateId', 'f64')],
  depth: [
    ...BASE,
    c('isSnapshot', 'bool'),
    c('firstUpdateId', 'f64'),
    c('lastUpdateId', 'f64'),
    c('prevUpdateId', 'f64'),
    c('bidPrices', 'list_f64'),
    c('bidQtys', 'list_f64'),
    c('askPrices', 'list_f64'),
    c('askQtys', 'list_f64'),
  ],
  mark: [...BASE, c('markPrice', 'f64'), c('indexPrice', 'f64'), c('fundingRate', 'f64'), c('nextFundingTime', 'f64')],
};

/** Schema metadata key naming the event kind of a table, so a file tells what it holds. */
export const KIND_METADATA_KEY = 'ofi_backtest.kind';
/** Schema metadata key with the event schema version. */
export const VERSION_METADATA_KEY = 'ofi_backtest.schema_version';
/** Version of the event schemas; bumped on any incompatible change. */
export const SCHEMA_VERSION = '1';

/** The Arrow data type of a column type. */
export function arrowType(type: ColumnType): DataType {
  switch (type) {
    case 'f64':
      return new Float64();
    case 'i8':
      return new Int8();
    case 'bool':
      return new Bool();
    case 'utf8':
      return new Utf8();
    case 'list_f64':
      return new List(new Field('item', new Float64(), false));
  }
}

const schemas = new Map<EventKind, Schema>();

/** The Arrow schema of an event kind (cached, shared). */
export function eventSchema(kind: EventKind): Schema {
  let s = schemas.get(kind);
  if (!s) {
    const fields = COLUMNS[kind].map((col) => new Field(col.name, arrowType(col.type), false));
    s = new Schema(fields, new Map([[KIND_METADATA_KEY, kind], [VERSION_METADATA_KEY, SCHEMA_VERSION]]));
    schemas.set(kind, s);
  }
  return s;
}

/** The event kind a schema declares in its metadata, or guessed from its columns. */
export function kindOfSchema(schema: Schema): EventKind | null {
  const declared = schema.metadata.get(KIND_METADATA_KEY);
  if (declared === 'trade' || declared === 'quote' || declared === 'depth' || declared === 'mark') return declared;
  const names = new Set(schema.fields.map((f) => f.name));
  for (const kind of ['depth', 'quote', 'mark', 'trade'] as const) {
    if (COLUMNS[kind].every((col) => names.has(col.name))) return kind;
  }
  return null;
}
