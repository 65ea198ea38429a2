/**
 * Reader of raw Binance websocket captures: one message a line, as recorders write them.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams
 * @see https://github.com/nkaz001/hftbacktest (the `<ns> <json>` capture format)
 * @see https://github.com/bmoscon/cryptofeed (the `<seconds>: <json>` capture format)
 */
import { basename } from 'node:path';
import { DEFAULT_BATCH_ROWS, type KindBatch } from '../core/batch.js';
import { rejectRecord, type RejectReason } from '../core/errors.js';
import type { DepthEvent, MarkEvent, QuoteEvent, TradeEvent } from '../core/events.js';
import { detectTimeUnit, epochTextToMs, type TimeUnit } from '../core/time.js';
import { WireCombined, firstIssue } from '../core/wire.js';
import {
  explain,
  fillAggTrade,
  fillBookTicker,
  fillDepthSnapshot,
  fillDepthUpdate,
  fillMarkPrice,
  fillTrade,
  isPartialDepth,
  UNUSED_EVENT_TYPES,
  type MessageType,
  type Msg,
} from './capture-messages.js';
import { CaptureScanner, SCANNED_DEPTH, SCANNED_QUOTE, SCANNED_TRADE } from './capture-scan.js';
import { CAPTURE_PENDING_MAX, CaptureSink } from './capture-sink.js';
import { readLineChunks } from './lines.js';
import { countSkip, newReadStats, reject, type ReadOptions, type ReadStats } from './source.js';

export { CAPTURE_PENDING_MAX };

/**
 * Stream a Binance websocket capture (plain or gzip) as Arrow record batches, one event kind
 * per batch, cut at `options.batchRows`, in bounded memory.
 *
 * Lines are `<receive time> <json>` (hftbacktest: integer ns), `<seconds.fraction>: <json>`
 * (cryptofeed; its `wss://…` URL line is counted as skipped, reason `url`) or bare JSON
 * (`recvTs` NaN). The receive-time unit (s, ms, µs, ns) is told from the magnitude of the first
 * parsable timestamp and kept for the file; a later timestamp that does not fit it is refused.
 * Messages come with or without the combined-stream wrapper `{"stream":…,"data":…}`:
 * `trade` and `aggTrade` → trade, `bookTicker` → quote, `depthUpdate` → depth diff, a REST
 * depth snapshot `{lastUpdateId,bids,asks}` → depth with `isSnapshot`, `markPriceUpdate` →
 * mark (array streams such as `!markPrice@arr` give one event per element); USD-M, COIN-M and
 * spot variants alike. Lines kept out on purpose are counted in `stats.skipped`: kline, ticker,
 * liquidation and other unused event types under their `e` name, and `url`, `blank`,
 * `partial-depth` (top-N book streams), `ws-response` (`{"result":null,"id":1}`). Anything
 * else is refused (`unknown-message`), as is a message a fast path cannot read, with the field
 * and reason its wire schema gives.
 *
 * `ts` is `E`, else `T`. Spot bookTickers and spot snapshots carry neither; their `ts` is
 * estimated as `recvTs` + (E − recvTs) of the latest message of the file that had `E`, since a
 * recorder's clock is commonly off by a second or more (1.27 s behind in the hftbacktest
 * captures) and a raw `recvTs` would misorder them against trades. Before any such offset is
 * known, events are held back, in order, until one arrives (at most {@link CAPTURE_PENDING_MAX});
 * if none comes they are emitted with `ts = recvTs` and counted in
 * `stats.skipped['ts-estimated-without-offset']` (a count of such events, not of dropped lines).
 * A snapshot's symbol is `options.symbol`, else the symbol of the file's other messages
 * (held back the same way until one is seen), else the file name's (`btcusdt_20240808.gz`).
 *
 * @example
 * const stats = newReadStats();
 * for await (const { kind, batch } of readCapture('usdm/btcusdt_20240808.gz', { stats })) console.log(kind, batch.numRows);
 * stats.events.trade; // 21313
 */
