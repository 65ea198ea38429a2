/**
 * A strategy of your own, written against the same interface the live driver implements
 * (`Strategy` callbacks with a `TradingContext`: clock, book, position, submit, cancel): an
 * order-flow momentum rule built from the microstructure calculators directly. Per symbol, OFI
 * summed over the last second (Cont, Kukanov & Stoikov) is scored against its last 500 values;
 * a z-score beyond ±3 while flat enters in its direction, and the position is closed when the
 * flow turns against it or after 5 seconds. Run on the bundled sample (BTCUSDT + ETHUSDT, six
 * minutes), every market order paying the spread, the book and 5 bps a side, with its headline
 * metrics printed at the end.
 *
 *   npx tsx examples/custom-strategy.ts            (or build it with esbuild, as the tests do)
 */
import { MetricsAggregator, OfiCalculator, RollingZScore, runBacktest, ConstantFeedLatency, type QuoteEvent, type Strategy, type TradingContext } from 'ofi-backtest';
import { DataReader, samplePaths } from 'ofi-backtest/io';

/** Order size per symbol, base units (about 600 USDT each in August 2024). */
const SIZE: Record<string, number> = { BTCUSDT: 0.01, ETHUSDT: 0.2 };
const ENTRY_Z = 3;
const HOLD_MS = 5_000;

class OfiMomentum implements Strategy {
  private readonly ofi = new Map<string, OfiCalculator>();
  private readonly z = new Map<string, RollingZScore>();
  private readonly opened = new Map<string, number>();
  entries = 0;

  onQuote(q: QuoteEvent, ctx: TradingContext): void {
    let ofi = this.ofi.get(q.symbol);
    let z = this.z.get(q.symbol);
    if (!ofi || !z) {
      this.ofi.set(q.symbol, (ofi = new OfiCalculator({ sum: { ms: 1000 } })));
      this.z.set(q.symbol, (z = new RollingZScore({ window: { events: 500 }, minPeriods: 100 })));
    }
    const flow = ofi.update(q);
    const score = flow === null ? null : z.update(flow);
    if (score === null || ctx.openOrders(q.symbol).length > 0) return;
    const pos = ctx.position(q.symbol).qty;
    if (pos === 0 && Math.abs(score) > ENTRY_Z) {
      ctx.submit({ symbol: q.symbol, side: score > 0 ? 'buy' : 'sell', type: 'market', qty: SIZE[q.symbol] ?? 0.01, tag: 'ofi-momentum' });
      this.opened.set(q.symbol, q.ts);
      this.entries++;
    } else if (pos !== 0 && (Math.sign(score) === -Math.sign(pos) || q.ts - (this.opened.get(q.symbol) ?? q.ts) >= HOLD_MS)) {
      ctx.submit({ symbol: q.symbol, side: pos > 0 ? 'sell' : 'buy', type: 'market', qty: Math.abs(pos), reduceOnly: true, tag: 'exit' });
    }
  }
}

const strategy = new OfiMomentum();
const metrics = new MetricsAggregator({ startValue: 10_000 });
const reader = await DataReader.open(samplePaths());
const result = await runBacktest({
  stream: reader.chunks(),
  strategy,
  feed: new ConstantFeedLatency(2), // the strategy sees each event 2 ms after the exchange made it
  config: { backtest: { starting_cash: 10_000, latency_ms: 10, taker_bps: 5 } },
  seed: 1,
  hooks: {
    onEquity: (ts, equity, cash, gross) => metrics.onEquity(ts, equity, cash, gross),
    onFill: (fill, mode) => metrics.onFill(fill, mode),
    onMark: (symbol, ts, mark) => metrics.onMark(symbol, ts, mark),
  },
});
const m = metrics.result();
const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(3)}%`);
console.log(`events: ${result.stats.events}, entries: ${strategy.entries}, orders: ${result.orders.length}, fills: ${result.fills.length}`);
const gross = result.positions.reduce((s, p) => s + p.realizedPnl, 0);
console.log(`trades: ${m.closedTrades} closed, win rate ${pct(m.winRate)} after fees; PnL ${gross.toFixed(2)} USDT before fees of ${m.totalFees.toFixed(2)}`);
console.log(`equity ${m.startValue?.toFixed(2)} → ${m.endValue?.toFixed(2)} (${pct(m.totalReturn)}), max drawdown ${pct(m.maxDrawdown)}, buy and hold ${pct(m.benchmarkReturn)}`);
