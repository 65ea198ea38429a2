/**
 * The backtest driver on the real captures (BTCUSDT + ETHUSDT of the same window, merged):
 * the same inputs and seed give byte-identical results, whether the stream comes as one table
 * with precomputed features or as chunks with features computed on the way; stage-1 features
 * computed once give the same signals as computing them inline (and as `CoreAlgorithm` fed the
 * raw events, as the `signals` command does); no strategy sees an event, a fill or an order
 * change before its local time, and appending later events never changes earlier orders; a
 * restart part-way gives the run that ended there and the run that replays the whole stream
 * trading only from there.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Table } from 'apache-arrow';
import { eventsToBatch } from '../../src/core/batch.js';
import { eventTableFromTables, QUOTE, TRADE, type EventTable } from '../../src/backtest/data-reader.js';
import { BacktestDriver, runBacktest, runBacktestSync, type BacktestStrategy } from '../../src/backtest/driver.js';
import { computeFeatureTable, type FeatureTable } from '../../src/backtest/features-stage.js';
import { ConstantFeedLatency, RecordedFeedLatency, type FeedLatency } from '../../src/backtest/feed-latency.js';
import { DefaultStrategy } from '../../src/backtest/strategies/default.js';
import type { Fill, Order, TradingContext } from '../../src/backtest/types.js';
import { StrategyModeManager } from '../../src/risk/strategy-mode.js';
import { CoreAlgorithm } from '../../src/signals/core-algorithm.js';
import { MemorySink } from '../../src/signals/types.js';
import { DataReader } from '../../src/runs/backtest-data.js';
import { dataPath } from '../helpers/data.js';

const INPUTS = [dataPath('binance-ws', 'usdm', 'btcusdt_20240808.gz'), dataPath('binance-ws', 'usdm', 'ethusdt_20240808.gz')];

let events: EventTable;
let features: FeatureTable;

beforeAll(async () => {
  events = await (await DataReader.open(INPUTS)).table();
  features = computeFeatureTable(events);
});

/** A strategy that trades on a fixed pattern and records what it sees, and when. */
class Probe implements BacktestStrategy {
  readonly seen: { now: number; ts: number; kind: string }[] = [];
  readonly fills: { now: number; fill: Fill }[] = [];
  readonly orders: { now: number; order: Order }[] = [];
  readonly bookMismatches: string[] = [];
  private quotes = 0;
  private side: 'buy' | 'sell' = 'buy';

  onQuote(q: { symbol: string; ts: number; bidPrice: number; askPrice: number }, ctx: TradingContext): void {
    this.seen.push({ now: ctx.now, ts: q.ts, kind: 'quote' });
    const b = ctx.book(q.symbol);
    if (b.bidPrice !== q.bidPrice || b.askPrice !== q.askPrice) this.bookMismatches.push(`${q.symbol} ${q.ts}`);
    if (++this.quotes % 2000 === 0 && q.symbol === 'BTCUSDT') {
      ctx.submit({ symbol: q.symbol, side: this.side, type: 'market', qty: 0.01, tag: 'probe' });
      this.side = this.side === 'buy' ? 'sell' : 'buy';
    }
  }
  onTrade(t: { ts: number }, ctx: TradingContext): void {
    this.seen.push({ now: ctx.now, ts: t.ts, kind: 'trade' });
  }
  onDepth(d: { ts: number }, ctx: TradingContext): void {
    this.seen.push({ now: ctx.now, ts: d.ts, kind: 'depth' });
  }
  onFill(fill: Fill, ctx: TradingContext): void {
    this.fills.push({ now: ctx.now, fill: { ...fill } });
  }
  onOrder(order: Order, ctx: TradingContext): void {
    this.orders.push({ now: ctx.now, order: { ...order } });
  }
}

const json = (x: unknown) => JSON.stringify(x);