export async function* readCapture(path: string, options: ReadOptions = {}): AsyncGenerator<KindBatch> {
  const reader = new CaptureParser(path, options);
  for await (const chunk of readLineChunks(path)) {
    const lines = chunk.lines;
    for (let i = 0; i < lines.length; i++) reader.line(lines[i]!, chunk.firstLine + i);
    const out = reader.sink.out;
    while (out.length > 0) yield out.shift()!;
  }
  reader.sink.finish();
  const out = reader.sink.out;
  while (out.length > 0) yield out.shift()!;
}

/** The per-file state of {@link readCapture}. */
class CaptureParser {
  readonly sink: CaptureSink;
  private readonly stats: ReadStats;
  private readonly file: string;
  private unit: TimeUnit | null = null;
  private unitLine = 0;
  private readonly trade: TradeEvent = { type: 'trade', symbol: '', ts: 0, recvTs: 0, price: 0, qty: 0, side: 'buy', id: 0, firstId: 0, lastId: 0, printKind: 'MARKET' };
  private readonly quote: QuoteEvent = { type: 'quote', symbol: '', ts: 0, recvTs: 0, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0, updateId: 0 };
  private readonly depth: DepthEvent = {
    type: 'depth', symbol: '', ts: 0, recvTs: 0, isSnapshot: false, firstUpdateId: 0, lastUpdateId: 0, prevUpdateId: 0,
    bidPrices: [], bidQtys: [], askPrices: [], askQtys: [],
  };
  private readonly mark: MarkEvent = { type: 'mark', symbol: '', ts: 0, recvTs: 0, markPrice: 0, indexPrice: 0, fundingRate: 0, nextFundingTime: 0 };
  private readonly scanner = new CaptureScanner(this.quote, this.depth, this.trade);

  constructor(
    path: string,
    private readonly options: ReadOptions,
  ) {
    this.stats = options.stats ?? newReadStats();
    this.file = options.name ?? path;
    this.sink = new CaptureSink({
      batchRows: options.batchRows ?? DEFAULT_BATCH_ROWS,
      stats: this.stats,
      symbol: options.symbol ? options.symbol.toUpperCase() : '',
      fileSymbol: () => symbolFromFileName(path),
      refuse: (line, text, reason, message, field) => this.refuse(line, text, reason, message, field),
    });
  }

  /** One source line: frame it (receive time, JSON), parse it once, hand it on. */
  line(text: string, no: number): void {
    this.stats.lines++;
    const n = text.length;
    let i = 0;
    while (i < n && isBlank(text.charCodeAt(i))) i++;
    if (i === n) return countSkip(this.stats, 'blank');
    const c = text.charCodeAt(i);
    let recvTs = Number.NaN;
    let start = i;
    if (c >= 48 && c <= 57) {
      let j = i;
      for (let d = text.charCodeAt(j); (d >= 48 && d <= 57) || d === 46; d = text.charCodeAt(++j));
      const end = j;
      if (text.charCodeAt(j) === 58) j++; // ':' after cryptofeed's seconds
      while (j < n && isBlank(text.charCodeAt(j))) j++;
      const o = text.charCodeAt(j);
      if (o !== 123 && o !== 91) return this.refuse(no, text, 'bad-json', 'expected a JSON message after the receive time');
      recvTs = this.recvTime(text, i, end, no);
      if (recvTs !== recvTs) return;
      start = j;
    } else if (c !== 123 && c !== 91) {
      if (text.startsWith('wss://', i) || text.startsWith('ws://', i)) return countSkip(this.stats, 'url');
      return this.refuse(no, text, 'bad-value', 'expected "<receive time> <json>", "<seconds>: <json>" or a bare JSON message', 'recvTs');
    }
    // bookTickers, depth diffs and trades, most of a capture, without JSON.parse (capture-scan.ts)
    const scanned = this.scanner.scan(text, start);
    if (scanned === SCANNED_QUOTE) return this.sink.accept('quote', this.quote, this.scanner.E, recvTs, no, text);
    if (scanned === SCANNED_DEPTH) return this.sink.accept('depth', this.depth, this.scanner.E, recvTs, no, text);
    if (scanned === SCANNED_TRADE) return this.sink.accept('trade', this.trade, this.scanner.E, recvTs, no, text);
    let msg: unknown;
    try {
      msg = JSON.parse(start === 0 ? text : text.slice(start));
    } catch (err) {
      return this.refuse(no, text, 'bad-json', (err as Error).message);
    }
    if (msg === null || typeof msg !== 'object') return this.refuse(no, text, 'unknown-message', 'expected a JSON object or array');
    if (Array.isArray(msg)) return this.each(msg, '', recvTs, no, text, '');
    const o = msg as Msg;
    const stream = o.stream;
    if (stream === undefined) return this.message(o, '', recvTs, no, text, '');
    const data = o.data;
    if (typeof stream !== 'string' || data === null || typeof data !== 'object') {
      const r = WireCombined.safeParse(o);
      const { field, message } = r.success ? { field: 'data', message: 'expected an object or array' } : firstIssue(r.error);
      return this.refuse(no, text, data === undefined ? 'missing-field' : 'bad-value', message, field);
    }
    if (Array.isArray(data)) return this.each(data, 'data', recvTs, no, text, stream);
    this.message(data as Msg, 'data', recvTs, no, text, stream);
  }

