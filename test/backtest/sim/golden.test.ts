/**
 * Golden scenarios worked by hand, a few events each: every order type, time in force and
 * model. The expected numbers are computed in the comments from the events, not read from a run.
 */
import { describe, expect, it } from 'vitest';
import { TradeSimulator } from '../../../src/backtest/sim/simulator.js';
import { ConstantLatency, EmpiricalLatency } from '../../../src/backtest/sim/models/latency.js';
import { MakerTakerFees } from '../../../src/backtest/sim/models/fees.js';
import { BookWalkFill, TouchFill } from '../../../src/backtest/sim/models/fill.js';
import { ProbabilisticQueue, QueuePosition, RiskAverseQueue } from '../../../src/backtest/sim/models/queue.js';
import { MarkPriceFunding } from '../../../src/backtest/sim/models/funding.js';
import type { Fill, Order } from '../../../src/backtest/types.js';
import { SYM, diff, mark, quote, sim, snapshot, trade } from './events.js';

const fillsOf = (fills: readonly Fill[]) => fills.map((f) => [f.price, f.qty, f.liquidity]);

describe('assembly', () => {
  it('refuses to start without a model, naming every missing one', () => {
    expect(() => new TradeSimulator({ latency: new ConstantLatency(1), fees: new MakerTakerFees() }, { startingCash: 1 })).toThrow(
      'TradeSimulator needs a fill model (e.g. TouchFill) and a queue model (e.g. RiskAverseQueue)',
    );
    expect(() => new TradeSimulator({}, { startingCash: 1 })).toThrow(
      'TradeSimulator needs a latency model (e.g. ConstantLatency), a fee model (e.g. MakerTakerFees), a fill model (e.g. TouchFill) and a queue model (e.g. RiskAverseQueue)',
    );
    expect(() => sim(0, { funding: undefined }), 'funding is optional').not.toThrow();
  });
});

describe('market orders', () => {
  it('walk a 3-level book: buy 6 against asks 100×1, 101×2, 102×5', () => {
    const s = sim(0);
    s.onDepth(snapshot(1000, [[99, 4]], [[100, 1], [101, 2], [102, 5]]));
    const o = s.submit({ symbol: SYM, side: 'buy', type: 'market', qty: 6 }, 1000);
    expect(o.status).toBe('NEW');
    s.advanceTo(1000);
    // 1 @ 100, 2 @ 101, 3 @ 102: notional 100 + 202 + 306 = 608, average 608 / 6
    expect(fillsOf(s.fills)).toEqual([[100, 1, 'taker'], [101, 2, 'taker'], [102, 3, 'taker']]);
    expect(o.status).toBe('FILLED');
    expect(o.avgPrice).toBeCloseTo(608 / 6, 12);
    // taker 5 bps of 608 = 0.304
    const fees = s.fills.reduce((a, f) => a + f.fee, 0);
    expect(fees).toBeCloseTo(0.304, 12);
    expect(s.cash).toBeCloseTo(10_000 - 0.304, 9);
    expect(s.position(SYM)).toMatchObject({ qty: 6, realizedPnl: 0 });
    expect(s.position(SYM).avgPrice).toBeCloseTo(608 / 6, 12);
    // marked at the mid (99 + 100) / 2 = 99.5: unrealised 6 × (99.5 − 101.333…) = 597 − 608 = −11
    expect(s.equity()).toBeCloseTo(10_000 - 0.304 - 11, 9);
  });

  it('beyond the visible depth the remainder expires', () => {
    const s = sim(0);
    s.onDepth(snapshot(1000, [[99, 4]], [[100, 1], [101, 2]]));
    const o = s.submit({ symbol: SYM, side: 'buy', type: 'market', qty: 5 }, 1000);
    s.advanceTo(1000);
    expect(o).toMatchObject({ status: 'EXPIRED', filledQty: 3, reason: 'market: remainder beyond the visible liquidity' });
  });

  it('with quotes only, fill at the touch and slip beyond it (TouchFill, 1 bp per touch size, linear)', () => {
    const s = sim(0, { fill: new TouchFill({ slippageBps: 1, slippageExponent: 1 }) });
    s.onQuote(quote(1000, 99, 3, 100, 2));
    s.submit({ symbol: SYM, side: 'buy', type: 'market', qty: 4 }, 1000);
    s.advanceTo(1000);
    // 2 @ 100 (the touch), then r = 2 more = one touch size: average 100 × (1 + 1e-4 × 1 / 2) = 100.005
    expect(s.fills.map((f) => f.qty)).toEqual([2, 2]);
    expect(s.fills[0]!.price).toBe(100);
    expect(s.fills[1]!.price).toBeCloseTo(100.005, 12);
  });

  it('a market sell with no book expires, naming why', () => {
    const s = sim(0);
    const o = s.submit({ symbol: SYM, side: 'sell', type: 'market', qty: 1 }, 0);
    s.advanceTo(0);
    expect(o).toMatchObject({ status: 'EXPIRED', reason: 'no liquidity: no book for BTCUSDT yet' });
  });
});

