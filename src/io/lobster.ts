/**
 * Reader of LOBSTER limit-order-book data: a message file (one event a row) and an order-book
 * file (the book after that event, `levels` deep) read in lockstep, at any level count, from
 * the pair's folder, either CSV of the pair, or the `.zip` LOBSTER distributes — the zip's two
 * entries inflate side by side as streams, never whole.
 *
 * Times: LOBSTER writes seconds after midnight in New York local time (NASDAQ's clock). They
 * become true UTC epoch milliseconds with the America/New_York offset of the file's date, taken
 * from `Intl` (EDT, UTC−4, in summer; EST, UTC−5, in winter); `timeZone: 'UTC'` reads them as
 * UTC instead. The offset is taken once per file: a trading day never spans a DST switch (2 am).
 *
 * @see LOBSTER_SampleFiles_ReadMe.txt (in every LOBSTER sample zip) and https://lobsterdata.com/info/DataStructure.php
 */
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BatchBuilder, type KindBatch } from '../core/batch.js';
import { UserInputError, rejectRecord, type RejectReason } from '../core/errors.js';
import type { DepthEvent, QuoteEvent, TradeEvent } from '../core/events.js';
import { LobsterBookRow, LobsterMessageRow, firstIssue } from '../core/wire.js';
import { CsvFields } from './csv-fields.js';
import { fileError, readHead, readLineChunks, type LineChunk } from './lines.js';
import { countSkip, newReadStats, reject, type ReadOptions } from './source.js';
import { openZip, zipEntryLineChunks } from './zip.js';

/** Options of {@link readLobster}. */
export interface LobsterReadOptions extends ReadOptions {
  /** IANA zone of the file's clock; default `'America/New_York'` (NASDAQ). `'UTC'` takes times as UTC. */
  timeZone?: string;
}

/** What a LOBSTER file name says: `TICKER_DATE_START_END_message_N.csv` / `…_orderbook_N.csv`. */
export interface LobsterName {
  ticker: string;
  date: string;
  part: 'message' | 'orderbook';
  level: number;
  /** The name with `part` swapped: the other file of the pair. */
  sibling: string;
}

const NAME_RE = /^(.+)_(\d{4}-\d{2}-\d{2})_(\d+)_(\d+)_(message|orderbook)_(\d+)\.csv$/;

/** Parse a LOBSTER file name (any folder part is ignored); `null` if it does not follow the convention. */
export function lobsterName(name: string): LobsterName | null {
  const base = basename(name);
  const m = NAME_RE.exec(base);
  if (!m) return null;
  const part = m[5] as 'message' | 'orderbook';
  const other = part === 'message' ? 'orderbook' : 'message';
  return { ticker: m[1]!, date: m[2]!, part, level: Number(m[6]), sibling: `${m[1]}_${m[2]}_${m[3]}_${m[4]}_${other}_${m[6]}.csv` };
}

/**
 * Epoch ms of midnight of `date` (`YYYY-MM-DD`) on the wall clock of `timeZone`, with the zone's
 * UTC offset for that date from `Intl` (so DST follows the zone's own rules, not a table here).
 * @example lobsterDayStartMs('2012-06-21', 'America/New_York') // 1340251200000 (04:00Z: EDT)
 */
export function lobsterDayStartMs(date: string, timeZone: string): number {
  const noon = Date.parse(`${date}T12:00:00Z`);
  let zoneName: string | undefined;
  try {
    zoneName = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(noon).find((p) => p.type === 'timeZoneName')?.value;
  } catch {
    throw new UserInputError(`unknown time zone "${timeZone}"`);
  }
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(zoneName ?? '');
  if (!m) throw new UserInputError(`cannot tell the UTC offset of time zone "${timeZone}" (got "${zoneName}")`);
  const offset = m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3_600_000 + Number(m[3]) * 60_000) : 0;
  return noon - 12 * 3_600_000 - offset;
}

interface LobsterPair {
  name: LobsterName;
  messageLabel: string;
  bookLabel: string;
  messages: AsyncGenerator<LineChunk>;
  book: AsyncGenerator<LineChunk>;
  close(): void;
}

/** The one complete message/orderbook pair among `names`, or a one-line error. */
function pickPair(label: string, names: readonly string[]): { message: string; book: string; name: LobsterName } {
  const pairs: { message: string; book: string; name: LobsterName }[] = [];
  for (const n of names) {
    const info = lobsterName(n);
    if (info?.part !== 'message') continue;
    const book = names.find((o) => basename(o) === info.sibling);
    if (book) pairs.push({ message: n, book, name: info });
  }
  if (pairs.length === 1) return pairs[0]!;
  if (pairs.length === 0) throw new UserInputError(`${label}: no LOBSTER pair (TICKER_DATE_START_END_message_N.csv with its orderbook_N.csv) found`);
  throw new UserInputError(`${label}: ${pairs.length} LOBSTER pairs found (${pairs.map((p) => basename(p.message)).join(', ')}); give the path of one of the files`);
}