  /** Array streams (`!markPrice@arr`, COIN-M `<pair>@markPrice`): one message per element. */
  private each(items: unknown[], prefix: string, recvTs: number, no: number, text: string, stream: string): void {
    for (let k = 0; k < items.length; k++) {
      const m = items[k];
      const p = prefix ? `${prefix}.${k}` : String(k);
      if (m === null || typeof m !== 'object' || Array.isArray(m)) this.refuse(no, text, 'unknown-message', 'expected a JSON object', p);
      else this.message(m as Msg, p, recvTs, no, text, stream);
    }
  }

  private message(m: Msg, prefix: string, recvTs: number, no: number, text: string, stream: string): void {
    const e = m.e;
    switch (e) {
      case 'trade':
        if (!fillTrade(m, this.trade)) return this.explain('trade', m, prefix, no, text);
        return this.sink.accept('trade', this.trade, m.E, recvTs, no, text);
      case 'aggTrade':
        if (!fillAggTrade(m, this.trade)) return this.explain('aggTrade', m, prefix, no, text);
        return this.sink.accept('trade', this.trade, m.E, recvTs, no, text);
      case 'bookTicker':
        if (!fillBookTicker(m, this.quote)) return this.explain('bookTicker', m, prefix, no, text);
        return this.sink.accept('quote', this.quote, m.E, recvTs, no, text);
      case 'depthUpdate':
        if (isPartialDepth(stream)) return countSkip(this.stats, 'partial-depth');
        if (!fillDepthUpdate(m, this.depth)) return this.explain('depthUpdate', m, prefix, no, text);
        return this.sink.accept('depth', this.depth, m.E, recvTs, no, text);
      case 'markPriceUpdate':
        if (!fillMarkPrice(m, this.mark)) return this.explain('markPriceUpdate', m, prefix, no, text);
        return this.sink.accept('mark', this.mark, m.E, recvTs, no, text);
      case undefined:
        if ('lastUpdateId' in m) {
          // spot's partial book depth stream has the snapshot's shape
          if (isPartialDepth(stream)) return countSkip(this.stats, 'partial-depth');
          if (!fillDepthSnapshot(m, this.depth)) return this.explain('depthSnapshot', m, prefix, no, text);
          return this.sink.accept('depth', this.depth, m.E, recvTs, no, text);
        }
        if ('u' in m && ('B' in m || 'A' in m)) {
          // spot bookTicker: no "e"
          if (!fillBookTicker(m, this.quote)) return this.explain('bookTicker', m, prefix, no, text);
          return this.sink.accept('quote', this.quote, m.E, recvTs, no, text);
        }
        // the answer to a SUBSCRIBE request: {"result":null,"id":1}
        if ('result' in m && 'id' in m) return countSkip(this.stats, 'ws-response');
        return this.refuse(no, text, 'unknown-message', 'a message without "e" that is neither a bookTicker nor a depth snapshot', prefix || undefined);
      default:
        if (typeof e === 'string' && UNUSED_EVENT_TYPES.has(e)) return countSkip(this.stats, e);
        return this.refuse(no, text, 'unknown-message', `unknown event type ${JSON.stringify(e)}`, prefix ? `${prefix}.e` : 'e');
    }
  }