describe('limit orders and the risk-averse queue', () => {
  it('rest, then fill entirely when a trade prints through the price', () => {
    const s = sim(0);
    s.onQuote(quote(1000, 99, 5, 100, 3));
    const o = s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 99, qty: 2 }, 1000);
    s.advanceTo(1000);
    expect(o.status).toBe('NEW');
    s.onTrade(trade(1001, 99, 1, 'sell')); // queue ahead 5 → 4
    expect(s.fills).toHaveLength(0);
    s.onTrade(trade(1002, 100, 9, 'buy')); // buyers do not meet a bid
    s.onTrade(trade(1003, 98.5, 0.1, 'sell')); // through 99: everything at 99 was taken
    expect(fillsOf(s.fills)).toEqual([[99, 2, 'maker']]);
    expect(s.fills[0]!.ts).toBe(1003);
    // maker 2 bps of 198 = 0.0396
    expect(s.fills[0]!.fee).toBeCloseTo(0.0396, 12);
    expect(o).toMatchObject({ status: 'FILLED', filledQty: 2, avgPrice: 99 });
  });

  it('fill by queue depletion: partly, then the rest', () => {
    const s = sim(0);
    s.onQuote(quote(1000, 99, 5, 100, 3));
    const o = s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 99, qty: 2 }, 1000);
    s.advanceTo(1000);
    s.onTrade(trade(1001, 99, 3, 'sell')); // ahead 5 − 3 = 2
    expect(s.fills).toHaveLength(0);
    s.onTrade(trade(1002, 99, 3, 'sell')); // ahead −1: 1 executes
    expect(fillsOf(s.fills)).toEqual([[99, 1, 'maker']]);
    expect(o.status).toBe('PARTIALLY_FILLED');
    s.onTrade(trade(1003, 99, 4, 'sell')); // at the front: min(4, 1 left) = 1
    expect(fillsOf(s.fills)).toEqual([[99, 1, 'maker'], [99, 1, 'maker']]);
    expect(o.status).toBe('FILLED');
  });

  it('a shrinking level caps the queue ahead (risk-averse: cancellations are behind unless the level is smaller than the queue)', () => {
    const s = sim(0);
    s.onQuote(quote(1000, 99, 5, 100, 3));
    s.submit({ symbol: SYM, side: 'sell', type: 'limit', price: 100, qty: 1 }, 1000);
    s.advanceTo(1000); // ahead 3
    s.onQuote(quote(1001, 99, 5, 100, 10)); // grew: ahead still 3
    s.onQuote(quote(1002, 99, 5, 100, 1.5)); // below the queue: ahead 1.5
    s.onTrade(trade(1003, 100, 2, 'buy')); // −0.5: 0.5 executes
    expect(fillsOf(s.fills)).toEqual([[100, 0.5, 'maker']]);
  });

  it('a limit that crosses takes what its limit allows and rests the rest (GTC)', () => {
    const s = sim(0);
    s.onDepth(snapshot(1000, [[99, 4]], [[100, 1], [101, 2], [102, 5]]));
    const o = s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 101, qty: 5 }, 1000);
    s.advanceTo(1000);
    expect(fillsOf(s.fills)).toEqual([[100, 1, 'taker'], [101, 2, 'taker']]);
    expect(o.status).toBe('PARTIALLY_FILLED');
    expect(s.openOrders(SYM)).toEqual([o]);
    // the recorded book still shows 100 and 101 (it never saw the order): no second fill from it
    s.onDepth(diff(1001, 101, [], [[102, 4]]));
    expect(s.book(SYM).asks, 'the diff applied').toEqual([[100, 1], [101, 2], [102, 4]]);
    expect(s.fills).toHaveLength(2);
    // first in its level: the next seller at 101 fills it
    s.onTrade(trade(1002, 101, 0.5, 'sell'));
    expect(fillsOf(s.fills).at(-1)).toEqual([101, 0.5, 'maker']);
  });

  it('the opposite best moving onto a resting order fills it', () => {
    const s = sim(0);
    s.onQuote(quote(1000, 99, 5, 100, 3));
    s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 99.5, qty: 1 }, 1000);
    s.advanceTo(1000);
    s.onQuote(quote(1001, 99, 5, 99.5, 2));
    expect(fillsOf(s.fills)).toEqual([[99.5, 1, 'maker']]);
  });

  it('depth diffs at the order\'s price move the queue', () => {
    const s = sim(0);
    s.onDepth(snapshot(1000, [[99, 5], [98, 7]], [[100, 3]]));
    s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 98, qty: 1 }, 1000);
    s.advanceTo(1000); // behind the touch: ahead 7 from the book
    s.onDepth(diff(1001, 101, [[98, 2]], [])); // shrank to 2: ahead 2
    expect(s.book(SYM).bids, 'the diff applied').toEqual([[99, 5], [98, 2]]);
    s.onTrade(trade(1002, 98, 2.5, 'sell')); // −0.5 → 0.5 executes
    expect(fillsOf(s.fills)).toEqual([[98, 0.5, 'maker']]);
  });
});

