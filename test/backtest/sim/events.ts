/**
 * Small market events for the simulator's tests, in the library's event shapes. Mark events
 * follow Binance's documented `markPriceUpdate` example (no sample of that stream exists in
 * ../shared/data): `{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000",
 * "i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}`.
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Mark-Price-Stream
 */
import type { DepthEvent, MarkEvent, QuoteEvent, TradeEvent } from '../../../src/core/events.js';
import { ConstantLatency } from '../../../src/backtest/sim/models/latency.js';
import { MakerTakerFees } from '../../../src/backtest/sim/models/fees.js';
import { BookWalkFill } from '../../../src/backtest/sim/models/fill.js';
import { RiskAverseQueue } from '../../../src/backtest/sim/models/queue.js';
import { MarkPriceFunding } from '../../../src/backtest/sim/models/funding.js';
import { TradeSimulator, type SimulatorModels, type SimulatorOptions } from '../../../src/backtest/sim/simulator.js';

export const SYM = 'BTCUSDT';

export function quote(ts: number, bidPrice: number, bidQty: number, askPrice: number, askQty: number, symbol = SYM): QuoteEvent {
  return { type: 'quote', symbol, ts, recvTs: ts, bidPrice, bidQty, askPrice, askQty, updateId: ts };
}

export function trade(ts: number, price: number, qty: number, side: 'buy' | 'sell', symbol = SYM): TradeEvent {
  return { type: 'trade', symbol, ts, recvTs: ts, price, qty, side, id: ts, firstId: ts, lastId: ts, printKind: 'MARKET' };
}

/** A snapshot with levels `[price, qty]`, best first. */
export function snapshot(ts: number, bids: [number, number][], asks: [number, number][], lastUpdateId = 100, symbol = SYM): DepthEvent {
  return {
    type: 'depth',
    symbol,
    ts,
    recvTs: ts,
    isSnapshot: true,
    firstUpdateId: NaN,
    lastUpdateId,
    prevUpdateId: NaN,
    bidPrices: bids.map((l) => l[0]),
    bidQtys: bids.map((l) => l[1]),
    askPrices: asks.map((l) => l[0]),
    askQtys: asks.map((l) => l[1]),
  };
}

/** A futures diff with last update id `u` (`U = pu = u − 1`): after a snapshot with `lastUpdateId` L, diffs `L + 1`, `L + 2`, … chain on. */
export function diff(ts: number, u: number, bids: [number, number][], asks: [number, number][], symbol = SYM): DepthEvent {
  return {
    type: 'depth',
    symbol,
    ts,
    recvTs: ts,
    isSnapshot: false,
    firstUpdateId: u - 1,
    lastUpdateId: u,
    prevUpdateId: u - 1,
    bidPrices: bids.map((l) => l[0]),
    bidQtys: bids.map((l) => l[1]),
    askPrices: asks.map((l) => l[0]),
    askQtys: asks.map((l) => l[1]),
  };
}

export function mark(ts: number, markPrice: number, fundingRate: number, nextFundingTime: number, symbol = SYM): MarkEvent {
  return { type: 'mark', symbol, ts, recvTs: ts, markPrice, indexPrice: markPrice, fundingRate, nextFundingTime };
}

/** A simulator with given latency (ms), default fees (2 / 5 bps), book walk, risk-averse queue and funding, unless overridden. */
export function sim(latencyMs = 0, models: Partial<SimulatorModels> = {}, options: Partial<SimulatorOptions> = {}): TradeSimulator {
  return new TradeSimulator(
    { latency: new ConstantLatency(latencyMs), fees: new MakerTakerFees(), fill: new BookWalkFill(), queue: new RiskAverseQueue(), funding: new MarkPriceFunding(), ...models },
    { startingCash: 10_000, ...options },
  );
}
