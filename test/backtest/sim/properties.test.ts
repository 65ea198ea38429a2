/**
 * Accounting and fill properties over random event streams and random orders (fast-check):
 * equity is cash plus position value at every step; PnL recomputed from the fills ledger equals
 * the reported PnL; fees are never negative unless a rebate is configured (and then only on
 * maker fills); no fill before its order reached the venue; a taker never fills at a price better
 * than the book offered; a post-only order never takes; the same inputs and seed give the same
 * orders and fills, byte for byte.
 *
 * The test keeps its own view of the market (the last quote, or its own book from the depth
 * events) and its own ledger arithmetic; it never asks the simulator what the book was.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TradeSimulator, type SimulatorModels } from '../../../src/backtest/sim/simulator.js';
import { ConstantLatency, EmpiricalLatency } from '../../../src/backtest/sim/models/latency.js';
import { MakerTakerFees } from '../../../src/backtest/sim/models/fees.js';
import { BookWalkFill, TouchFill } from '../../../src/backtest/sim/models/fill.js';
import { ProbabilisticQueue, RiskAverseQueue } from '../../../src/backtest/sim/models/queue.js';
import { MarkPriceFunding } from '../../../src/backtest/sim/models/funding.js';
import type { OrderRequest, TimeInForce } from '../../../src/backtest/types.js';
import { SYM, diff, mark, quote, snapshot, trade } from './events.js';

const TICK = 0.5;

type Step =
  | { k: 'quote'; dt: number; move: number; spread: number; bq: number; aq: number }
  | { k: 'depth'; dt: number; side: 'bid' | 'ask'; level: number; qty: number; move: number }
  | { k: 'trade'; dt: number; off: number; qty: number; side: 'buy' | 'sell' }
  | { k: 'mark'; dt: number; off: number; rate: number; inMs: number }
  | { k: 'submit'; side: 'buy' | 'sell'; market: boolean; off: number; qty: number; tif: TimeInForce; reduceOnly: boolean }
  | { k: 'cancel'; pick: number }
  | { k: 'advance'; dt: number };

const qty = fc.integer({ min: 1, max: 40 }).map((n) => n / 10);
const dt = fc.integer({ min: 0, max: 40 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('quote' as const), dt, move: fc.integer({ min: -2, max: 2 }), spread: fc.integer({ min: 1, max: 3 }), bq: qty, aq: qty }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('depth' as const), dt, side: fc.constantFrom('bid' as const, 'ask' as const), level: fc.integer({ min: 0, max: 4 }), qty: fc.oneof(qty, fc.constant(0)), move: fc.integer({ min: -1, max: 1 }) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('trade' as const), dt, off: fc.integer({ min: -3, max: 3 }), qty, side: fc.constantFrom('buy' as const, 'sell' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('mark' as const), dt, off: fc.integer({ min: -2, max: 2 }), rate: fc.integer({ min: -5, max: 5 }).map((r) => r / 10_000), inMs: fc.integer({ min: 0, max: 200 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('submit' as const),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      market: fc.boolean(),
      off: fc.integer({ min: -4, max: 4 }),
      qty,
      tif: fc.constantFrom<TimeInForce>('GTC', 'IOC', 'FOK', 'GTX'),
      reduceOnly: fc.constantFrom(false, false, false, true),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('advance' as const), dt }) },
);

interface Setup {
  depth: boolean;
  latency: number;
  empirical: boolean;
  makerBps: number;
  touch: boolean;
  prob: boolean;
  seed: number;
}
/** Long enough streams that orders rest, fill, and see funding (fast-check's default size keeps arrays near ten). */
const steps = fc.array(step, { minLength: 20, maxLength: 150 });

const setup: fc.Arbitrary<Setup> = fc.record({
  depth: fc.boolean(),
  latency: fc.integer({ min: 0, max: 30 }),
  empirical: fc.boolean(),
  makerBps: fc.constantFrom(2, 0, -0.5),
  touch: fc.boolean(),
  prob: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1000 }),
});