describe('the local book', () => {
  it('keeps diffs that arrive before the snapshot and replays them after it (Binance\'s sync rule)', () => {
    const s = sim(0);
    // recorded order: diffs 95–99 and 100–101 first, then the REST snapshot at lastUpdateId 100
    s.onDepth({ ...diff(990, 99, [[98, 1]], []), firstUpdateId: 95 });
    s.onDepth(diff(995, 101, [], [[100.5, 4]]));
    s.onDepth(snapshot(1000, [[99, 5], [98, 7]], [[100, 3]], 100));
    // the first diff (u 99 < 100) is stale against the snapshot, the second (U 100 ≤ 100 ≤ u 101) applies
    expect(s.book(SYM)).toMatchObject({ bids: [[99, 5], [98, 7]], asks: [[100, 3], [100.5, 4]] });
    s.onDepth(diff(1001, 102, [[99, 6]], []));
    expect(s.book(SYM).bids[0]).toEqual([99, 6]);
  });

  it('a newer quote sets the touch; older book levels in front of it are not offered', () => {
    const s = sim(0);
    s.onDepth(snapshot(1000, [[99, 5]], [[100, 1], [101, 2], [102, 5]]));
    s.onQuote(quote(1001, 99.5, 1, 101, 0.5)); // the ask at 100 is gone, by the newer quote
    expect(s.book(SYM)).toMatchObject({ askPrice: 101, askQty: 0.5, asks: [[101, 0.5], [102, 5]] });
    s.submit({ symbol: SYM, side: 'buy', type: 'market', qty: 2 }, 1001);
    s.advanceTo(1001);
    expect(fillsOf(s.fills)).toEqual([[101, 0.5, 'taker'], [102, 1.5, 'taker']]);
  });
});