describe('runBacktest on the merged captures', () => {
  it('is deterministic: twice the same bytes, and the same from chunks with features computed on the way', async () => {
    const a = runBacktestSync({ stream: events, features, config: {}, seed: 7 });
    const b = runBacktestSync({ stream: events, features, config: {}, seed: 7 });
    expect(json(a)).toBe(json(b));
    expect(a.fills.length, 'the default strategy trades on the sample').toBeGreaterThan(0);
    const c = await runBacktest({ stream: (await DataReader.open(INPUTS, { chunk: 5000 })).chunks(), config: {}, seed: 7 });
    expect(json(c)).toBe(json(a));
  });

  it('features computed once give the same signals, orders and fills as features computed inline, and the signals of CoreAlgorithm on the raw events', () => {
    const once = runBacktestSync({ stream: events, features, config: {} });
    const inline = runBacktestSync({ stream: events, strategy: new DefaultStrategy({}, { inline: true }) });
    expect(once.signals.length).toBeGreaterThan(20);
    expect(inline.stats.featureRows, 'inline: no rows handed out').toBe(0);
    expect(json({ ...inline, stats: null })).toBe(json({ ...once, stats: null }));
    // the signals command's way: CoreAlgorithm with its own features and a mode manager per symbol
    const sink = new MemorySink();
    const modes = { create: () => new StrategyModeManager({}), config: new StrategyModeManager({}).config };
    const algo = new CoreAlgorithm({ runId: 'backtest', modes }, sink);
    const { quote, trade } = events;
    for (let i = 0; i < events.length; i++) {
      const r = events.row[i]!;
      const s = events.symbols[events.sym[i]!]!;
      if (events.kind[i] === QUOTE) algo.quote(s, quote.ts[r]!, quote.recvTs[r]!, quote.bidPrice[r]!, quote.bidQty[r]!, quote.askPrice[r]!, quote.askQty[r]!, quote.updateId[r]!);
      else if (events.kind[i] === TRADE) algo.trade(s, trade.ts[r]!, trade.recvTs[r]!, trade.price[r]!, trade.qty[r]!, trade.side[r]!, events.printKinds[trade.print[r]!]!);
    }
    const pick = (x: { seq: number; symbol: string; signal_type: string; confirm: boolean; score: number; gating_blocked: boolean; gating_reasons: string[]; strategy_mode: string }) =>
      [x.seq, x.symbol, x.signal_type, x.confirm, x.score, x.gating_blocked, x.gating_reasons.join(','), x.strategy_mode].join('|');
    expect(once.signals.map(pick)).toEqual(sink.signals.map(pick));
    expect(once.signals.map((s) => s.ts)).toEqual(sink.signals.map((s) => s.ts_ms));
  });

  it('no strategy sees an event before exchange time + feed latency, nor a fill or order change before the response latency', () => {
    const feed = 7;
    const probe = new Probe();
    const res = runBacktestSync({ stream: events, strategy: probe, feed: new ConstantFeedLatency(feed), config: { backtest: { latency_ms: 10, response_latency_ms: 15 } } });
    expect(probe.seen.length).toBe(events.length);
    let back = 0;
    for (let k = 0; k < probe.seen.length; k++) {
      const s = probe.seen[k]!;
      if (!(s.now >= s.ts + feed)) throw new Error(`event ${k} (${s.kind} at ${s.ts}) seen at ${s.now}`);
      if (k > 0 && s.now < probe.seen[k - 1]!.now) back++;
    }
    expect(back, 'the strategy clock never goes back').toBe(0);
    expect(probe.bookMismatches).toEqual([]);
    expect(probe.fills.length).toBeGreaterThan(10);
    for (const { now, fill } of probe.fills) expect(now, `fill of order ${fill.orderId}`).toBeGreaterThanOrEqual(fill.ts + 15);
    for (const { now, order } of probe.orders) expect(now).toBeGreaterThanOrEqual(order.updateTs + 15);
    for (const o of res.orders) expect(o.venueTs, `order ${o.id} reaches the venue after the entry latency`).toBeGreaterThanOrEqual(o.submitTs + 10);
    for (const f of res.fills) expect(f.ts).toBeGreaterThanOrEqual(res.orders[f.orderId - 1]!.venueTs);
  });

  it('appending later events never changes earlier orders or signal decisions', () => {
    const half = events.range(0, events.length >> 1);
    const cut = half.ts[half.length - 1]!;
    for (const make of [() => new Probe(), () => new DefaultStrategy({})]) {
      const part = runBacktestSync({ stream: half, features: computeFeatureTable(half), strategy: make(), seed: 3 });
      const full = runBacktestSync({ stream: events, features, strategy: make(), seed: 3 });
      const early = (os: Order[]) => os.filter((o) => o.submitTs <= cut).map((o) => json([o.id, o.symbol, o.side, o.type, o.qty, o.price, o.tag, o.submitTs, o.venueTs]));
      expect(early(part.orders).length).toBeGreaterThan(0);
      expect(early(part.orders)).toEqual(early(full.orders));
      const sigs = (r: typeof part) => r.signals.filter((s) => s.localTs <= cut).map(json);
      expect(sigs(part)).toEqual(sigs(full));
    }
  });

  it('the strategy\'s ledger (fills as reported) ends where the venue\'s does; the equity curve samples every second and at each fill', () => {
    const probe = new Probe();
    let ctx: TradingContext | null = null;
    const withEnd: BacktestStrategy = Object.assign(probe, { onEnd: (c: TradingContext) => void (ctx = c) });
    const res = runBacktestSync({ stream: events, strategy: withEnd });
    const btc = ctx!.position('BTCUSDT');
    const venue = res.positions.find((p) => p.symbol === 'BTCUSDT')!;
    expect(btc.qty).toBeCloseTo(venue.qty, 12);
    expect(btc.realizedPnl).toBeCloseTo(venue.realizedPnl, 9);
    expect(btc.fees).toBeCloseTo(venue.fees, 9);
    const e = res.equity;
    expect(e.equity[0]).toBe(10_000);
    expect(e.ts[0]).toBe(res.stats.firstTs);
    let clock = 0;
    for (let i = 1; i < e.length; i++) {
      expect(e.ts[i]!).toBeGreaterThanOrEqual(e.ts[i - 1]!);
      if (e.fill[i] === 0 && i < e.length - 1) {
        expect(e.ts[i]! % 1000, 'clock samples on whole seconds').toBe(0);
        clock++;
      }
    }
    expect(clock).toBe(Math.floor(res.stats.lastTs / 1000) - Math.floor(res.stats.firstTs / 1000));
    expect(e.length - 1 - clock - 1).toBe(res.fills.length);
  });

  it('a gap with nothing in it is sampled at its first and last clock points only', () => {
    const t0 = Date.UTC(2024, 7, 8, 12, 0, 0, 250);
    const q = (ts: number) => ({ type: 'quote' as const, symbol: 'XUSDT', ts, recvTs: NaN, bidPrice: 99, bidQty: 1, askPrice: 101, askQty: 1, updateId: NaN });
    const stream = eventTableFromTables([{ quote: new Table([eventsToBatch('quote', [q(t0), q(t0 + 3_600_000)])!]) }]);
    const r = runBacktestSync({ stream, strategy: {}, feed: new ConstantFeedLatency(0) });
    // the first event; the first whole second after it; the last whole second before the next event; the end
    expect(Array.from(r.equity.ts, (t) => t - t0)).toEqual([0, 750, 3_599_750, 3_600_000]);
  });
});

