/**
 * Events of an {@link EventTable} as the flat objects of `core/events.ts`, for strategies
 * written against objects (`Strategy.onQuote(quote, ctx)`). One scratch object per kind is
 * filled and handed out again for every event of that kind: copy what you keep. Depth level
 * arrays are reused the same way (their length set to the row's levels); {@link EventView.depthLevels}
 * hands the levels over as ranges of the table's level columns instead, with no copy.
 */
import type { DepthEvent, DepthLevelsView, MarkEvent, MarketEvent, QuoteEvent, TradeEvent } from '../../core/events.js';
import { DEPTH, MARK, QUOTE, TRADE, type ListColumn } from './columns.js';
import type { EventTable } from './event-table.js';

function fillList(out: number[], l: ListColumn, r: number): void {
  const a = l.offsets[r]!;
  const z = l.offsets[r + 1]!;
  out.length = z - a;
  for (let j = a; j < z; j++) out[j - a] = l.values[j]!;
}

/** The fields of depth row `r` other than its levels, into `e`. */
function depthHeader(e: DepthLevelsView, c: EventTable['depth'], r: number, symbol: string): void {
  e.symbol = symbol;
  e.ts = c.ts[r]!;
  e.recvTs = c.recvTs[r]!;
  e.isSnapshot = c.isSnapshot[r] === 1;
  e.firstUpdateId = c.firstUpdateId[r]!;
  e.lastUpdateId = c.lastUpdateId[r]!;
  e.prevUpdateId = c.prevUpdateId[r]!;
}

const EMPTY: Float64Array<ArrayBufferLike> = new Float64Array(0);

// The scratch events are instances of their own classes, not object literals: an object literal
// shares its hidden class with every literal of the same keys (the parsers' events), and one of
// those holding a non-number in `ts` would make V8 box every number written here, an allocation
// per field per event. A class's instances keep their number fields unboxed.

class QuoteScratch implements QuoteEvent {
  readonly type = 'quote' as const;
  symbol = '';
  ts = NaN;
  recvTs = NaN;
  bidPrice = NaN;
  bidQty = NaN;
  askPrice = NaN;
  askQty = NaN;
  updateId = NaN;
}

class TradeScratch implements TradeEvent {
  readonly type = 'trade' as const;
  symbol = '';
  ts = NaN;
  recvTs = NaN;
  price = NaN;
  qty = NaN;
  side: 'buy' | 'sell' = 'buy';
  id = NaN;
  firstId = NaN;
  lastId = NaN;
  printKind = 'MARKET';
}

/** The fields of a depth event other than its levels. */
class DepthHeader {
  readonly type = 'depth' as const;
  symbol = '';
  ts = NaN;
  recvTs = NaN;
  isSnapshot = false;
  firstUpdateId = NaN;
  lastUpdateId = NaN;
  prevUpdateId = NaN;
}

class DepthScratch extends DepthHeader implements DepthEvent {
  bidPrices: number[] = [];
  bidQtys: number[] = [];
  askPrices: number[] = [];
  askQtys: number[] = [];
}

class LevelsScratch extends DepthHeader {
  bidPrices = EMPTY;
  bidQtys = EMPTY;
  askPrices = EMPTY;
  askQtys = EMPTY;
  bidFrom = 0;
  bidTo = 0;
  askFrom = 0;
  askTo = 0;
}

class MarkScratch implements MarkEvent {
  readonly type = 'mark' as const;
  symbol = '';
  ts = NaN;
  recvTs = NaN;
  markPrice = NaN;
  indexPrice = NaN;
  fundingRate = NaN;
  nextFundingTime = NaN;
}

/** See the module comment. */
export class EventView {
  readonly quoteEvent: QuoteEvent = new QuoteScratch();
  readonly tradeEvent: TradeEvent = new TradeScratch();
  readonly depthEvent: DepthEvent = new DepthScratch();
  readonly markEvent: MarkEvent = new MarkScratch();

  /** Event `i` of the table's merged order (a reused object). */
  at(t: EventTable, i: number): MarketEvent {
    const r = t.row[i]!;
    const symbol = t.symbols[t.sym[i]!]!;
    switch (t.kind[i]) {
      case QUOTE:
        return this.quote(t, r, symbol);
      case TRADE:
        return this.trade(t, r, symbol);
      case DEPTH:
        return this.depth(t, r, symbol);
      case MARK:
        return this.mark(t, r, symbol);
      default:
        throw new Error(`event ${i}: unknown kind code ${t.kind[i]}`);
    }
  }

  quote(t: EventTable, r: number, symbol: string): QuoteEvent {
    const c = t.quote;
    const e = this.quoteEvent;
    e.symbol = symbol;
    e.ts = c.ts[r]!;
    e.recvTs = c.recvTs[r]!;
    e.bidPrice = c.bidPrice[r]!;
    e.bidQty = c.bidQty[r]!;
    e.askPrice = c.askPrice[r]!;
    e.askQty = c.askQty[r]!;
    e.updateId = c.updateId[r]!;
    return e;
  }

  trade(t: EventTable, r: number, symbol: string): TradeEvent {
    const c = t.trade;
    const e = this.tradeEvent;
    e.symbol = symbol;
    e.ts = c.ts[r]!;
    e.recvTs = c.recvTs[r]!;
    e.price = c.price[r]!;
    e.qty = c.qty[r]!;
    e.side = c.side[r]! > 0 ? 'buy' : 'sell';
    e.id = c.id[r]!;
    e.firstId = c.firstId[r]!;
    e.lastId = c.lastId[r]!;
    e.printKind = t.printKinds[c.print[r]!] ?? '';
    return e;
  }

  depth(t: EventTable, r: number, symbol: string): DepthEvent {
    const c = t.depth;
    const e = this.depthEvent;
    depthHeader(e, c, r, symbol);
    fillList(e.bidPrices, c.bidPrices, r);
    fillList(e.bidQtys, c.bidQtys, r);
    fillList(e.askPrices, c.askPrices, r);
    fillList(e.askQtys, c.askQtys, r);
    return e;
  }

  private readonly levelsEvent = new LevelsScratch();

  /**
   * Depth row `r` with its levels as ranges of the table's level columns (no copy, no view
   * made): for readers of levels by index (the simulator's local book). The same scratch object
   * every call.
   */
  depthLevels(t: EventTable, r: number, symbol: string): DepthLevelsView {
    const c = t.depth;
    const e = this.levelsEvent;
    depthHeader(e, c, r, symbol);
    // sizes sit at the offsets of their prices (`levelsAlignedTo`): one range serves both
    const bp = c.bidPrices;
    const ap = c.askPrices;
    e.bidPrices = bp.values;
    e.bidQtys = c.bidQtys.values;
    e.askPrices = ap.values;
    e.askQtys = c.askQtys.values;
    e.bidFrom = bp.offsets[r]!;
    e.bidTo = bp.offsets[r + 1]!;
    e.askFrom = ap.offsets[r]!;
    e.askTo = ap.offsets[r + 1]!;
    return e;
  }

  mark(t: EventTable, r: number, symbol: string): MarkEvent {
    const c = t.mark;
    const e = this.markEvent;
    e.symbol = symbol;
    e.ts = c.ts[r]!;
    e.recvTs = c.recvTs[r]!;
    e.markPrice = c.markPrice[r]!;
    e.indexPrice = c.indexPrice[r]!;
    e.fundingRate = c.fundingRate[r]!;
    e.nextFundingTime = c.nextFundingTime[r]!;
    return e;
  }
}