async function openPair(path: string, label: string): Promise<LobsterPair> {
  let isDir: boolean;
  try {
    isDir = (await fsp.stat(path)).isDirectory();
  } catch (err) {
    throw fileError(path, err);
  }
  if (isDir) {
    const p = pickPair(label, await fsp.readdir(path));
    return plainPair(join(path, p.message), join(path, p.book), join(label, p.message), join(label, p.book), p.name);
  }
  const head = await readHead(path, 4);
  if (head.length === 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4) {
    const zip = await openZip(path);
    try {
      const p = pickPair(label, zip.entries.map((e) => e.name));
      return {
        name: p.name,
        messageLabel: `${label}:${p.message}`,
        bookLabel: `${label}:${p.book}`,
        messages: zipEntryLineChunks(zip, p.message),
        book: zipEntryLineChunks(zip, p.book),
        close: () => zip.close(),
      };
    } catch (err) {
      zip.close();
      throw err;
    }
  }
  const info = lobsterName(path);
  if (!info) throw new UserInputError(`${label}: not a LOBSTER file name (TICKER_DATE_START_END_message_N.csv or …_orderbook_N.csv)`);
  const sibling = join(dirname(path), info.sibling);
  try {
    await fsp.access(sibling);
  } catch {
    throw new UserInputError(`${label}: its ${info.part === 'message' ? 'order-book' : 'message'} file ${sibling} is missing`, 'E_NOENT');
  }
  const siblingLabel = join(dirname(label), info.sibling);
  return info.part === 'message' ? plainPair(path, sibling, label, siblingLabel, info) : plainPair(sibling, path, siblingLabel, label, info);
}

function plainPair(message: string, book: string, messageLabel: string, bookLabel: string, name: LobsterName): LobsterPair {
  return { name, messageLabel, bookLabel, messages: readLineChunks(message), book: readLineChunks(book), close: () => {} };
}

/** Reads line chunks one line at a time without a promise per line. */
class RowCursor {
  lines: string[] = [];
  i = 0;
  private done = false;
  constructor(readonly chunks: AsyncGenerator<LineChunk>) {}
  /** True when a line is ready at `lines[i]`; awaits only when the current chunk is used up. */
  async ready(): Promise<boolean> {
    while (this.i >= this.lines.length) {
      if (this.done) return false;
      const r = await this.chunks.next();
      if (r.done) {
        this.done = true;
        return false;
      }
      this.lines = r.value.lines;
      this.i = 0;
    }
    return true;
  }
}

const MESSAGE_COLUMNS = ['time', 'type', 'order_id', 'size', 'price', 'direction'] as const;
const BOOK_FIELDS = ['ask_price', 'ask_size', 'bid_price', 'bid_size'] as const;
const bookColumn = (i: number) => `${BOOK_FIELDS[i % 4]}_${(i >> 2) + 1}`;
/** LOBSTER fills levels beyond the visible book with these prices and size 0. */
const DUMMY_ASK = 9_999_999_999;
const DUMMY_BID = -9_999_999_999;
const PRICE_SCALE = 10_000;

/**
 * Read a LOBSTER message/order-book pair as Arrow record batches of `depth`, `quote` and
 * `trade` events. `path` is the pair's folder, either CSV of the pair, or the LOBSTER `.zip`.
 *
 * Each message row (its 1-based row number is the update id) yields, in this order:
 * - a `depth` snapshot of the whole book row when it has more than one level (dummy levels
 *   ±9999999999 with size 0 dropped);
 * - a `quote` from level 1 (an empty side has price `NaN` and size 0);
 * - for executions, a `trade` at the message's price and size, id = order id. The direction
 *   column is the side of the resting limit order, so −1 (a sell order executed) means the
 *   aggressor bought: side `'buy'`. Type 4 (visible order) prints `'MARKET'`; type 5 (hidden
 *   order) prints `'HIDDEN'`: real, aggressor-signed volume, but invisible in the book, so a
 *   consumer can tell it from flow that moved displayed depth.
 * Trading-halt rows (type 7; their book row repeats the previous state) yield nothing and are
 * counted in `stats.skipped.halt`. Cross trades (type 6, in LOBSTER's full format only) carry no
 * aggressor and yield a book update but no trade. `stats.lines` counts message rows.
 *
 * Batches of the three kinds are cut together, so every event of one group of batches
 * precedes every event of the next: the file order survives per-kind batching.
 * If one file has more rows than the other, each extra row is rejected with both files named.
 *
 * @see LOBSTER_SampleFiles_ReadMe.txt; https://lobsterdata.com/info/DataStructure.php
 * @example
 * for await (const { kind, batch } of readLobster('LOBSTER_SampleFile_AMZN_2012-06-21_5.zip')) console.log(kind, batch.numRows);
 */
