/**
 * A venue that follows a depth track (the books of a table's depth events recorded once, read
 * back, and brought up to date only when their levels are read) gives what a venue applying
 * every diff gives: on the bundled sample (real BTCUSDT and ETHUSDT captures), with a seeded
 * stream of random orders of every type and time in force, sizes that walk dozens of levels,
 * limit orders resting in the queue, cancels, and the book views read along the way. Also with
 * a checkpoint at every 4th event, with the checkpoints thinned under a tiny budget, and with
 * a stream that does not start at the track's first event (the venue leaves the track). And a
 * book restored from a checkpoint takes the following diffs to the same levels. A backtest with
 * the table's depth track and shared feed times gives the run it gives without them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEPTH, MARK, QUOTE, TRADE } from '../../src/backtest/data/columns.js';
import type { EventTable } from '../../src/backtest/data/event-table.js';
import { EventView } from '../../src/backtest/data/event-view.js';
import { DepthTrack, depthTrackFor } from '../../src/backtest/depth-track.js';
import { modelsFromConfig } from '../../src/backtest/sim/from-config.js';
import { SeededRandom } from '../../src/backtest/sim/models/random.js';
import { TradeSimulator } from '../../src/backtest/sim/simulator.js';
import { SymbolVenue } from '../../src/backtest/sim/venue-book.js';
import type { OrderRequest } from '../../src/backtest/types.js';
import { samplePaths } from '../../src/io/sample.js';
import { LocalOrderBook } from '../../src/microstructure/book.js';
import { DataReader } from '../../src/runs/backtest-data.js';
import { BacktestDriver, feedTimesFor } from '../../src/backtest/driver.js';
import { defaultConfig } from '../../src/config.js';

let table: EventTable;
beforeAll(async () => {
  table = await (await DataReader.open(samplePaths())).table();
});

/** Base quantities of a typical order (one touch size or so) per symbol. */
const UNIT: Record<string, number> = { BTCUSDT: 0.05, ETHUSDT: 1 };

/**
 * Feed `table.range(from, to)` to two simulators, one applying every depth row and one reading
 * `track`, with the same seeded orders and cancels; compare the book views along the way and
 * return both ledgers as JSON.
 */
function both(track: DepthTrack, seed: number, from = 0, to = table.length) {
  const make = (depthTrack?: DepthTrack) => new TradeSimulator(modelsFromConfig({ queue_model: 'probabilistic', seed }), { startingCash: 1e6, ...(depthTrack ? { depthTrack } : {}) });
  const a = make();
  const b = make(track);
  const view = new EventView();
  const rnd = new SeededRandom(seed);
  const t = table;
  let views = 0;
  let walked = 0;
  for (let i = from; i < to; i++) {
    const r = t.row[i]!;
    const symbol = t.symbols[t.sym[i]!]!;
    const ts = t.ts[i]!;
    switch (t.kind[i]) {
      case QUOTE:
        a.onQuote(view.quote(t, r, symbol));
        b.onQuote(view.quote(t, r, symbol));
        break;
      case TRADE:
        a.onTrade(view.trade(t, r, symbol));
        b.onTrade(view.trade(t, r, symbol));
        break;
      case DEPTH:
        a.onDepth(view.depthLevels(t, r, symbol));
        if (t.depth === track.columns) b.onDepthRow(r, symbol);
        else b.onDepth(view.depthLevels(t, r, symbol));
        break;
      case MARK:
        a.onMark(view.mark(t, r, symbol));
        b.onMark(view.mark(t, r, symbol));
        break;
    }
    const u = rnd.next();
    if (u < 0.004) {
      const touch = a.book(symbol);
      const side = rnd.next() < 0.5 ? 'buy' : 'sell';
      const big = rnd.next() < 0.2;
      // log-uniform sizes; a fifth of them 100 to 1000 units: they walk dozens of levels
      const qty = Number((UNIT[symbol]! * 10 ** (big ? 2 + rnd.next() : 2 * rnd.next() - 1)).toFixed(3));
      const type = rnd.next() < 0.4 ? 'market' : 'limit';
      const tifs = type === 'market' ? (['IOC', 'FOK'] as const) : (['GTC', 'GTC', 'IOC', 'FOK', 'GTX'] as const);
      const timeInForce = tifs[Math.floor(rnd.next() * tifs.length)]!;
      const mid = (touch.bidPrice + touch.askPrice) / 2;
      // within 3 bps of the mid: some cross and take, some rest in the queue
      const price = Math.round(mid * (1 + (rnd.next() - 0.5) * 6e-4) * 10) / 10;
      const req: OrderRequest = { symbol, side, type, qty, timeInForce, ...(type === 'limit' ? { price } : {}) };
      a.submit(req, ts);
      b.submit(req, ts);
    } else if (u < 0.006) {
      const open = a.openOrders();
      if (open.length > 0) {
        const id = open[Math.floor(rnd.next() * open.length)]!.id;
        expect(a.cancel(id, ts)).toBe(b.cancel(id, ts));
      }
    } else if (u < 0.008) {
      expect(JSON.stringify(b.book(symbol)), `book of ${symbol} at event ${i}`).toBe(JSON.stringify(a.book(symbol)));
      views++;
    }
  }
  for (const f of a.fills) if (f.liquidity === 'taker') walked = Math.max(walked, a.fills.filter((g) => g.orderId === f.orderId).length);
  return { a: JSON.stringify([a.orders, a.fills, a.cash, a.equity()]), b: JSON.stringify([b.orders, b.fills, b.cash, b.equity()]), fills: a.fills.length, makers: a.fills.filter((f) => f.liquidity === 'maker').length, views, walked };
}