describe('time in force', () => {
  const book = () => snapshot(1000, [[99, 4]], [[100, 1], [101, 1], [102, 5]]);

  it('post-only that would take expires (Binance GTX); one that would not rests and only ever makes', () => {
    const s = sim(0);
    s.onDepth(book());
    const taking = s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 100, qty: 1, timeInForce: 'GTX' }, 1000);
    const resting = s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 99.5, qty: 1, timeInForce: 'GTX' }, 1000);
    s.advanceTo(1000);
    expect(taking).toMatchObject({ status: 'EXPIRED', reason: 'post-only would take', filledQty: 0 });
    expect(resting.status).toBe('NEW');
    s.onTrade(trade(1001, 99.4, 1, 'sell'));
    expect(fillsOf(s.fills)).toEqual([[99.5, 1, 'maker']]);
  });

  it('FOK: all or nothing', () => {
    const s = sim(0);
    s.onDepth(book());
    const kill = s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 101, qty: 3, timeInForce: 'FOK' }, 1000);
    const fill = s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 101, qty: 2, timeInForce: 'FOK' }, 1000);
    s.advanceTo(1000);
    expect(kill).toMatchObject({ status: 'EXPIRED', filledQty: 0, reason: 'FOK: only 2 of 3 fillable within the limit' });
    expect(fill.status).toBe('FILLED');
    expect(fillsOf(s.fills)).toEqual([[100, 1, 'taker'], [101, 1, 'taker']]);
  });

  it('IOC: what is there now, the rest expires', () => {
    const s = sim(0);
    s.onDepth(book());
    const o = s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 101, qty: 3, timeInForce: 'IOC' }, 1000);
    s.advanceTo(1000);
    expect(o).toMatchObject({ status: 'EXPIRED', filledQty: 2, reason: 'IOC: remainder expired' });
    expect(o.avgPrice).toBe(100.5);
  });

  it('submission-time rejections name the reason', () => {
    const s = sim(0);
    const r = (req: Parameters<TradeSimulator['submit']>[0]) => s.submit(req, 0);
    expect(r({ symbol: SYM, side: 'buy', type: 'limit', qty: 1 })).toMatchObject({ status: 'REJECTED', reason: 'limit order price NaN: expected a finite number > 0' });
    expect(r({ symbol: SYM, side: 'buy', type: 'market', qty: 0 })).toMatchObject({ status: 'REJECTED', reason: 'qty 0: expected a finite number > 0' });
    expect(r({ symbol: SYM, side: 'buy', type: 'market', qty: 1, timeInForce: 'GTX' }).reason).toBe('post-only (GTX) needs a limit order');
    expect(r({ symbol: SYM, side: 'buy', type: 'market', qty: 1, timeInForce: 'GTC' }).reason).toBe('a market order does not rest: IOC or FOK');
    expect(s.openOrders()).toEqual([]);
    const only = sim(0, {}, { symbols: ['ETHUSDT'] });
    expect(only.submit({ symbol: SYM, side: 'buy', type: 'market', qty: 1 }, 0).reason).toBe('unknown symbol BTCUSDT: this simulator trades ETHUSDT');
  });
});