export async function* readLobster(path: string, options: LobsterReadOptions = {}): AsyncGenerator<KindBatch> {
  const stats = options.stats ?? newReadStats();
  const pair = await openPair(path, options.name ?? path);
  const msg = new RowCursor(pair.messages);
  const book = new RowCursor(pair.book);
  try {
    const symbol = options.symbol ?? pair.name.ticker;
    const dayStart = lobsterDayStartMs(pair.name.date, options.timeZone ?? 'America/New_York');
    const depths = new BatchBuilder('depth', options.batchRows);
    const quotes = new BatchBuilder('quote', options.batchRows);
    const trades = new BatchBuilder('trade', options.batchRows);
    const depth: DepthEvent = { type: 'depth', symbol, ts: 0, recvTs: Number.NaN, isSnapshot: true, firstUpdateId: Number.NaN, lastUpdateId: 0, prevUpdateId: Number.NaN, bidPrices: [], bidQtys: [], askPrices: [], askQtys: [] };
    const quote: QuoteEvent = { type: 'quote', symbol, ts: 0, recvTs: Number.NaN, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0, updateId: 0 };
    const trade: TradeEvent = { type: 'trade', symbol, ts: 0, recvTs: Number.NaN, price: 0, qty: 0, side: 'buy', id: 0, firstId: 0, lastId: 0, printKind: 'MARKET' };
    const mf = new CsvFields();
    const bf = new CsvFields();
    let levels = 0;
    let row = 0;
    let paired = 0;

    for (;;) {
      const hasMsg = await msg.ready();
      const hasBook = await book.ready();
      if (!hasMsg && !hasBook) break;
      if (!hasMsg || !hasBook) {
        const [extra, label, other, otherLabel] = hasMsg ? [msg, pair.messageLabel, 'order-book', pair.bookLabel] : [book, pair.bookLabel, 'message', pair.messageLabel];
        while (extra.i < extra.lines.length) {
          row++;
          stats.lines++;
          const text = extra.lines[extra.i++]!;
          reject(options, stats, rejectRecord(label, row, 'bad-row', `row ${row} has no ${other} row: ${otherLabel} ends after ${paired} rows`, text));
        }
        continue;
      }
      const n = Math.min(msg.lines.length - msg.i, book.lines.length - book.i);
      for (let k = 0; k < n; k++) {
        const mLine = msg.lines[msg.i++]!;
        const bLine = book.lines[book.i++]!;
        row++;
        paired++;
        stats.lines++;
        if (mLine.length === 0 && bLine.length === 0) {
          countSkip(stats, 'blank');
          continue;
        }

        const mn = mf.split(mLine);
        const ok = mn === 6;
        const tMs = ok ? mf.secondsToMs(0) : Number.NaN;
        const type = ok ? mf.uint(1) : 0;
        const orderId = ok ? mf.uint(2) : 0;
        const size = ok ? mf.uint(3) : 0;
        const price = ok ? mf.int(4) : 0;
        const dir = ok ? direction(mf) : 0;
        if (!(tMs === tMs && type >= 1 && type <= 7 && orderId >= 0 && size >= 0 && price === price && dir !== 0)) {
          const why = explainMessage(mf);
          reject(options, stats, rejectRecord(pair.messageLabel, row, why.reason, why.message, mLine, why.field));
          continue;
        }
        if (type === 7) {
          countSkip(stats, 'halt');
          continue;
        }

        const bn = bf.split(bLine);
        // the level count is the first row's width; should that row be malformed, the file name's N
        if (levels === 0) levels = bn % 4 === 0 ? bn / 4 : pair.name.level;
        if (!(bn === levels * 4 && readBook(bf, levels, depth))) {
          const why = explainBook(bf, levels);
          reject(options, stats, rejectRecord(pair.bookLabel, row, why.reason, why.message, bLine, why.field));
          continue;
        }

        const ts = dayStart + tMs;
        if (levels > 1) {
          depth.ts = ts;
          depth.lastUpdateId = row;
          depths.append(depth);
          stats.events.depth++;
        }
        const ask = bf.int(0);
        const bid = bf.int(2);
        quote.ts = ts;
        quote.updateId = row;
        quote.askPrice = ask === DUMMY_ASK ? Number.NaN : ask / PRICE_SCALE;
        quote.askQty = ask === DUMMY_ASK ? 0 : bf.int(1);
        quote.bidPrice = bid === DUMMY_BID ? Number.NaN : bid / PRICE_SCALE;
        quote.bidQty = bid === DUMMY_BID ? 0 : bf.int(3);
        quotes.append(quote);
        stats.events.quote++;
        if (type === 4 || type === 5) {
          trade.ts = ts;
          trade.price = price / PRICE_SCALE;
          trade.qty = size;
          trade.side = dir === -1 ? 'buy' : 'sell';
          trade.id = trade.firstId = trade.lastId = orderId;
          trade.printKind = type === 4 ? 'MARKET' : 'HIDDEN';
          trades.append(trade);
          stats.events.trade++;
        }
        if (depths.full || quotes.full || trades.full) yield* flushAll(depths, quotes, trades);
      }
    }
    yield* flushAll(depths, quotes, trades);
  } finally {
    await pair.messages.return(undefined);
    await pair.book.return(undefined);
    pair.close();
  }
}

