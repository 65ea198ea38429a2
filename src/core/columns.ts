/**
 * Typed-array views of trade and quote record batches, the inputs of the columnar calculators.
 * The views share memory with the batch (no copy for the single-chunk batches readers emit).
 *
 * @see ../core/schema.ts for the columns, and https://arrow.apache.org/docs/format/Columnar.html#variable-size-binary-layout
 *      for the Utf8 layout {@link marketMask} reads.
 */
import type { Data, RecordBatch } from 'apache-arrow';
import { f64Column, sideColumn } from './batch.js';

/** Trades as columns. `market[i]` is 1 for an order-flow print (`printKind === 'MARKET'`); absent means all are. */
export interface TradeColumns {
  ts: Float64Array;
  price: Float64Array;
  qty: Float64Array;
  /** +1 aggressor bought, −1 aggressor sold (Binance `m: true` ⇒ −1). */
  side: Int8Array;
  market?: Uint8Array;
}

/** Best bid/ask updates as columns. */
export interface QuoteColumns {
  ts: Float64Array;
  bidPrice: Float64Array;
  bidQty: Float64Array;
  askPrice: Float64Array;
  askQty: Float64Array;
  /** Order-book update id (Binance `u`), for the OFI update-id rule; absent means none. */
  updateId?: Float64Array;
}

// 'MARKET' in UTF-8
const M0 = 77, M1 = 65, M2 = 82, M3 = 75, M4 = 69, M5 = 84;

/**
 * A 0/1 mask of the rows of a Utf8 column that read exactly `MARKET`, computed from the column's
 * offsets and bytes without decoding a string per row. Binance USD-M trade streams carry
 * insurance-fund (liquidation) and ADL prints besides market prints; only market prints are
 * aggressor order flow.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Trade-Streams
 */
export function marketMask(batch: RecordBatch, column = 'printKind'): Uint8Array {
  const v = batch.getChild(column);
  if (!v) throw new Error(`batch lacks column "${column}"`);
  const mask = new Uint8Array(v.length);
  let row = 0;
  for (const d of v.data) {
    const offsets = d.valueOffsets as Int32Array;
    const bytes = d.values as Uint8Array;
    const n = d.length;
    // Arrow JS slices the offsets buffer when it slices data; `offset` applies to the validity bitmap only.
    const base = d.offset;
    const nulls = d.nullCount > 0 ? d.nullBitmap : null;
    for (let i = 0; i < n; i++, row++) {
      const r = base + i;
      if (nulls && ((nulls[r >> 3]! >> (r & 7)) & 1) === 0) continue;
      const a = offsets[i]!;
      if (
        offsets[i + 1]! - a === 6 &&
        bytes[a] === M0 &&
        bytes[a + 1] === M1 &&
        bytes[a + 2] === M2 &&
        bytes[a + 3] === M3 &&
        bytes[a + 4] === M4 &&
        bytes[a + 5] === M5
      ) {
        mask[row] = 1;
      }
    }
  }
  return mask;
}

/** The columns of a trade batch, with the market-print mask. */
export function tradeColumns(batch: RecordBatch): Required<TradeColumns> {
  return {
    ts: f64Column(batch, 'ts'),
    price: f64Column(batch, 'price'),
    qty: f64Column(batch, 'qty'),
    side: sideColumn(batch),
    market: marketMask(batch),
  };
}

/** The columns of a quote batch. */
export function quoteColumns(batch: RecordBatch): QuoteColumns {
  return {
    ts: f64Column(batch, 'ts'),
    bidPrice: f64Column(batch, 'bidPrice'),
    bidQty: f64Column(batch, 'bidQty'),
    askPrice: f64Column(batch, 'askPrice'),
    askQty: f64Column(batch, 'askQty'),
    updateId: f64Column(batch, 'updateId'),
  };
}

/**
 * Per row, the index of its symbol in `names`. Compares the UTF-8 bytes of each row with the
 * previous row's, so a batch of one symbol decodes one string, not one per row.
 */
export function symbolCodes(batch: RecordBatch, column = 'symbol'): { names: string[]; codes: Int32Array } {
  const n = batch.numRows;
  const codes = new Int32Array(n);
  const names: string[] = [];
  const v = batch.getChild(column);
  if (!v || n === 0) return { names, codes };
  const d = v.data[0] as Data;
  const offs = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const index = new Map<string, number>();
  const decoder = new TextDecoder();
  let prevStart = -1;
  let prevEnd = -1;
  let prevCode = -1;
  for (let i = 0; i < n; i++) {
    const s = offs[i]!;
    const e = offs[i + 1]!;
    if (prevCode >= 0 && e - s === prevEnd - prevStart && bytesEqual(bytes, s, prevStart, e - s)) {
      codes[i] = prevCode;
    } else {
      const name = decoder.decode(bytes.subarray(s, e));
      let code = index.get(name);
      if (code === undefined) {
        code = names.length;
        names.push(name);
        index.set(name, code);
      }
      codes[i] = prevCode = code;
    }
    prevStart = s;
    prevEnd = e;
  }
  return { names, codes };
}

function bytesEqual(b: Uint8Array, a0: number, b0: number, len: number): boolean {
  if (a0 === b0) return true;
  for (let k = 0; k < len; k++) if (b[a0 + k] !== b[b0 + k]) return false;
  return true;
}
