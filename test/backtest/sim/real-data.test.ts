/**
 * The simulator on a real capture: the BTCUSDT USD-M recording of 2024-08-08 (depth diffs with
 * their REST snapshot, bookTicker, trades; see ../shared/data/README.md), replayed in exchange-
 * time order with a trivial order pattern (post-only quotes at the touch refreshed every second
 * and canceled after three, an IOC lift every 45 s, a reduce-only market flattening every 20 s).
 * The invariants of the property tests must hold on real data too, and two runs with the
 * empirical latency model must agree byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../../src/io/capture.js';
import { batchToEvents } from '../../../src/core/batch.js';
import { EVENT_KINDS, type MarketEvent } from '../../../src/core/events.js';
import { TradeSimulator } from '../../../src/backtest/sim/simulator.js';
import { EmpiricalLatency } from '../../../src/backtest/sim/models/latency.js';
import { MakerTakerFees } from '../../../src/backtest/sim/models/fees.js';
import { BookWalkFill } from '../../../src/backtest/sim/models/fill.js';
import { RiskAverseQueue } from '../../../src/backtest/sim/models/queue.js';
import { MarkPriceFunding } from '../../../src/backtest/sim/models/funding.js';
import { dataPath } from '../../helpers/data.js';

const FILE = dataPath('binance-ws/usdm/btcusdt_20240808.gz');
const SYM = 'BTCUSDT';
const TICK = 0.1;

async function load(): Promise<MarketEvent[]> {
  const out: MarketEvent[] = [];
  for await (const { kind, batch } of readCapture(FILE)) for (const e of batchToEvents(kind, batch)) out.push(e);
  const rank = (e: MarketEvent) => EVENT_KINDS.indexOf(e.type);
  // a stable sort: exchange time, then book state before trades (the merge order of core/events)
  return out.map((e, i) => [e, i] as const).sort((a, b) => a[0].ts - b[0].ts || rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([e]) => e);
}

interface Checks {
  violations: string[];
}

function replay(events: readonly MarketEvent[], checks: Checks | null): TradeSimulator {
  const sim = new TradeSimulator(
    { latency: new EmpiricalLatency({ entryBaseMs: 5, seed: 3 }), fees: new MakerTakerFees(), fill: new BookWalkFill(), queue: new RiskAverseQueue(), funding: new MarkPriceFunding() },
    { startingCash: 10_000 },
  );
  let lastQuote = -Infinity;
  let lastLift = -Infinity;
  let lastFlat = -Infinity;
  let quoteAsk = NaN;
  let quoteBid = NaN;
  let i = 0;
  for (const e of events) {
    const bestAskBefore = Math.min(quoteAsk, sim.book(SYM).askPrice);
    const bestBidBefore = Math.max(quoteBid, sim.book(SYM).bidPrice);
    const before = sim.fills.length;
    if (e.type === 'quote') {
      sim.onQuote(e);
      quoteAsk = e.askPrice;
      quoteBid = e.bidPrice;
    } else if (e.type === 'trade') sim.onTrade(e);
    else if (e.type === 'depth') sim.onDepth(e);
    else sim.onMark(e);
    if (checks) {
      for (let k = before; k < sim.fills.length; k++) {
        const f = sim.fills[k]!;
        const o = sim.orders[f.orderId - 1]!;
        if (f.ts < o.venueTs) checks.violations.push(`fill before venue: ${JSON.stringify(f)}`);
        if (f.liquidity === 'taker' && f.side === 'buy' && f.price < bestAskBefore) checks.violations.push(`taker buy ${f.price} below ${bestAskBefore}`);
        if (f.liquidity === 'taker' && f.side === 'sell' && f.price > bestBidBefore) checks.violations.push(`taker sell ${f.price} above ${bestBidBefore}`);
        if (o.timeInForce === 'GTX' && f.liquidity !== 'maker') checks.violations.push(`post-only took: ${JSON.stringify(f)}`);
        if (f.fee < 0) checks.violations.push(`negative fee ${f.fee}`);
      }
      if (i++ % 97 === 0) {
        const p = sim.position(SYM);
        const identity = sim.cash + (p.qty === 0 ? 0 : p.qty * (sim.markPrice(SYM) - p.avgPrice));
        if (Math.abs(sim.equity() - identity) > 1e-6) checks.violations.push(`equity ${sim.equity()} ≠ ${identity} at ${e.ts}`);
      }
    }
    if (e.type !== 'quote') continue;
    // the strategy sees the quote 5 ms after the exchange
    const now = e.ts + 5;
    const open = sim.openOrders(SYM);
    for (const o of open) if (now - o.submitTs > 3000) sim.cancel(o.id, now);
    if (now - lastQuote >= 1000) {
      lastQuote = now;
      if (!open.some((o) => o.side === 'buy' && o.timeInForce === 'GTX')) sim.submit({ symbol: SYM, side: 'buy', type: 'limit', price: e.bidPrice, qty: 0.01, timeInForce: 'GTX', tag: 'bid' }, now);
      if (!open.some((o) => o.side === 'sell' && o.timeInForce === 'GTX')) sim.submit({ symbol: SYM, side: 'sell', type: 'limit', price: e.askPrice, qty: 0.01, timeInForce: 'GTX', tag: 'ask' }, now);
    }
    if (now - lastLift >= 45_000) {
      lastLift = now;
      sim.submit({ symbol: SYM, side: 'buy', type: 'limit', price: e.askPrice + TICK, qty: 0.05, timeInForce: 'IOC', tag: 'lift' }, now);
    }
    if (now - lastFlat >= 20_000) {
      lastFlat = now;
      const q = sim.position(SYM).qty;
      if (q !== 0) sim.submit({ symbol: SYM, side: q > 0 ? 'sell' : 'buy', type: 'market', qty: Math.abs(q), reduceOnly: true, tag: 'flat' }, now);
    }
  }
  return sim;
}

describe('TradeSimulator on the BTCUSDT capture', () => {
  it('holds the invariants, fills both ways, and reruns byte for byte', async () => {
    const events = await load();
    const checks: Checks = { violations: [] };
    const sim = replay(events, checks);
    expect(checks.violations.slice(0, 5)).toEqual([]);
    const makers = sim.fills.filter((f) => f.liquidity === 'maker').length;
    const takers = sim.fills.length - makers;
    expect(makers, 'post-only quotes at the touch fill on a real tape').toBeGreaterThan(20);
    expect(takers, 'the lifts and flattening orders take').toBeGreaterThan(5);
    expect(sim.book(SYM).bids.length, 'the local book synced from the capture\'s snapshot').toBeGreaterThan(0);
    // PnL from the ledger: cash flow of the fills plus the position at the mark
    const p = sim.position(SYM);
    const flow = sim.fills.reduce((a, f) => a + (f.side === 'buy' ? -1 : 1) * f.price * f.qty, 0);
    const net = sim.fills.reduce((a, f) => a + (f.side === 'buy' ? 1 : -1) * f.qty, 0);
    expect(p.qty).toBeCloseTo(net, 9);
    expect(p.realizedPnl + (p.qty === 0 ? 0 : p.qty * (sim.markPrice(SYM) - p.avgPrice))).toBeCloseTo(flow + net * sim.markPrice(SYM), 6);
    const fees = sim.fills.reduce((a, f) => a + f.fee, 0);
    expect(sim.cash).toBeCloseTo(10_000 + p.realizedPnl - fees, 6);
    expect(sim.fundings, 'the capture has no mark-price stream').toEqual([]);
    // every expiry and cancel says why
    for (const o of sim.orders) if (o.status === 'EXPIRED' || o.status === 'CANCELED' || o.status === 'REJECTED') expect(o.reason).not.toBe('');

    const again = replay(events, null);
    expect(JSON.stringify(again.orders)).toBe(JSON.stringify(sim.orders));
    expect(JSON.stringify(again.fills)).toBe(JSON.stringify(sim.fills));
  }, 60_000);
});
