/**
 * Depth levels handed over as ranges of larger arrays (a columnar stream's whole level columns,
 * `DepthLevelsView.bidFrom` …) build the same local book as the same levels in arrays of their
 * own: in the venue's book (`SymbolVenue.applyDepth`), including the diffs kept while it waits
 * for a snapshot, on the real BTCUSDT capture. A table's size lists line up with its price
 * lists, so one range serves both (`levelsAlignedTo`).
 */
import { describe, expect, it } from 'vitest';
import { Table } from 'apache-arrow';
import { eventsToBatch } from '../../../src/core/batch.js';
import type { DepthEvent, DepthLevelsView } from '../../../src/core/events.js';
import { eventTableFromTables } from '../../../src/backtest/data-reader.js';
import { EventView } from '../../../src/backtest/data/event-view.js';
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

describe('level columns of a table', () => {
  const depth = (bidPrices: number[], bidQtys: number[], k: number): DepthEvent => ({ type: 'depth', symbol: 'XUSDT', ts: 1_000 + k, recvTs: NaN, isSnapshot: k === 0, firstUpdateId: k, lastUpdateId: k, prevUpdateId: k - 1, bidPrices, bidQtys, askPrices: [101 + k], askQtys: [1] });

  it('sizes as written line up with their prices and are taken as they are', () => {
    const t = eventTableFromTables([{ depth: new Table([eventsToBatch('depth', [depth([100, 99], [1, 2], 0), depth([100], [3], 1)])!]) }]);
    const v = new EventView().depthLevels(t, 1, 'XUSDT');
    expect([v.bidFrom, v.bidTo, v.bidPrices[v.bidFrom!], v.bidQtys[v.bidFrom!]]).toEqual([2, 3, 100, 3]);
  });

  it('a row with fewer sizes than prices reads NaN for the missing ones, one with more drops the extra, and the next row still lines up', () => {
    const rows = [depth([100, 99, 98], [1], 0), depth([100], [5, 6, 7], 1), depth([97, 96], [8, 9], 2)];
    const t = eventTableFromTables([{ depth: new Table([eventsToBatch('depth', rows)!]) }]);
    const view = new EventView();
    const levels = (r: number) => {
      const v = view.depthLevels(t, r, 'XUSDT');
      const out: [number, number][] = [];
      for (let i = v.bidFrom!; i < v.bidTo!; i++) out.push([v.bidPrices[i]!, v.bidQtys[i]!]);
      return out;
    };
    expect(levels(0)).toEqual([[100, 1], [99, NaN], [98, NaN]]);
    expect(levels(1)).toEqual([[100, 5]]);
    expect(levels(2)).toEqual([[97, 8], [96, 9]]);
  });
});