  /**
   * The receive time `text[i, end)` in ms; the first parsable one fixes the file's unit. `NaN`
   * if refused. Integer ns, µs and ms text is read from its characters without a substring,
   * with the arithmetic of `epochTextToMs` (whole ms + the sub-ms digits / 10^d), so the value
   * is the same; fractional text goes through `epochTextToMs` itself.
   */
  private recvTime(text: string, i: number, end: number, no: number): number {
    const unit = this.unit;
    if (unit !== null && unit !== 's') {
      const split = end - (unit === 'ns' ? 6 : unit === 'us' ? 3 : 0);
      if (split > i && split - i <= 15) {
        let whole = 0;
        let sub = 0;
        let k = i;
        for (; k < split; k++) {
          const c = text.charCodeAt(k) - 48;
          if (c < 0 || c > 9) break;
          whole = whole * 10 + c;
        }
        if (k === split) {
          for (; k < end; k++) {
            const c = text.charCodeAt(k) - 48;
            if (c < 0 || c > 9) break;
            sub = sub * 10 + c;
          }
          if (k === end) {
            const ms = unit === 'ns' ? whole + sub / 1e6 : unit === 'us' ? whole + sub / 1e3 : whole;
            if (detectTimeUnit(ms) === 'ms') return ms;
          }
        }
      }
    }
    return this.recvTimeText(text.slice(i, end), no, text);
  }

  private recvTimeText(t: string, no: number, text: string): number {
    if (this.unit === null) {
      const unit = detectTimeUnit(Number(t));
      if (unit === null) {
        this.refuse(no, text, 'bad-value', `receive time ${JSON.stringify(t)} is no epoch between 2000 and 2100 in s, ms, us or ns`, 'recvTs');
        return Number.NaN;
      }
      this.unit = unit;
      this.unitLine = no;
    }
    const ms = epochTextToMs(t, this.unit);
    if (detectTimeUnit(ms) !== 'ms') {
      this.refuse(no, text, 'bad-value', `receive time ${JSON.stringify(t)} does not fit the file's unit (${this.unit}, told from line ${this.unitLine})`, 'recvTs');
      return Number.NaN;
    }
    return ms;
  }

  private explain(type: MessageType, m: Msg, prefix: string, no: number, text: string): void {
    const r = explain(type, m, prefix);
    this.refuse(no, text, r.reason, r.message, r.field);
  }

  private refuse(no: number, text: string, reason: RejectReason, message: string, field?: string): void {
    reject(this.options, this.stats, rejectRecord(this.file, no, reason, message, text, field));
  }
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * The symbol in a capture's file name, `<symbol>_<yyyymmdd>` as hftbacktest names them
 * (`btcusdt_20240808.gz` → `BTCUSDT`), or `''`.
 */
export function symbolFromFileName(path: string): string {
  const name = basename(path).replace(/\..*$/, '');
  const m = /^([A-Za-z0-9]+(?:_[A-Za-z0-9]+)?)[_-](?:\d{8}|\d{4}-\d{2}-\d{2})$/.exec(name);
  return m ? m[1]!.toUpperCase() : '';
}