function* flushAll(depths: BatchBuilder<'depth'>, quotes: BatchBuilder<'quote'>, trades: BatchBuilder<'trade'>): Generator<KindBatch> {
  const d = depths.flush();
  if (d) yield { kind: 'depth', batch: d };
  const q = quotes.flush();
  if (q) yield { kind: 'quote', batch: q };
  const t = trades.flush();
  if (t) yield { kind: 'trade', batch: t };
}

/** The direction column: exactly `1` or `-1` → ±1, anything else 0. */
function direction(f: CsvFields): number {
  const a = f.start(5);
  const len = f.end(5) - a;
  const s = f.line;
  if (len === 1 && s.charCodeAt(a) === 49) return 1;
  if (len === 2 && s.charCodeAt(a) === 45 && s.charCodeAt(a + 1) === 49) return -1;
  return 0;
}

/** Fill the depth scratch from a book row, dropping dummy levels; false if a field is not an integer. */
function readBook(f: CsvFields, levels: number, depth: DepthEvent): boolean {
  depth.askPrices.length = depth.askQtys.length = depth.bidPrices.length = depth.bidQtys.length = 0;
  for (let l = 0; l < levels; l++) {
    const ap = f.int(4 * l);
    const as = f.int(4 * l + 1);
    const bp = f.int(4 * l + 2);
    const bs = f.int(4 * l + 3);
    if (!(ap === ap && as === as && bp === bp && bs === bs)) return false;
    if (ap !== DUMMY_ASK) {
      depth.askPrices.push(ap / PRICE_SCALE);
      depth.askQtys.push(as);
    }
    if (bp !== DUMMY_BID) {
      depth.bidPrices.push(bp / PRICE_SCALE);
      depth.bidQtys.push(bs);
    }
  }
  return true;
}

interface Why {
  reason: RejectReason;
  field?: string;
  message: string;
}

function explainMessage(f: CsvFields): Why {
  const n = f.count;
  if (n < 6) return { reason: 'missing-field', field: MESSAGE_COLUMNS[n], message: `expected 6 columns (${MESSAGE_COLUMNS.join(',')}), got ${n}` };
  if (n > 6) return { reason: 'bad-row', message: `expected 6 columns (${MESSAGE_COLUMNS.join(',')}), got ${n}` };
  const fields = f.line.split(',');
  const r = LobsterMessageRow.safeParse(fields);
  if (r.success) return { reason: 'bad-row', message: 'row refused by the reader but accepted by its schema' };
  const issue = firstIssue(r.error);
  const i = Number(issue.field);
  return { reason: i === 1 || i === 5 ? 'bad-value' : 'bad-number', field: MESSAGE_COLUMNS[i], message: `${issue.message}, got '${fields[i]}'` };
}

function explainBook(f: CsvFields, levels: number): Why {
  const n = f.count;
  const want = levels * 4;
  if (n < want) return { reason: 'missing-field', field: bookColumn(n), message: `expected ${want} columns (${levels} levels), got ${n}` };
  if (n > want) return { reason: 'bad-row', message: `expected ${want} columns (${levels} levels), got ${n}` };
  const fields = f.line.split(',');
  const r = LobsterBookRow.safeParse(fields);
  if (r.success) return { reason: 'bad-row', message: 'row refused by the reader but accepted by its schema' };
  const issue = firstIssue(r.error);
  const i = Number(issue.field);
  return { reason: 'bad-number', field: bookColumn(i), message: `${issue.message}, got '${fields[i]}'` };
}
