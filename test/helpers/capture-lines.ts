/**
 * A deliberately small reader of Binance websocket captures (`<recv ns> <combined-stream JSON>`,
 * gzip) for calculator tests: bookTicker → quote events, trade → trade events, in file order.
 * It is independent of the library's readers on purpose, so calculator tests on real data do not
 * depend on them. Quotes take the event time `E` (bookTicker's `T` where `E` is absent),
 * trades the trade time `T`.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { QuoteEvent, TradeEvent } from '../../src/core/events.js';

export interface CaptureEvents {
  /** Quotes and trades interleaved in file (receive) order. */
  events: (QuoteEvent | TradeEvent)[];
  quotes: QuoteEvent[];
  trades: TradeEvent[];
}

export function readCaptureLines(file: string): CaptureEvents {
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  const events: (QuoteEvent | TradeEvent)[] = [];
  const quotes: QuoteEvent[] = [];
  const trades: TradeEvent[] = [];
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp < 0) continue;
    const recvTs = Number(line.slice(0, sp)) / 1e6;
    const msg = JSON.parse(line.slice(sp + 1)) as { stream?: string; data?: Record<string, unknown> };
    const d = msg.data;
    if (!msg.stream || !d) continue;
    if (msg.stream.endsWith('@bookTicker')) {
      const q: QuoteEvent = {
        type: 'quote',
        symbol: String(d.s),
        ts: Number(d.E ?? d.T),
        recvTs,
        bidPrice: Number(d.b),
        bidQty: Number(d.B),
        askPrice: Number(d.a),
        askQty: Number(d.A),
        updateId: Number(d.u),
      };
      quotes.push(q);
      events.push(q);
    } else if (msg.stream.endsWith('@trade')) {
      const t: TradeEvent = {
        type: 'trade',
        symbol: String(d.s),
        ts: Number(d.T),
        recvTs,
        price: Number(d.p),
        qty: Number(d.q),
        side: d.m ? 'sell' : 'buy',
        id: Number(d.t),
        firstId: Number(d.t),
        lastId: Number(d.t),
        printKind: String(d.X ?? 'MARKET'),
      };
      trades.push(t);
      events.push(t);
    }
  }
  return { events, quotes, trades };
}
