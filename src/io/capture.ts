/**
 * Reader of raw Binance websocket captures: one message a line, as recorders write them.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams
 * @see https://github.com/nkaz001/hftbacktest (the `<ns> <json>` capture format)
 * @see https://github.com/bmoscon/cryptofeed (the `<seconds>: <json>` capture format)
 */
import { basename } from 'node:path';
import { BatchBuilder, DEFAULT_BATCH_ROWS, type KindBatch } from '../core/batch.js';
import { rejectRecord, type RejectReason } from '../core/errors.js';
import { EVENT_KINDS, type DepthEvent, type EventKind, type EventOf, type MarkEvent, type MarketEvent, type QuoteEvent, type TradeEvent } from '../core/events.js';
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
  UNUSED_EVENT_TYPES,
  type MessageType,
  type Msg,
} from './capture-messages.js';
import { readLineChunks } from './lines.js';
import { countSkip, newReadStats, reject, type ReadOptions, type ReadStats } from './source.js';

/**
 * Events held back at most, while waiting for an exchange-time offset or a symbol (see
 * {@link readCapture}); past this they are emitted with the fallbacks.
 */
export const CAPTURE_PENDING_MAX = 4096;

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
 * mark; USD-M, COIN-M and spot variants alike. Kline, tickers, liquidations and partial-depth
 * messages are counted in `stats.skipped` by name; anything else is refused (`unknown-message`).
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
    while (reader.out.length > 0) yield reader.out.shift()!;
  }
  reader.finish();
  while (reader.out.length > 0) yield reader.out.shift()!;
}

interface Pending {
  kind: EventKind;
  event: MarketEvent;
  line: number;
  text: string;
}

type Builders = { [K in EventKind]: BatchBuilder<K> };

/** The per-file state of {@link readCapture}. */
class CaptureParser {
  readonly out: KindBatch[] = [];
  private readonly stats: ReadStats;
  private readonly file: string;
  private readonly builders: Builders;
  private unit: TimeUnit | null = null;
  private unitLine = 0;
  private offset = Number.NaN;
  private lastSymbol: string;
  private readonly fixedSymbol: string;
  private readonly pending: Pending[] = [];
  private readonly symbols = new Map<string, string>();
  private readonly printKinds = new Map<string, string>();
  private lastRawSymbol = '';
  private lastUpperSymbol = '';
  private readonly trade: TradeEvent = { type: 'trade', symbol: '', ts: 0, recvTs: 0, price: 0, qty: 0, side: 'buy', id: 0, firstId: 0, lastId: 0, printKind: 'MARKET' };
  private readonly quote: QuoteEvent = { type: 'quote', symbol: '', ts: 0, recvTs: 0, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0, updateId: 0 };
  private readonly depth: DepthEvent = {
    type: 'depth', symbol: '', ts: 0, recvTs: 0, isSnapshot: false, firstUpdateId: 0, lastUpdateId: 0, prevUpdateId: 0,
    bidPrices: [], bidQtys: [], askPrices: [], askQtys: [],
  };
  private readonly mark: MarkEvent = { type: 'mark', symbol: '', ts: 0, recvTs: 0, markPrice: 0, indexPrice: 0, fundingRate: 0, nextFundingTime: 0 };

  constructor(
    private readonly path: string,
    private readonly options: ReadOptions,
  ) {
    this.stats = options.stats ?? newReadStats();
    this.file = options.name ?? path;
    const rows = options.batchRows ?? DEFAULT_BATCH_ROWS;
    this.builders = { depth: new BatchBuilder('depth', rows), quote: new BatchBuilder('quote', rows), trade: new BatchBuilder('trade', rows), mark: new BatchBuilder('mark', rows) };
    this.fixedSymbol = options.symbol ? options.symbol.toUpperCase() : '';
    this.lastSymbol = this.fixedSymbol;
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
      recvTs = this.recvTime(text.slice(i, end), no, text);
      if (recvTs !== recvTs) return;
      start = j;
    } else if (c !== 123 && c !== 91) {
      if (text.startsWith('wss://', i) || text.startsWith('ws://', i)) return countSkip(this.stats, 'url');
      return this.refuse(no, text, 'bad-value', 'expected "<receive time> <json>", "<seconds>: <json>" or a bare JSON message', 'recvTs');
    }
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