describe('reduce-only (Binance: refused when it could only increase, clipped to the position when it executes)', () => {
  it('refused flat or on the position\'s side; clipped to the position when larger', () => {
    const s = sim(0);
    s.onDepth(snapshot(1000, [[99, 10]], [[100, 10]]));
    expect(s.submit({ symbol: SYM, side: 'sell', type: 'market', qty: 1, reduceOnly: true }, 1000)).toMatchObject({ status: 'REJECTED', reason: 'reduce-only would increase the position' });
    s.submit({ symbol: SYM, side: 'buy', type: 'market', qty: 1 }, 1000);
    s.advanceTo(1000);
    expect(s.submit({ symbol: SYM, side: 'buy', type: 'market', qty: 1, reduceOnly: true }, 1000).status).toBe('REJECTED');
    const o = s.submit({ symbol: SYM, side: 'sell', type: 'market', qty: 3, reduceOnly: true }, 1000);
    s.advanceTo(1000);
    expect(o).toMatchObject({ status: 'EXPIRED', filledQty: 1, reason: 'reduce-only: clipped to the position' });
    expect(s.position(SYM).qty).toBe(0);
    // bought 1 @ 100, sold 1 @ 99: −1 realised
    expect(s.position(SYM).realizedPnl).toBe(-1);
  });

  it('a resting reduce-only order expires when the position closes by another order', () => {
    const s = sim(0);
    s.onDepth(snapshot(1000, [[99, 10]], [[100, 10]]));
    s.submit({ symbol: SYM, side: 'buy', type: 'market', qty: 1 }, 1000);
    s.advanceTo(1000);
    const tp = s.submit({ symbol: SYM, side: 'sell', type: 'limit', price: 105, qty: 1, reduceOnly: true }, 1000);
    s.submit({ symbol: SYM, side: 'sell', type: 'market', qty: 1 }, 1000);
    s.advanceTo(1000);
    expect(tp).toMatchObject({ status: 'EXPIRED', reason: 'reduce-only: position closed' });
  });
});

describe('latency and cancels', () => {
  it('an order reaches the venue after its latency and meets the book of that moment', () => {
    const s = sim(50);
    s.onQuote(quote(1000, 99, 5, 100, 5));
    const o = s.submit({ symbol: SYM, side: 'buy', type: 'market', qty: 1 }, 1000);
    expect(o.venueTs).toBe(1050);
    s.onQuote(quote(1020, 100, 5, 101, 5)); // the price moves before it arrives
    expect(s.fills).toHaveLength(0);
    s.onQuote(quote(1060, 100, 5, 101.5, 5)); // delivered before this event: the book of 1020
    expect(fillsOf(s.fills)).toEqual([[101, 1, 'taker']]);
    expect(s.fills[0]!.ts).toBe(1050);
  });

  it('a cancel sent before the order arrived follows it: the order rests, then is canceled, unfilled', () => {
    const s = sim(10);
    s.onQuote(quote(1000, 99, 5, 100, 5));
    const o = s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 98, qty: 1 }, 1000);
    expect(s.cancel(o.id, 1005)).toBe(true);
    expect(s.cancel(o.id, 1006), 'a cancel is already on its way').toBe(false);
    s.advanceTo(1010);
    expect(o.status).toBe('NEW');
    s.advanceTo(1015);
    expect(o).toMatchObject({ status: 'CANCELED', reason: 'canceled', updateTs: 1015 });
    expect(s.openOrders()).toEqual([]);
    expect(s.cancel(o.id, 1020), 'not open').toBe(false);
  });

  it('a cancel that arrives after the fill does nothing', () => {
    const s = sim(10);
    s.onQuote(quote(1000, 99, 5, 100, 5));
    const o = s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 99, qty: 1 }, 1000);
    s.advanceTo(1010);
    expect(s.cancel(o.id, 1011)).toBe(true); // arrives at 1021
    s.onTrade(trade(1015, 98, 1, 'sell')); // through: filled at 1015
    s.advanceTo(1030);
    expect(o).toMatchObject({ status: 'FILLED', reason: '' });
  });

  it('callbacks carry when the strategy learns of a change: venue time + response latency', () => {
    const seen: [string, number][] = [];
    const s = sim(0, { latency: new ConstantLatency(5, 7) }, { onOrder: (o, t) => seen.push([o.status, t]), onFill: (f, t) => seen.push(['fill', t]) });
    s.onQuote(quote(1000, 99, 5, 100, 5));
    s.submit({ symbol: SYM, side: 'buy', type: 'market', qty: 1 }, 1000);
    s.advanceTo(1005);
    expect(seen).toEqual([['fill', 1012], ['FILLED', 1012]]);
  });
});

