/**
 * Where the capture reader's decoded events go: their exchange time and symbol completed when
 * the message lacked them, held back (in order) while the file has not yet told them, then
 * appended to one `BatchBuilder` per kind and cut into batches at the high-water mark.
 */
import { BatchBuilder, type KindBatch } from '../core/batch.js';
import type { RejectReason } from '../core/errors.js';
import { EVENT_KINDS, type EventKind, type EventOf, type MarketEvent, type TradeEvent } from '../core/events.js';
import { countSkip, type ReadStats } from './source.js';

/**
 * Events held back at most, while waiting for an exchange-time offset or a symbol; past
 * this they are emitted with the fallbacks.
 */
export const CAPTURE_PENDING_MAX = 4096;

interface Pending {
  kind: EventKind;
  event: MarketEvent;
  line: number;
  text: string;
}

type Builders = { [K in EventKind]: BatchBuilder<K> };

/** Settings of a {@link CaptureSink}. */
export interface CaptureSinkOptions {
  batchRows: number;
  stats: ReadStats;
  /** `options.symbol` of the read, upper case, or `''`. */
  symbol: string;
  /** The symbol the file's name gives, asked only when nothing else gives one. */
  fileSymbol: () => string;
  /** Refuse a held-back line (a snapshot for which no symbol is found). */
  refuse: (line: number, text: string, reason: RejectReason, message: string, field: string) => void;
}

/**
 * Completes, orders and batches the events of one capture file; see `readCapture` for the
 * rules (exchange-time estimate from the latest E − recvTs offset, snapshot symbols).
 */
export class CaptureSink {
  /** Batches cut and not yet handed out. */
  readonly out: KindBatch[] = [];
  private readonly builders: Builders;
  private offset = Number.NaN;
  private lastSymbol: string;
  private readonly pending: Pending[] = [];
  private pendingNeedsTs = false;
  private pendingNeedsSymbol = false;
  private readonly symbols = new Map<string, string>();
  private readonly printKinds = new Map<string, string>();
  private lastRawSymbol = '';
  private lastUpperSymbol = '';

  constructor(private readonly o: CaptureSinkOptions) {
    const rows = o.batchRows;
    this.builders = { depth: new BatchBuilder('depth', rows), quote: new BatchBuilder('quote', rows), trade: new BatchBuilder('trade', rows), mark: new BatchBuilder('mark', rows) };
    this.lastSymbol = o.symbol;
  }

  /**
   * A filled scratch event (copied out, so the caller may reuse it). `E` is the message's event
   * time (`undefined` if it had none); `ev.ts` is `NaN` when the message carried no exchange
   * time and `ev.symbol` is `''` when it named no symbol.
   */
  accept<K extends EventKind>(kind: K, ev: EventOf<K>, E: unknown, recvTs: number, line: number, text: string): void {
    ev.recvTs = recvTs;
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
      if (this.o.symbol === '') this.lastSymbol = ev.symbol;
    }
    if (kind === 'trade') {
      const t = ev as TradeEvent;
      t.printKind = this.printKind(t.printKind);
    }
    if (this.pending.length === 0 && !needsTs && !needsSymbol) return this.append(kind, ev);
    this.pending.push({ kind, event: copyEvent(ev), line, text });
    this.pendingNeedsTs ||= needsTs;
    this.pendingNeedsSymbol ||= needsSymbol;
    this.release(this.pending.length >= CAPTURE_PENDING_MAX);
  }

  /** End of file: release held-back events with their fallbacks and cut the last batches. */
  finish(): void {
    this.release(true);
    for (const kind of EVENT_KINDS) this.cut(kind);
  }

  /** Emit held-back events once every missing offset and symbol is known (or when forced). */
  private release(force: boolean): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    const haveOffset = this.offset === this.offset;
    const haveSymbol = this.lastSymbol !== '';
    if (!force && ((this.pendingNeedsTs && !haveOffset) || (this.pendingNeedsSymbol && !haveSymbol))) return;
    const fallbackSymbol = haveSymbol ? this.lastSymbol : this.o.fileSymbol();
    for (const p of pending) {
      const ev = p.event;
      if (ev.ts !== ev.ts && ev.recvTs === ev.recvTs) {
        if (haveOffset) ev.ts = ev.recvTs + this.offset;
        else {
          ev.ts = ev.recvTs;
          countSkip(this.o.stats, 'ts-estimated-without-offset');
        }
      }
      if (ev.symbol === '') {
        if (fallbackSymbol === '') {
          this.o.refuse(p.line, p.text, 'missing-field', 'a depth snapshot names no symbol, and neither the file, its name nor options.symbol gives one', 'symbol');
          continue;
        }
        ev.symbol = fallbackSymbol;
      }
      this.append(p.kind, ev as never);
    }
    pending.length = 0;
    this.pendingNeedsTs = false;
    this.pendingNeedsSymbol = false;
  }

  private append<K extends EventKind>(kind: K, ev: EventOf<K>): void {
    const b = this.builders[kind] as BatchBuilder<K>;
    b.append(ev);
    this.o.stats.events[kind]++;
    if (b.full) this.cut(kind);
  }

  private cut(kind: EventKind): void {
    const batch = this.builders[kind].flush();
    if (batch) this.out.push({ kind, batch });
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

function copyEvent(ev: MarketEvent): MarketEvent {
  if (ev.type !== 'depth') return { ...ev };
  return { ...ev, bidPrices: ev.bidPrices.slice(), bidQtys: ev.bidQtys.slice(), askPrices: ev.askPrices.slice(), askQtys: ev.askQtys.slice() };
}
