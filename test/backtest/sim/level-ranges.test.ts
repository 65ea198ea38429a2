/**
 * Depth levels handed over as ranges of larger arrays (a columnar stream's whole level columns,
 * `DepthLevelsView.bidFrom` …) build the same local book as the same levels in arrays of their
 * own: in the venue's book (`SymbolVenue.applyDepth`), including the diffs kept while it waits
 * for a snapshot, on the real BTCUSDT capture.
 */
import { describe, expect, it } from 'vitest';
import type { DepthLevelsView } from '../../../src/core/events.js';
import { SymbolVenue } from '../../../src/backtest/sim/venue-book.js';
import { readDepthAndTickers, type DepthMessage } from '../../helpers/binance-depth.js';

/**
 * The message's levels at an offset inside arrays padded on both ends with levels that would be
 * the best of their side if read (bids far above the market, asks far below it).
 */
function ranged(m: DepthMessage, pad: number): DepthLevelsView {
  const junk = (n: number, p: number) => Array.from({ length: n }, (_, i) => p + i);
  const embed = (a: number[], p: number) => Float64Array.from([...junk(pad, p), ...a, ...junk(pad + 3, p + 50)]);
  return {
    type: 'depth',
    symbol: 'BTCUSDT',
    ts: m.ts,
    recvTs: NaN,
    isSnapshot: m.kind === 'snapshot',
    firstUpdateId: m.firstUpdateId,
    lastUpdateId: m.lastUpdateId,
    prevUpdateId: m.prevUpdateId,
    bidPrices: embed(m.bidPrices, 1_000_000),
    bidQtys: embed(m.bidQtys, 1),
    askPrices: embed(m.askPrices, 1),
    askQtys: embed(m.askQtys, 1),
    bidFrom: pad,
    bidTo: pad + m.bidPrices.length,
    askFrom: pad,
    askTo: pad + m.askPrices.length,
  };
}

function plain(m: DepthMessage): DepthLevelsView {
  return { type: 'depth', symbol: 'BTCUSDT', ts: m.ts, recvTs: NaN, isSnapshot: m.kind === 'snapshot', firstUpdateId: m.firstUpdateId, lastUpdateId: m.lastUpdateId, prevUpdateId: m.prevUpdateId, bidPrices: m.bidPrices, bidQtys: m.bidQtys, askPrices: m.askPrices, askQtys: m.askQtys };
}

describe('depth levels as ranges', () => {
  it('the venue book from ranged levels equals the book from plain ones, diffs before the snapshot included (real BTCUSDT capture)', () => {
    const msgs = readDepthAndTickers('binance-ws/usdm/btcusdt_20240808.gz').filter((m): m is DepthMessage => m.kind === 'snapshot' || m.kind === 'diff');
    // the capture opens with diffs, the snapshot after them: the venue keeps those diffs (copied
    // out of their ranges) and replays them on the snapshot
    const snapAt = msgs.findIndex((m) => m.kind === 'snapshot');
    expect(snapAt, 'diffs before the snapshot').toBeGreaterThan(1);
    const order = msgs;
    const a = new SymbolVenue('BTCUSDT');
    const b = new SymbolVenue('BTCUSDT');
    let applied = 0;
    for (const [k, m] of order.entries()) {
      const ra = a.applyDepth(ranged(m, 1 + (k % 5)));
      const rb = b.applyDepth(plain(m));
      expect(ra, `message ${k}`).toBe(rb);
      if (ra) applied++;
      if (k % 200 === 0 || k === order.length - 1) expect(a.bookView(50), `message ${k}`).toEqual(b.bookView(50));
    }
    expect(applied, 'diffs applied').toBeGreaterThan(6000);
    expect(a.bookView(20).bids.length).toBe(20);
  });
});