describe('fees', () => {
  it('a maker rebate is a negative fee on maker fills only', () => {
    const s = sim(0, { fees: new MakerTakerFees({ makerBps: -0.5, takerBps: 4 }) });
    s.onQuote(quote(1000, 99, 5, 100, 5));
    s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 99, qty: 2 }, 1000);
    s.submit({ symbol: SYM, side: 'buy', type: 'market', qty: 1 }, 1000);
    s.advanceTo(1000);
    s.onTrade(trade(1001, 98, 1, 'sell'));
    const [taker, maker] = s.fills;
    expect(taker).toMatchObject({ liquidity: 'taker', price: 100 });
    expect(taker!.fee).toBeCloseTo(0.04, 12); // 4 bps of 100
    expect(maker).toMatchObject({ liquidity: 'maker', price: 99, qty: 2 });
    expect(maker!.fee).toBeCloseTo(-0.0099, 12); // −0.5 bps of 198
    expect(s.cash).toBeCloseTo(10_000 - 0.04 + 0.0099, 9);
  });
});

describe('funding', () => {
  it('at the announced funding time, position × mark × rate: a long pays, a short receives', () => {
    const long = sim(0);
    const short = sim(0);
    for (const [s, side] of [[long, 'buy'], [short, 'sell']] as const) {
      s.onDepth(snapshot(1000, [[59_999, 10]], [[60_001, 10]]));
      s.submit({ symbol: SYM, side, type: 'market', qty: 2 }, 1000);
      s.onMark(mark(1500, 60_000, 0.0001, 28_800_000));
      s.onMark(mark(28_799_000, 60_010, 0.0002, 28_800_000));
      s.onQuote(quote(28_800_500, 60_000, 1, 60_001, 1)); // the first event past 08:00 settles
    }
    // 2 × 60,010 × 0.0002 = 24.004 (the last mark and rate before the funding time)
    expect(long.fundings).toEqual([{ symbol: SYM, ts: 28_800_000, qty: 2, markPrice: 60_010, rate: 0.0002, amount: expect.closeTo(24.004, 9) }]);
    expect(long.position(SYM).funding).toBeCloseTo(24.004, 9);
    expect(short.fundings[0]!.amount).toBeCloseTo(-24.004, 9);
    // taker fee 5 bps of 2 × 60,001 = 60.001 (long) and of 2 × 59,999 = 59.999 (short)
    expect(long.cash).toBeCloseTo(10_000 - 60.001 - 24.004, 9);
    expect(short.cash).toBeCloseTo(10_000 - 59.999 + 24.004, 9);
    // positions are valued at the mark price, once the data has one
    expect(long.equity()).toBeCloseTo(long.cash + 2 * (60_010 - 60_001), 9);
  });

  it('no funding model, no funding', () => {
    const s = sim(0, { funding: undefined });
    s.onDepth(snapshot(1000, [[59_999, 10]], [[60_001, 10]]));
    s.submit({ symbol: SYM, side: 'buy', type: 'market', qty: 2 }, 1000);
    s.onMark(mark(1500, 60_000, 0.0001, 2000));
    s.advanceTo(3000);
    expect(s.fundings).toEqual([]);
  });
});

describe('the probabilistic queue in the simulator', () => {
  it('a fall of the level with no trade moves the order up (probabilistic) or not (risk-averse)', () => {
    const run = (queue: ProbabilisticQueue | RiskAverseQueue) => {
      const s = sim(0, { queue });
      s.onQuote(quote(1000, 99, 10, 100, 3));
      s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 99, qty: 1 }, 1000);
      s.advanceTo(1000); // ahead 10, nothing behind
      s.onQuote(quote(1001, 99, 20, 100, 3)); // 10 join behind
      s.onQuote(quote(1002, 99, 16, 100, 3)); // 4 cancel: front 10, back 10, p = 100 / 200; ahead 10 − 0.5 × 4 = 8
      s.onTrade(trade(1003, 99, 8.5, 'sell')); // probabilistic: ahead −0.5 → 0.5 fills; risk-averse: ahead 1.5
      return fillsOf(s.fills);
    };
    expect(run(new ProbabilisticQueue({ fn: 'power', n: 2 }))).toEqual([[99, 0.5, 'maker']]);
    expect(run(new RiskAverseQueue())).toEqual([]);
  });
});