/**
 * From `tradeFrom` on: a GTC limit order at the touch every 150th BTCUSDT quote (alternating
 * sides, so it rests in the queue), a market order every 700th, and a cancel of any order open
 * for over 3 s. Its count of quotes is trading state: a restart starts it again.
 */
class Maker implements BacktestStrategy {
  readonly bookLevels = 0;
  private n = 0;
  constructor(private tradeFrom: number) {}
  onQuote(q: { symbol: string; ts: number; bidPrice: number; askPrice: number }, ctx: TradingContext): void {
    if (q.ts < this.tradeFrom || q.symbol !== 'BTCUSDT') return;
    this.n++;
    for (const o of ctx.openOrders(q.symbol)) if (ctx.now - o.submitTs > 3000) ctx.cancel(o.id);
    const buy = (this.n / 150) % 2 === 0;
    if (this.n % 150 === 0) ctx.submit({ symbol: q.symbol, side: buy ? 'buy' : 'sell', type: 'limit', price: buy ? q.bidPrice : q.askPrice, qty: 0.01, tag: 'maker' });
    if (this.n % 700 === 0) ctx.submit({ symbol: q.symbol, side: buy ? 'sell' : 'buy', type: 'market', qty: 0.01, tag: 'taker' });
  }
  restart(_ctx: TradingContext, at: { tradeFrom: number }): void {
    this.tradeFrom = at.tradeFrom;
    this.n = 0;
  }
}

