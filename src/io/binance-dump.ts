/**
 * Reader of Binance's public data dumps (data.binance.vision): daily and monthly `aggTrades`,
 * `trades` and `bookTicker` CSVs, plain or inside the `.zip` Binance distributes (one CSV per
 * archive), with or without the header row (older files have none).
 *
 * Which dump a file is comes from its header, else its name (`BTCUSDT-aggTrades-2024-08-08.csv`),
 * else the shape of its first row; the time unit (ms, or µs in spot dumps since 2025) is told
 * per file from the first row's magnitude. Dumps carry no local receive time: `recvTs` is `NaN`.
 *
 * @see https://github.com/binance/binance-public-data (file layout and column names)
 * @see https://data.binance.vision
 */
import { basename } from 'node:path';
import type * as z from 'zod';
import { BatchBuilder, type KindBatch } from '../core/batch.js';
import { UserInputError, rejectRecord, type RejectReason } from '../core/errors.js';
import type { QuoteEvent, TradeEvent } from '../core/events.js';
import { detectTimeUnit, epochTextToMs, type TimeUnit } from '../core/time.js';
import { DumpAggTradeRow, DumpBookTickerRow, DumpTradeRow, firstIssue } from '../core/wire.js';
import { CsvFields } from './csv-fields.js';
import { fileError, readHead, readLineChunks, type LineChunk } from './lines.js';
import { countSkip, newReadStats, reject, type ReadOptions } from './source.js';
import { openZip, zipEntryLineChunks, type ZipArchive } from './zip.js';

/** The three dumps this reader knows, named as in Binance's file names. */
export type DumpKind = 'aggTrades' | 'trades' | 'bookTicker';

type ColType = 'uint' | 'decimal' | 'time' | 'bool';

interface DumpLayout {
  kind: DumpKind;
  /** Column names of the longest form (spot adds `is_best_match` to trades and aggTrades). */
  columns: readonly string[];
  types: readonly ColType[];
  min: number;
  max: number;
  /** The column that gives the event time. */
  time: number;
  /** Row schema by column count − `min`. */
  schemas: readonly z.ZodType[];
}

const LAYOUTS: Record<DumpKind, DumpLayout> = {
  aggTrades: {
    kind: 'aggTrades',
    columns: ['agg_trade_id', 'price', 'quantity', 'first_trade_id', 'last_trade_id', 'transact_time', 'is_buyer_maker', 'is_best_match'],
    types: ['uint', 'decimal', 'decimal', 'uint', 'uint', 'time', 'bool', 'bool'],
    min: 7,
    max: 8,
    time: 5,
    schemas: DumpAggTradeRow.options,
  },
  trades: {
    kind: 'trades',
    columns: ['id', 'price', 'qty', 'quote_qty', 'time', 'is_buyer_maker', 'is_best_match'],
    types: ['uint', 'decimal', 'decimal', 'decimal', 'time', 'bool', 'bool'],
    min: 6,
    max: 7,
    time: 4,
    schemas: DumpTradeRow.options,
  },
  bookTicker: {
    kind: 'bookTicker',
    columns: ['update_id', 'best_bid_price', 'best_bid_qty', 'best_ask_price', 'best_ask_qty', 'transaction_time', 'event_time'],
    types: ['uint', 'decimal', 'decimal', 'decimal', 'decimal', 'time', 'time'],
    min: 7,
    max: 7,
    time: 6,
    schemas: [DumpBookTickerRow],
  },
};

const NAME_RE = /^([A-Za-z0-9_]+)-(aggTrades|trades|bookTicker)(?:[-.]|$)/i;

/**
 * Symbol and dump kind from a Binance dump file name (`BTCUSDT-aggTrades-2024-08-08.csv`,
 * `BTCUSD_PERP-bookTicker-2023-10.zip`), or `null` when the name does not follow the convention.
 */
export function dumpNameInfo(name: string): { symbol: string; kind: DumpKind } | null {
  const m = NAME_RE.exec(basename(name));
  if (!m) return null;
  const k = m[2]!.toLowerCase();
  return { symbol: m[1]!.toUpperCase(), kind: k === 'aggtrades' ? 'aggTrades' : k === 'trades' ? 'trades' : 'bookTicker' };
}

/** The layout a header row names, checked column by column; `null` if it names none. */
function layoutOfHeader(f: CsvFields): DumpLayout | null {
  for (const layout of Object.values(LAYOUTS)) {
    if (f.count < layout.min || f.count > layout.max) continue;
    let ok = true;
    for (let i = 0; i < f.count && ok; i++) ok = f.text(i).trim().toLowerCase() === layout.columns[i];
    if (ok) return layout;
  }
  return null;
}

/**
 * The layout a headerless, nameless file's first row fits: the dumps differ in column count
 * and in where their booleans are (trades: 6th, aggTrades: 7th, bookTicker: none).
 */