function modelsOf(s: Setup): SimulatorModels {
  return {
    latency: s.empirical ? new EmpiricalLatency({ entryBaseMs: s.latency, seed: s.seed }) : new ConstantLatency(s.latency),
    fees: new MakerTakerFees({ makerBps: s.makerBps, takerBps: 5 }),
    fill: s.touch ? new TouchFill() : new BookWalkFill(),
    queue: s.prob ? new ProbabilisticQueue({ sample: s.seed % 2 === 0, seed: s.seed }) : new RiskAverseQueue(),
    funding: new MarkPriceFunding(),
  };
}

/** The test's own market: a quote, or a book of levels from the depth events. */
class Market {
  bid = NaN;
  ask = NaN;
  markPrice = NaN;
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();
  constructor(readonly depth: boolean) {}
  bestBid(): number {
    return this.depth ? Math.max(...[...this.bids.keys()], -Infinity) : this.bid;
  }
  bestAsk(): number {
    return this.depth ? Math.min(...[...this.asks.keys()], Infinity) : this.ask;
  }
  last = NaN;
  /** The simulator's documented rule: mark price, else mid, else last print, else the one side left. */
  mark(): number {
    if (this.markPrice === this.markPrice) return this.markPrice;
    const b = this.bestBid();
    const a = this.bestAsk();
    if (Number.isFinite(b) && Number.isFinite(a)) return (b + a) / 2;
    if (this.last === this.last) return this.last;
    return Number.isFinite(b) ? b : Number.isFinite(a) ? a : NaN;
  }
}