describe('BacktestDriver.restart', () => {
  // slow answers keep orders on their way at the boundary; the sampled queue draws at random
  const config = { backtest: { latency_ms: 1500, response_latency_ms: 1500, queue_model: 'probabilistic', queue_sample: true, seed: 3 } } as const;

  it('gives the run that ended there, then the run that replays the whole stream trading only from there', () => {
    const t0 = events.ts[0]!;
    const t1 = events.ts[events.length - 1]!;
    let inFlight = 0;
    let resting = 0;
    for (const share of [0.3, 0.55, 0.8]) {
      const k = Math.round(t0 + share * (t1 - t0));
      const n = events.lowerBound(k);
      const driver = new BacktestDriver({ config, strategy: new Maker(t0) });
      driver.feed(events.range(0, n));
      const open = driver.sim.openOrders().length;
      inFlight += open;
      const first = driver.restart({ tradeFrom: k });
      driver.feed(events.range(n, events.length));
      const second = driver.finish();
      driver.release();
      const alone = runBacktestSync({ stream: events.range(0, n), config, strategy: new Maker(t0) });
      expect(json(first), `the run that ended at ${share}`).toBe(json(alone));
      const replay = runBacktestSync({ stream: events, config, strategy: new Maker(k) });
      expect(second.fills.length, 'the second run trades').toBeGreaterThan(10);
      resting += second.fills.filter((f) => f.liquidity === 'maker').length;
      for (const key of ['orders', 'fills', 'fundings', 'positions', 'signals'] as const) expect(json(second[key]), key).toBe(json(replay[key]));
      // the replay's curve also holds its flat samples before k
      const atFills = (c: typeof second.equity) => Array.from(c.equity).filter((_, i) => c.fill[i] === 1);
      expect(atFills(second.equity)).toEqual(atFills(replay.equity));
      expect(second.equity.equity[second.equity.length - 1]).toBe(replay.equity.equity[replay.equity.length - 1]);
      expect(second.equity.ts[0]!, 'the second curve starts at the boundary').toBeGreaterThanOrEqual(k);
      expect(second.stats.events).toBe(events.length - n);
    }
    expect(inFlight, 'orders were open at some boundary').toBeGreaterThan(0);
    expect(resting, 'resting orders filled as makers').toBeGreaterThan(0);
  });

  it('needs a strategy that can restart', () => {
    const driver = new BacktestDriver({ strategy: new Probe() });
    driver.feed(events.range(0, 100));
    expect(() => driver.restart()).toThrow(/no restart/);
  });
});

describe('RecordedFeedLatency', () => {
  it('the gap above its trailing least, worked by hand', () => {
    const f = new RecordedFeedLatency({ baseMs: 1 });
    expect([f.delay(1_000, -270), f.delay(1_010, -255), f.delay(1_020, NaN)]).toEqual([1, 6, 1]);
  });

  it('delays over a chunk are delay event by event, on the real captures; a model with delay alone runs the same backtest', () => {
    const ts = new Float64Array(events.length);
    const recv = new Float64Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const r = events.row[i]!;
      const k = events.kind[i];
      ts[i] = events.ts[i]!;
      recv[i] = (k === QUOTE ? events.quote.recvTs : k === TRADE ? events.trade.recvTs : events.depth.recvTs)[r]!;
    }
    const one = new RecordedFeedLatency();
    const each = Array.from(ts, (t, i) => one.delay(t, recv[i]!));
    new RecordedFeedLatency().delays(ts, recv, events.length);
    expect(Array.from(recv)).toEqual(each);
    expect(each.reduce((m, x) => (x > m ? x : m), 0), 'the captures have delays').toBeGreaterThan(5);
    const inner = new RecordedFeedLatency();
    const perEvent: FeedLatency = { name: 'per-event', delay: (t, r) => inner.delay(t, r) };
    const a = runBacktestSync({ stream: events, features, config: {}, seed: 7 });
    const b = runBacktestSync({ stream: events, features, config: {}, seed: 7, feed: perEvent });
    expect(json(b)).toBe(json(a));
  });
});