function layoutOfShape(f: CsvFields): DumpLayout | null {
  const n = f.count;
  const isBool = (i: number) => i < n && f.bool(i) >= 0;
  if (n === 6 && isBool(5)) return LAYOUTS.trades;
  if (n === 7 && isBool(5) && isBool(6)) return LAYOUTS.trades;
  if (n === 7 && isBool(6)) return LAYOUTS.aggTrades;
  if (n === 8 && isBool(6) && isBool(7)) return LAYOUTS.aggTrades;
  if (n === 7 && !isBool(5) && !isBool(6)) return LAYOUTS.bookTicker;
  return null;
}

interface DumpSource {
  label: string;
  names: string[];
  chunks: AsyncGenerator<LineChunk>;
  close(): void;
}

async function isZipFile(path: string): Promise<boolean> {
  let head: Uint8Array;
  try {
    head = await readHead(path, 4);
  } catch (err) {
    throw err instanceof UserInputError ? err : fileError(path, err);
  }
  return head.length === 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4;
}

async function openDumpSource(path: string, label: string): Promise<DumpSource> {
  if (!(await isZipFile(path))) return { label, names: [basename(path)], chunks: readLineChunks(path), close: () => {} };
  const zip: ZipArchive = await openZip(path);
  const csvs = zip.entries.filter((e) => /\.csv$/i.test(e.name));
  const pick = csvs.length === 1 ? csvs[0] : csvs.length === 0 && zip.entries.length === 1 ? zip.entries[0] : undefined;
  if (!pick) {
    zip.close();
    const names = zip.entries.map((e) => e.name).join(', ') || 'none';
    throw new UserInputError(`${label}: expected one CSV in the archive, found entries: ${names}`, 'E_ZIP');
  }
  return { label: `${label}:${pick.name}`, names: [basename(pick.name), basename(path)], chunks: zipEntryLineChunks(zip, pick.name), close: () => zip.close() };
}

/**
 * Read a Binance dump (`aggTrades`, `trades` or `bookTicker`; CSV or zip) as Arrow record
 * batches of `trade` or `quote` events, in bounded memory.
 *
 * - aggTrades: `id` = agg_trade_id, `firstId`/`lastId` from the row, `ts` = transact_time.
 * - trades: `id` = `firstId` = `lastId` = id, `ts` = time.
 * - bookTicker: `ts` = event_time (the exchange's event time, as the websocket `E`);
 *   transaction_time (the book's own time) is checked but not kept; `updateId` = update_id.
 *
 * `is_buyer_maker` true means the resting order was the buy, so the aggressor sold: side
 * `'sell'`. Dumps do not mark insurance-fund or ADL prints, so every trade is `'MARKET'`.
 * A refused row goes to `options.onReject` with the file (`archive.zip:entry.csv` for zips),
 * its line and the column to blame; the rest of the file reads on.
 *
 * @throws UserInputError when the file is missing, is not one of the three dumps, or names no symbol
 *   (pass `options.symbol`).
 * @see https://github.com/binance/binance-public-data
 * @example
 * for await (const { kind, batch } of readBinanceDump('BTCUSDT-aggTrades-2024-08-08.zip')) console.log(kind, batch.numRows);
 */