describe('queue and latency models on their own', () => {
  it('ProbabilisticQueue (power 2): hftbacktest\'s expected update, by hand', () => {
    const m = new ProbabilisticQueue({ fn: 'power', n: 2 });
    const q = new QueuePosition();
    m.join(q, 4);
    m.depth(q, 4, 10); // growth joins behind: ahead 4
    expect(q.ahead).toBe(4);
    m.depth(q, 10, 8); // fall of 2, front 4, back 6: p = 36 / 52; ahead = 4 − (16/52) × 2
    expect(q.ahead).toBeCloseTo(4 - (16 / 52) * 2, 12);
    m.trade(q, 1); // ahead − 1, and the next fall of the level is net of it
    m.depth(q, 8, 7); // a fall of 1 fully explained by the trade: no change
    expect(q.ahead).toBeCloseTo(3 - (16 / 52) * 2, 12);
  });

  it('ProbabilisticQueue (log): f(x) = ln(1 + x)', () => {
    const m = new ProbabilisticQueue({ fn: 'log' });
    expect(m.prob(4, 6)).toBeCloseTo(Math.log(7) / (Math.log(7) + Math.log(5)), 12);
  });

  it('RiskAverseQueue never moves on a fall of the level above the queue', () => {
    const m = new RiskAverseQueue();
    const q = new QueuePosition();
    m.join(q, 4);
    m.depth(q, 10, 8);
    expect(q.ahead).toBe(4);
    m.join(q, NaN);
    expect(q.ahead, 'unknown level: behind everything').toBe(Infinity);
  });

  it('EmpiricalLatency draws from the excess over the rolling minimum, the same for the same seed', () => {
    const build = (seed: number) => {
      const m = new EmpiricalLatency({ entryBaseMs: 10, responseBaseMs: 5, seed });
      // the recorder's clock 1,270 ms behind: raw differences −1,270 + delay
      const delays = [0, 3, 1, 8, 2, 40, 0, 5];
      delays.forEach((d, i) => m.observe(1_000_000 + i * 10, 1_000_000 + i * 10 - 1270 + d));
      return m;
    };
    const a = build(7);
    const b = build(7);
    const draws = Array.from({ length: 50 }, () => a.entry());
    expect(Array.from({ length: 50 }, () => b.entry())).toEqual(draws);
    for (const d of draws) expect([10, 13, 11, 18, 12, 50, 15]).toContain(d);
    expect(new Set(draws).size).toBeGreaterThan(3);
    expect(build(8).entry() === draws[0] && build(9).entry() === draws[0] && build(10).entry() === draws[0]).toBe(false);
  });

  it('TouchFill never passes a limit: the remainder stops where the marginal price reaches it', () => {
    const f = new TouchFill({ slippageBps: 1, slippageExponent: 1 });
    const out = { prices: new Float64Array(4), qtys: new Float64Array(4) };
    // touch 100 × 2; limit 100.01 = 1 bp: the marginal price reaches it after one touch size (2)
    const n = f.take(10, 100.01, { dir: 1, n: 1, prices: Float64Array.of(100), qtys: Float64Array.of(2), hasDepth: false }, out);
    expect(n).toBe(2);
    expect(out.qtys[1]).toBeCloseTo(2, 9);
    expect(out.prices[1]).toBeCloseTo(100.005, 9);
    // a sell meets bids: prices fall
    const m = f.take(4, -Infinity, { dir: -1, n: 1, prices: Float64Array.of(100), qtys: Float64Array.of(2), hasDepth: false }, out);
    expect(m).toBe(2);
    expect(out.prices[1]).toBeCloseTo(99.995, 9);
  });
});