describe('DepthTrack', () => {
  it('a venue following the track fills random orders as one applying every diff: the same orders, fills, cash and book views', () => {
    const track = depthTrackFor(table);
    expect(depthTrackFor(table), 'made once per table').toBe(track);
    expect(track.checkpointCount, 'checkpoints along the data').toBeGreaterThan(10);
    let fills = 0;
    let makers = 0;
    let walked = 0;
    for (const seed of [1, 2, 3]) {
      const r = both(track, seed);
      expect(r.b).toBe(r.a);
      expect(r.views).toBeGreaterThan(50);
      fills += r.fills;
      makers += r.makers;
      walked = Math.max(walked, r.walked);
    }
    expect(fills, 'orders fill').toBeGreaterThan(200);
    expect(makers, 'some as makers, from the queue').toBeGreaterThan(10);
    expect(walked, 'a taker walked more than the 32 levels (and a quote) handed first').toBeGreaterThan(40);
  }, 60_000);

  it('the same with a checkpoint every 4 depth events, and with the checkpoints thinned under a tiny budget', () => {
    const dense = new DepthTrack(table, { every: 4, maxBytes: Infinity });
    expect(dense.every).toBe(4);
    const r = both(dense, 7);
    expect(r.b).toBe(r.a);
    const thin = new DepthTrack(table, { every: 4, maxBytes: 2_000_000 });
    expect(thin.every, 'spacing doubled until the checkpoints fit').toBeGreaterThan(4);
    expect(thin.bytes).toBeLessThanOrEqual(2_000_000);
    expect(thin.checkpointCount).toBeGreaterThan(0);
    const s = both(thin, 7);
    expect(s.b).toBe(r.a);
    const none = new DepthTrack(table, { maxBytes: 0 });
    expect(none.checkpointCount, 'no room: every book is brought up from the start').toBe(0);
    expect(both(none, 7).b).toBe(r.a);
  }, 60_000);

  it('a track made in shared memory is taken by another thread without a copy and followed the same', () => {
    const made = new DepthTrack(table, { shared: true });
    const data = made.data();
    for (const a of [data.flags, data.bid, data.askQty, data.rows[0]!, data.work[1]!, data.checkpoints[0]![0]!.book!.bidPrices]) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    // what a worker receives (postMessage clones the same way): views of the same memory
    const sent = structuredClone(data);
    const r = sent.checkpoints[1]![2]!.book!.askQtys;
    const before = r[0]!;
    r[0] = -1;
    expect(data.checkpoints[1]![2]!.book!.askQtys[0], 'the same memory').toBe(-1);
    r[0] = before;
    const taken = new DepthTrack(table, { data: sent });
    expect(taken.checkpointCount).toBe(made.checkpointCount);
    const s = both(taken, 5);
    expect(s.b).toBe(s.a);
    expect(s.b).toBe(both(depthTrackFor(table), 5).b);
    expect(() => new DepthTrack(table, { data: { ...sent, rows: sent.rows.slice(1) } })).toThrow(/the track given is of \d+ depth rows and 1 symbols, the table has \d+ and 2/);
  }, 60_000);

  it('a stream that does not start at the track\'s first event: the venue leaves the track and applies the rows itself', () => {
    const track = depthTrackFor(table);
    const from = Math.floor(table.length / 3);
    const r = both(track, 11, from);
    expect(r.fills).toBeGreaterThan(20);
    expect(r.b).toBe(r.a);
  }, 60_000);

  it('a book restored from a checkpoint takes the following diffs to the same levels', () => {
    const view = new EventView();
    const sym = table.symbolCode('BTCUSDT');
    // the venue keeps the diffs that come before the snapshot (Binance's sync rules)
    const venue = new SymbolVenue('BTCUSDT');
    const copy = new LocalOrderBook();
    let restored = false;
    let compared = 0;
    const top = (b: LocalOrderBook) => {
      const n = b.sideSize(1) + b.sideSize(-1);
      const px = new Float64Array(n);
      const q = new Float64Array(n);
      b.topSide(1, b.sideSize(1), px, q);
      const bids = [...px.subarray(0, b.sideSize(1))].join();
      b.topSide(-1, b.sideSize(-1), px, q);
      return `${bids}|${[...px.subarray(0, b.sideSize(-1))].join()}|${b.synced}|${b.lastUpdateId}`;
    };
    for (let i = 0; i < table.length; i++) {
      if (table.kind[i] !== DEPTH || table.sym[i] !== sym) continue;
      const d = view.depthLevels(table, table.row[i]!, 'BTCUSDT');
      venue.applyDepth(d);
      const book = venue.book!;
      if (!book.synced) continue;
      if (!restored) {
        copy.restore(book.checkpoint());
        restored = true;
        expect(top(copy)).toBe(top(book));
        continue;
      }
      if (d.isSnapshot) copy.applySnapshot(d);
      else copy.applyDiff(d);
      if (++compared % 97 === 0) expect(top(copy)).toBe(top(book));
    }
    expect(compared).toBeGreaterThan(1000);
    expect(top(copy)).toBe(top(venue.book!));
    expect(venue.book!.sideSize(1), 'a full book').toBeGreaterThan(1000);
  });
});