export async function* readBinanceDump(path: string, options: ReadOptions = {}): AsyncGenerator<KindBatch> {
  const stats = options.stats ?? newReadStats();
  const src = await openDumpSource(path, options.name ?? path);
  const { label } = src;
  try {
    const fromName = src.names.map(dumpNameInfo).find((x) => x !== null) ?? null;
    const symbol = options.symbol ?? fromName?.symbol;
    if (!symbol) throw new UserInputError(`${label}: the file name names no symbol (SYMBOL-kind-date.csv); pass options.symbol`);

    const f = new CsvFields();
    const trade: TradeEvent = { type: 'trade', symbol, ts: 0, recvTs: Number.NaN, price: 0, qty: 0, side: 'buy', id: 0, firstId: 0, lastId: 0, printKind: 'MARKET' };
    const quote: QuoteEvent = { type: 'quote', symbol, ts: 0, recvTs: Number.NaN, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0, updateId: 0 };
    let layout: DumpLayout | null = null;
    let builder: BatchBuilder<'trade'> | BatchBuilder<'quote'> | null = null;
    let min = 0;
    let max = 0;
    let unit: TimeUnit | null = null;

    for await (const { lines, firstLine } of src.chunks) {
      for (let k = 0; k < lines.length; k++) {
        let line = lines[k]!;
        const lineNo = firstLine + k;
        stats.lines++;
        if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
        if (line.length === 0) {
          countSkip(stats, 'blank');
          continue;
        }
        const n = f.split(line);

        if (layout === null) {
          // a header starts with a column name; anything else is a (possibly bad) data row
          const c0 = line.charCodeAt(0) | 0x20;
          const header = c0 >= 97 && c0 <= 122;
          if (header) {
            layout = layoutOfHeader(f);
            if (!layout) throw new UserInputError(`${label}: header "${line.slice(0, 200)}" is not a Binance aggTrades, trades or bookTicker dump header`);
          } else {
            layout = fromName ? LAYOUTS[fromName.kind] : layoutOfShape(f);
            if (!layout) {
              throw new UserInputError(
                `${label}: cannot tell which Binance dump this is (aggTrades, trades or bookTicker): no header row, no kind in the file name, and a first row of ${n} columns that fits none`,
              );
            }
          }
          min = header ? n : layout.min;
          max = header ? n : layout.max;
          builder = layout.kind === 'bookTicker' ? new BatchBuilder('quote', options.batchRows) : new BatchBuilder('trade', options.batchRows);
          if (header) {
            countSkip(stats, 'header');
            continue;
          }
        }

        let t = Number.NaN;
        let ok = n >= min && n <= max;
        if (ok) {
          if (layout.kind === 'bookTicker') {
            quote.updateId = f.uint(0);
            quote.bidPrice = f.decimal(1);
            quote.bidQty = f.decimal(2);
            quote.askPrice = f.decimal(3);
            quote.askQty = f.decimal(4);
            t = f.uint(6);
            ok = quote.updateId >= 0 && quote.bidPrice === quote.bidPrice && quote.bidQty === quote.bidQty && quote.askPrice === quote.askPrice && quote.askQty === quote.askQty && f.uint(5) > 0 && t > 0;
          } else {
            const agg = layout.kind === 'aggTrades';
            trade.id = f.uint(0);
            trade.price = f.decimal(1);
            trade.qty = f.decimal(2);
            trade.firstId = agg ? f.uint(3) : trade.id;
            trade.lastId = agg ? f.uint(4) : trade.id;
            const quoteQty = agg ? 0 : f.decimal(3);
            t = f.uint(layout.time);
            const maker = f.bool(layout.time + 1);
            trade.side = maker === 1 ? 'sell' : 'buy';
            ok = trade.id >= 0 && trade.price === trade.price && trade.qty === trade.qty && trade.firstId >= 0 && trade.lastId >= 0 && quoteQty === quoteQty && t > 0 && maker >= 0 && (n === layout.min || f.bool(n - 1) >= 0);
          }
        }
        if (!ok) {
          const why = explain(layout, f, min, max);
          reject(options, stats, rejectRecord(label, lineNo, why.reason, why.message, line, why.field));
          continue;
        }

        const rowUnit = detectTimeUnit(t);
        if (unit === null) unit = rowUnit;
        if (rowUnit === null || rowUnit !== unit) {
          const col = layout.columns[layout.time]!;
          const msg = rowUnit === null ? `${t} is not an epoch time in s, ms, µs or ns` : `${t} is in ${rowUnit}, but this file's times are in ${unit}`;
          reject(options, stats, rejectRecord(label, lineNo, 'bad-value', msg, line, col));
          continue;
        }
        const ts = unit === 'ms' ? t : unit === 'us' ? (t - (t % 1000)) / 1000 + (t % 1000) / 1e3 : epochTextToMs(f.text(layout.time), unit);
        if (layout.kind === 'bookTicker') {
          quote.ts = ts;
          (builder as BatchBuilder<'quote'>).append(quote);
          stats.events.quote++;
        } else {
          trade.ts = ts;
          (builder as BatchBuilder<'trade'>).append(trade);
          stats.events.trade++;
        }
        if (builder!.full) yield { kind: builder!.kind, batch: builder!.flush()! };
      }
    }
    const last = builder?.flush();
    if (builder && last) yield { kind: builder.kind, batch: last };
  } finally {
    await src.chunks.return(undefined);
    src.close();
  }
}

/** Why the fast path refused a row, in the words of its zod schema. */
function explain(layout: DumpLayout, f: CsvFields, min: number, max: number): { reason: RejectReason; field?: string; message: string } {
  const n = f.count;
  if (n < min) {
    return { reason: 'missing-field', field: layout.columns[n], message: `expected ${min} columns (${layout.columns.slice(0, min).join(',')}), got ${n}` };
  }
  if (n > max) return { reason: 'bad-row', message: `expected ${max} columns (${layout.columns.slice(0, max).join(',')}), got ${n}` };
  const fields = f.line.split(',');
  const r = layout.schemas[n - layout.min]!.safeParse(fields);
  if (r.success) return { reason: 'bad-row', message: 'row refused by the reader but accepted by its schema' };
  const issue = firstIssue(r.error);
  const i = Number(issue.field);
  const type = layout.types[i];
  if (type === undefined) return { reason: 'bad-row', message: issue.message };
  return { reason: type === 'bool' ? 'bad-value' : 'bad-number', field: layout.columns[i], message: `${issue.message}, got '${fields[i]}'` };
}