describe('bookkeeping of orders', () => {
  it('ids in submission order; openOrders includes orders on their way', () => {
    const s = sim(10);
    s.onQuote(quote(1000, 99, 5, 100, 5));
    const a = s.submit({ symbol: SYM, side: 'buy', type: 'limit', price: 98, qty: 1, tag: 'x' }, 1000);
    const b = s.submit({ symbol: 'ETHUSDT', side: 'sell', type: 'limit', price: 3000, qty: 1 }, 1000);
    expect([a.id, b.id]).toEqual([1, 2]);
    expect(s.openOrders().map((o: Order) => o.id)).toEqual([1, 2]);
    expect(s.openOrders(SYM)).toEqual([a]);
    expect(s.orders).toEqual([a, b]);
    expect(a.tag).toBe('x');
  });
});

describe('restart: a new account on the same market', () => {
  it('cash, positions, orders and fills start afresh; the book, the marks, the clock and the funding schedule are those before the first run ended', () => {
    const s = sim(0);
    s.onDepth(snapshot(1000, [[59_999, 10]], [[60_001, 10]]));
    s.submit({ symbol: SYM, side: 'buy', type: 'market', qty: 2 }, 1000);
    s.onMark(mark(1500, 60_000, 0.0001, 28_800_000));
    s.onMark(mark(28_799_000, 60_010, 0.0002, 28_800_000));
    const clocks = s.clocks();
    // the first run ends: what is on its way is delivered past the last event, and funding settles
    s.advanceTo(28_800_500);
    expect(s.fundings).toHaveLength(1);
    s.restart(clocks);
    expect([s.cash, s.position(SYM).qty, s.orders.length, s.fills.length, s.fundings.length, s.now]).toEqual([10_000, 0, 0, 0, 0, 28_799_000]);
    expect(s.markPrice(SYM), 'the mark stays').toBe(60_010);
    // the second run buys 1 before the funding time: it pays 1 × 60,010 × 0.0002 = 12.002
    const o = s.submit({ symbol: SYM, side: 'buy', type: 'market', qty: 1 }, 28_799_000);
    expect(o.id, 'order ids start again').toBe(1);
    s.onQuote(quote(28_800_500, 60_000, 1, 60_001, 1));
    expect(s.fills.map((f) => [f.price, f.qty, f.ts])).toEqual([[60_001, 1, 28_799_000]]);
    expect(s.fundings.map((f) => [f.ts, f.qty, f.amount])).toEqual([[28_800_000, 1, expect.closeTo(12.002, 9)]]);
  });

  it('the models draw again from their seeds, keeping what they learnt from the data', () => {
    const m = new EmpiricalLatency({ seed: 5, window: 64 });
    for (let i = 0; i < 64; i++) m.observe(1_000 * i, 1_000 * i + 5 + ((i * 37) % 23));
    const first = [m.entry(), m.response(), m.entry()];
    m.restart();
    expect([m.entry(), m.response(), m.entry()]).toEqual(first);
    expect(new Set(first).size, 'three different draws').toBeGreaterThan(1);
    const q = new ProbabilisticQueue({ sample: true, seed: 9 });
    const walk = () => {
      const p = new QueuePosition();
      q.join(p, 10);
      q.depth(p, 10, 30); // 20 join behind it
      const out: number[] = [];
      for (let i = 0; i < 8; i++) {
        q.depth(p, 30 - i, 29 - i);
        out.push(p.ahead);
      }
      return out;
    };
    const a = walk();
    q.restart();
    expect(walk()).toEqual(a);
    expect(walk(), 'without a restart the draws go on').not.toEqual(a);
  });
});