describe('a backtest with the table\'s depth track and feed times', () => {
  /** The default strategy with limit entries over the sample, restarted halfway (a sweep's split), as JSON. */
  const run = (shared: boolean, from = 0) => {
    const config = { ...defaultConfig(), signal: { ...defaultConfig().signal, warmup_sec: 20, cooldown_sec: 1, buy_threshold: 0.3, sell_threshold: 0.3 }, risk: { ...defaultConfig().risk, vol_warmup: 20 }, strategy: { ...defaultConfig().strategy, entry_order: 'limit', limit_offset_bps: 0.5, time_stop_sec: 3 } } as never;
    const driver = new BacktestDriver({ config, ...(shared ? { depthTrack: depthTrackFor(table), feedTimes: feedTimesFor(table) } : {}) });
    const half = table.lowerBound(table.ts[0]! + 90_000);
    driver.feed(table.range(from, half));
    const first = driver.restart({});
    driver.feed(table.range(half, table.length));
    const second = driver.finish();
    return JSON.stringify([first, second]);
  };

  it('gives the run it gives without them, byte for byte', () => {
    const a = run(false);
    expect(JSON.parse(a)[1].fills.length, 'the run trades').toBeGreaterThan(10);
    expect(run(true)).toBe(a);
  });

  it('feed times given by another thread: taken as they are; of another length: an error', () => {
    const f = feedTimesFor(table);
    const copy = { length: table.length, ts: new Float64Array(table.ts) } as unknown as EventTable;
    expect(feedTimesFor(copy, { local: f.local }).local).toBe(f.local);
    const short = { length: 10, ts: new Float64Array(10) } as unknown as EventTable;
    expect(() => feedTimesFor(short, { local: f.local })).toThrow(`feedTimesFor: ${table.length} feed times given for a table of 10 events`);
  });

  it('feed times for a stream that is not their table from its first event: an error, not wrong times', () => {
    expect(() => run(true, 5)).toThrow(/feedTimes: a chunk of events 5 to \d+ after 0 events fed/);
  });
});