/** Drive one scenario, checking the per-step properties; returns the simulator. */
function run(s: Setup, steps: readonly Step[], check: boolean): TradeSimulator {
  const sim = new TradeSimulator(modelsOf(s), { startingCash: 1000 });
  const m = new Market(s.depth);
  let t = 1_000_000;
  let mid = 100;
  let u = 10;
  let fundingAt = NaN;
  if (s.depth) {
    const ev = snapshot(t, [1, 2, 3, 4, 5].map((i) => [mid - i * TICK, 2]), [1, 2, 3, 4, 5].map((i) => [mid + i * TICK, 2]), u);
    ev.bidPrices.forEach((p, i) => m.bids.set(p, ev.bidQtys[i]!));
    ev.askPrices.forEach((p, i) => m.asks.set(p, ev.askQtys[i]!));
    sim.onDepth(ev);
  } else {
    m.bid = mid - TICK;
    m.ask = mid + TICK;
    sim.onQuote(quote(t, m.bid, 2, m.ask, 2));
  }
  for (const st of steps) {
    const bestBid = m.bestBid();
    const bestAsk = m.bestAsk();
    const before = sim.fills.length;
    switch (st.k) {
      case 'quote':
        if (s.depth) break;
        t += st.dt;
        mid += st.move * TICK;
        m.bid = mid - (st.spread * TICK) / 2 - (st.spread % 2 === 1 ? 0 : 0);
        m.bid = Math.round(m.bid / TICK) * TICK;
        m.ask = m.bid + st.spread * TICK;
        sim.onQuote(quote(t, m.bid, st.bq, m.ask, st.aq));
        break;
      case 'depth': {
        if (!s.depth) break;
        t += st.dt;
        const side = st.side === 'bid' ? m.bids : m.asks;
        const best = st.side === 'bid' ? bestBid : bestAsk;
        const dir = st.side === 'bid' ? -1 : 1;
        let price = (Number.isFinite(best) ? best : mid) + dir * st.level * TICK + st.move * TICK;
        // keep the book uncrossed, as the venue's is
        if (st.side === 'bid' && price >= bestAsk) price = bestAsk - TICK;
        if (st.side === 'ask' && price <= bestBid) price = bestBid + TICK;
        if (st.qty === 0) side.delete(price);
        else side.set(price, st.qty);
        u++;
        sim.onDepth(diff(t, u, st.side === 'bid' ? [[price, st.qty]] : [], st.side === 'ask' ? [[price, st.qty]] : []));
        break;
      }
      case 'trade':
        t += st.dt;
        m.last = mid + st.off * TICK;
        sim.onTrade(trade(t, m.last, st.qty, st.side));
        break;
      case 'mark':
        t += st.dt;
        m.markPrice = mid + st.off * TICK;
        if (!(fundingAt > t)) fundingAt = t + st.inMs;
        sim.onMark(mark(t, m.markPrice, st.rate, fundingAt));
        break;
      case 'submit': {
        const ref = st.side === 'buy' ? bestBid : bestAsk;
        const req: OrderRequest = st.market
          ? { symbol: SYM, side: st.side, type: 'market', qty: st.qty, timeInForce: st.tif === 'FOK' ? 'FOK' : 'IOC', reduceOnly: st.reduceOnly }
          : { symbol: SYM, side: st.side, type: 'limit', qty: st.qty, price: (Number.isFinite(ref) ? ref : mid) + st.off * TICK, timeInForce: st.tif, reduceOnly: st.reduceOnly };
        sim.submit(req, t);
        break;
      }
      case 'cancel':
        if (sim.orders.length > 0) sim.cancel(sim.orders[st.pick % sim.orders.length]!.id, t);
        break;
      case 'advance':
        t += st.dt;
        sim.advanceTo(t);
        break;
    }
    if (!check) continue;
    for (let i = before; i < sim.fills.length; i++) {
      const f = sim.fills[i]!;
      const o = sim.orders[f.orderId - 1]!;
      expect(f.ts, 'no fill before the order reached the venue').toBeGreaterThanOrEqual(o.venueTs);
      if (f.liquidity === 'taker') {
        // arrivals in this step met the book as it stood before the step's event
        if (f.side === 'buy') expect(f.price, 'a taker buy never pays less than the best ask offered').toBeGreaterThanOrEqual(bestAsk);
        else expect(f.price, 'a taker sell never gets more than the best bid offered').toBeLessThanOrEqual(bestBid);
        if (o.type === 'limit') expect(o.side === 'buy' ? f.price <= o.price : f.price >= o.price, 'within the limit').toBe(true);
      } else expect(f.price, 'makers fill at their own price').toBe(o.price);
      if (o.timeInForce === 'GTX') expect(f.liquidity, 'post-only never takes').toBe('maker');
      if (s.makerBps >= 0) expect(f.fee, 'fees are never negative without a rebate').toBeGreaterThanOrEqual(0);
      else if (f.fee < 0) expect(f.liquidity, 'only makers get the rebate').toBe('maker');
    }
    // equity = cash + position value at the test's own mark
    const p = sim.position(SYM);
    const value = p.qty === 0 ? 0 : p.qty * (m.mark() - p.avgPrice);
    expect(sim.equity()).toBeCloseTo(sim.cash + value, 6);
    // cash = start + realised − fees − funding, each from its ledger
    const fees = sim.fills.reduce((a, f) => a + f.fee, 0);
    const funding = sim.fundings.reduce((a, f) => a + f.amount, 0);
    expect(sim.cash).toBeCloseTo(1000 + p.realizedPnl - fees - funding, 6);
    expect(fundingAt !== fundingAt || sim.fundings.every((f) => f.ts <= t)).toBe(true);
  }
  return sim;
}

/** Realised PnL from the fills alone, average-cost, written independently of `account.ts`. */
function realizedFromFills(fills: readonly { side: string; price: number; qty: number }[]): { qty: number; realized: number; cost: number } {
  let pos = 0;
  let avg = 0;
  let realized = 0;
  for (const f of fills) {
    const d = f.side === 'buy' ? f.qty : -f.qty;
    if (pos === 0 || Math.sign(pos) === Math.sign(d)) {
      avg = (Math.abs(pos) * avg + f.qty * f.price) / (Math.abs(pos) + f.qty);
      pos += d;
    } else {
      const c = Math.min(Math.abs(pos), f.qty);
      realized += c * (f.price - avg) * Math.sign(pos);
      const left = f.qty - c;
      pos += Math.sign(d) * c;
      if (Math.abs(pos) < 1e-9) pos = 0;
      if (left > 1e-12) {
        pos = Math.sign(d) * left;
        avg = f.price;
      }
    }
  }
  const cost = fills.reduce((a, f) => a + (f.side === 'buy' ? -1 : 1) * f.price * f.qty, 0);
  return { qty: pos, realized, cost };
}

