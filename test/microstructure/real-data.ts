/**
 * Real Binance captures for the calculator tests, read once per file with the library's
 * capture reader (`readCapture`: `ts` is the exchange event time `E`).
 */
import type { RecordBatch } from 'apache-arrow';
import { batchToEvents, type QuoteEvent, type TradeEvent } from '../../src/core/index.js';
import { readCapture } from '../../src/io/capture.js';

export type QT = QuoteEvent | TradeEvent;

export interface RealCapture {
  quotes: QuoteEvent[];
  trades: TradeEvent[];
  /** Quotes and trades in time order, a quote before a trade of the same `ts` (the columnar merge's order). */
  merged: QT[];
  quoteBatches: RecordBatch[];
  tradeBatches: RecordBatch[];
}

const cache = new Map<string, Promise<RealCapture>>();

export function loadCapture(file: string): Promise<RealCapture> {
  let p = cache.get(file);
  if (!p) {
    p = read(file);
    cache.set(file, p);
  }
  return p;
}

async function read(file: string): Promise<RealCapture> {
  const out: RealCapture = { quotes: [], trades: [], merged: [], quoteBatches: [], tradeBatches: [] };
  for await (const { kind, batch } of readCapture(file)) {
    if (kind === 'quote') {
      out.quoteBatches.push(batch);
      for (const e of batchToEvents('quote', batch)) out.quotes.push(e);
    } else if (kind === 'trade') {
      out.tradeBatches.push(batch);
      for (const e of batchToEvents('trade', batch)) out.trades.push(e);
    }
  }
  out.merged = mergeByTs(out.quotes, out.trades);
  return out;
}

/** Stable merge by `ts`, quotes first on ties; each input keeps its own order. */
export function mergeByTs(quotes: readonly QuoteEvent[], trades: readonly TradeEvent[]): QT[] {
  const out: QT[] = [];
  let i = 0;
  let j = 0;
  while (i < quotes.length || j < trades.length) {
    if (j >= trades.length || (i < quotes.length && quotes[i]!.ts <= trades[j]!.ts)) out.push(quotes[i++]!);
    else out.push(trades[j++]!);
  }
  return out;
}