  /** End of file: release held-back events with their fallbacks and cut the last batches. */
  finish(): void {
    this.release(true);
    for (const kind of EVENT_KINDS) this.cut(kind);
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
        return this.accept('trade', this.trade, m, recvTs, no, text);
      case 'aggTrade':
        if (!fillAggTrade(m, this.trade)) return this.explain('aggTrade', m, prefix, no, text);
        return this.accept('trade', this.trade, m, recvTs, no, text);
      case 'bookTicker':
        if (!fillBookTicker(m, this.quote)) return this.explain('bookTicker', m, prefix, no, text);
        return this.accept('quote', this.quote, m, recvTs, no, text);
      case 'depthUpdate':
        if (isPartialDepth(stream)) return countSkip(this.stats, 'partial-depth');
        if (!fillDepthUpdate(m, this.depth)) return this.explain('depthUpdate', m, prefix, no, text);
        return this.accept('depth', this.depth, m, recvTs, no, text);
      case 'markPriceUpdate':
        if (!fillMarkPrice(m, this.mark)) return this.explain('markPriceUpdate', m, prefix, no, text);
        return this.accept('mark', this.mark, m, recvTs, no, text);
      case undefined:
        if ('lastUpdateId' in m) {
          // spot's partial book depth stream has the snapshot's shape
          if (isPartialDepth(stream)) return countSkip(this.stats, 'partial-depth');
          if (!fillDepthSnapshot(m, this.depth)) return this.explain('depthSnapshot', m, prefix, no, text);
          return this.accept('depth', this.depth, m, recvTs, no, text);
        }
        if ('u' in m && ('B' in m || 'A' in m)) {
          // spot bookTicker: no "e"
          if (!fillBookTicker(m, this.quote)) return this.explain('bookTicker', m, prefix, no, text);
          return this.accept('quote', this.quote, m, recvTs, no, text);
        }
        // the answer to a SUBSCRIBE request: {"result":null,"id":1}
        if ('result' in m && 'id' in m) return countSkip(this.stats, 'ws-response');
        return this.refuse(no, text, 'unknown-message', 'a message without "e" that is neither a bookTicker nor a depth snapshot', prefix || undefined);
      default:
        if (typeof e === 'string' && UNUSED_EVENT_TYPES.has(e)) return countSkip(this.stats, e);
        return this.refuse(no, text, 'unknown-message', `unknown event type ${JSON.stringify(e)}`, prefix ? `${prefix}.e` : 'e');
    }
  }

  /** A filled scratch event: set clocks and symbol, then emit it or hold it back. */
  private accept<K extends EventKind>(kind: K, ev: EventOf<K>, m: Msg, recvTs: number, no: number, text: string): void {
    ev.recvTs = recvTs;
    const E = m.E;
    if (typeof E === 'number' && recvTs === recvTs) this.offset = E - recvTs;
    let needsTs = false;
    if (ev.ts !== ev.ts && recvTs === recvTs) {
      if (this.offset === this.offset) ev.ts = recvTs + this.offset;
      else needsTs = true;
    }
    let needsSymbol = false;
    if (ev.symbol === '') {
      if (this.lastSymbol !== '') ev.symbol = this.lastSymbol;
      else needsSymbol = true;
    } else {
      ev.symbol = this.upper(ev.symbol);
      // a snapshot takes the symbol of the file's other messages unless the caller named one
      if (this.fixedSymbol === '') this.lastSymbol = ev.symbol;
    }
    if (kind === 'trade') {
      const t = ev as TradeEvent;
      t.printKind = this.printKind(t.printKind);
    }
    if (this.pending.length === 0 && !needsTs && !needsSymbol) return this.append(kind, ev);
    this.pending.push({ kind, event: copyEvent(ev), line: no, text });
    this.release(this.pending.length >= CAPTURE_PENDING_MAX);
  }

  /** Emit held-back events once every missing offset and symbol is known (or when forced). */
  private release(force: boolean): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    const haveOffset = this.offset === this.offset;
    const haveSymbol = this.lastSymbol !== '';
    if (!force && (!haveOffset || !haveSymbol)) {
      let missing = false;
      for (const p of pending) if ((!haveOffset && p.event.ts !== p.event.ts && p.event.recvTs === p.event.recvTs) || (!haveSymbol && p.event.symbol === '')) missing = true;
      if (missing) return;
    }
    const fallbackSymbol = haveSymbol ? this.lastSymbol : symbolFromFileName(this.path);
    for (const p of pending) {
      const ev = p.event;
      if (ev.ts !== ev.ts && ev.recvTs === ev.recvTs) {
        if (haveOffset) ev.ts = ev.recvTs + this.offset;
        else {
          ev.ts = ev.recvTs;
          countSkip(this.stats, 'ts-estimated-without-offset');
        }
      }
      if (ev.symbol === '') {
        if (fallbackSymbol === '') {
          this.refuse(p.line, p.text, 'missing-field', 'a depth snapshot names no symbol, and neither the file, its name nor options.symbol gives one', 'symbol');
          continue;
        }
        ev.symbol = fallbackSymbol;
      }
      this.append(p.kind, ev as never);
    }
    pending.length = 0;
  }

  private append<K extends EventKind>(kind: K, ev: EventOf<K>): void {
    const b = this.builders[kind] as BatchBuilder<K>;
    b.append(ev);
    this.stats.events[kind]++;
    if (b.full) this.cut(kind);
  }

  private cut(kind: EventKind): void {
    const batch = this.builders[kind].flush();
    if (batch) this.out.push({ kind, batch });
  }

  /** The receive time in ms; the first parsable one fixes the file's unit. `NaN` if refused. */
  private recvTime(t: string, no: number, text: string): number {
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

  /** Upper-case symbol, one string per distinct symbol (rows share it instead of each line's copy). */
  private upper(raw: string): string {
    if (raw === this.lastRawSymbol) return this.lastUpperSymbol;
    let s = this.symbols.get(raw);
    if (s === undefined) {
      s = raw.toUpperCase();
      this.symbols.set(raw, s);
    }
    this.lastRawSymbol = raw;
    this.lastUpperSymbol = s;
    return s;
  }

  private printKind(raw: string): string {
    if (raw === 'MARKET') return 'MARKET';
    let s = this.printKinds.get(raw);
    if (s === undefined) {
      s = raw;
      this.printKinds.set(raw, s);
    }
    return s;
  }
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** `btcusdt@depth5`, `btcusdt@depth20@100ms`: top-N books, neither diffs nor full snapshots. */
function isPartialDepth(stream: string): boolean {
  if (stream === '') return false;
  const at = stream.indexOf('@depth');
  if (at < 0) return false;
  const c = stream.charCodeAt(at + 6);
  return c >= 48 && c <= 57;
}

function copyEvent(ev: MarketEvent): MarketEvent {
  if (ev.type !== 'depth') return { ...ev };
  return { ...ev, bidPrices: ev.bidPrices.slice(), bidQtys: ev.bidQtys.slice(), askPrices: ev.askPrices.slice(), askQtys: ev.askQtys.slice() };
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