describe('TradeSimulator properties', () => {
  it('per-step invariants hold over random streams and orders', () => {
    fc.assert(
      fc.property(setup, steps, (s, steps) => {
        run(s, steps, true);
      }),
      { numRuns: 300 },
    );
  });

  it('PnL from the fills ledger equals the reported PnL (average cost, and cash flow plus position at the mark)', () => {
    fc.assert(
      fc.property(setup, steps, (s, steps) => {
        const sim = run(s, steps, false);
        const p = sim.position(SYM);
        const r = realizedFromFills(sim.fills);
        expect(p.qty).toBeCloseTo(r.qty, 9);
        expect(p.realizedPnl).toBeCloseTo(r.realized, 6);
        // total PnL two ways: realised + unrealised = cash flow of the fills + position × mark
        const mk = sim.markPrice(SYM);
        if (p.qty !== 0) expect(p.realizedPnl + p.qty * (mk - p.avgPrice)).toBeCloseTo(r.cost + r.qty * mk, 6);
        else expect(p.realizedPnl).toBeCloseTo(r.cost, 6);
        // every order's filled quantity is the sum of its fills, and FILLED means all of it
        const byOrder = new Map<number, number>();
        for (const f of sim.fills) byOrder.set(f.orderId, (byOrder.get(f.orderId) ?? 0) + f.qty);
        for (const o of sim.orders) {
          expect(o.filledQty).toBeCloseTo(byOrder.get(o.id) ?? 0, 9);
          expect(o.filledQty).toBeLessThanOrEqual(o.qty);
          if (o.status === 'FILLED') expect(o.filledQty).toBe(o.qty);
          if (o.status === 'REJECTED' || o.status === 'EXPIRED' || o.status === 'CANCELED') expect(o.reason.length, `${o.status} says why`).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the same inputs and seed give byte-identical orders and fills', () => {
    fc.assert(
      fc.property(setup, steps, (s, steps) => {
        const a = run({ ...s, empirical: true, prob: true }, steps, false);
        const b = run({ ...s, empirical: true, prob: true }, steps, false);
        expect(JSON.stringify(b.orders)).toBe(JSON.stringify(a.orders));
        expect(JSON.stringify(b.fills)).toBe(JSON.stringify(a.fills));
        expect(JSON.stringify(b.fundings)).toBe(JSON.stringify(a.fundings));
      }),
      { numRuns: 100 },
    );
  });
});

describe('the generated scenarios exercise the simulator', () => {
  it('fills of both kinds, post-only makers, partial fills, cancels, expiries and funding all occur', () => {
    const seen = { taker: 0, maker: 0, gtxMaker: 0, partial: 0, canceled: 0, expired: 0, rejected: 0, funding: 0, depthMaker: 0, quoteMaker: 0 };
    fc.assert(
      fc.property(setup, steps, (s, steps) => {
        const sim = run(s, steps, false);
        for (const f of sim.fills) {
          seen[f.liquidity]++;
          if (f.liquidity === 'maker') seen[s.depth ? 'depthMaker' : 'quoteMaker']++;
          if (f.liquidity === 'maker' && sim.orders[f.orderId - 1]!.timeInForce === 'GTX') seen.gtxMaker++;
        }
        for (const o of sim.orders) {
          if (o.filledQty > 0 && o.filledQty < o.qty) seen.partial++;
          if (o.status === 'CANCELED') seen.canceled++;
          if (o.status === 'EXPIRED') seen.expired++;
          if (o.status === 'REJECTED') seen.rejected++;
        }
        seen.funding += sim.fundings.length;
      }),
      { numRuns: 300, seed: 42 },
    );
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(10);
  });
});
