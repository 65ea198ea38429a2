/**
 * MetricsAggregator: golden values worked by hand (a five-trade ledger with adds, FIFO partial
 * exits and a flip; a six-sample equity curve with an intra-bin trough and an empty bin), and
 * properties checked against independent computations (a cash-flow count of PnL, a zero-crossing
 * count of round trips, a brute-force pandas-style resample with simple-statistics' std).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { MetricsAggregator, MS_PER_YEAR, type RoundTrip } from '../../src/backtest/metrics.js';
import type { Fill, OrderSide } from '../../src/backtest/types.js';

const T0 = Date.UTC(2024, 7, 8, 23, 0, 0);
const S = 1000;
let nextOrder = 1;
function fill(side: OrderSide, qty: number, price: number, fee: number, atSec: number, tag = 'buy', symbol = 'BTCUSDT'): Fill {
  return { orderId: nextOrder++, symbol, side, price, qty, liquidity: 'taker', fee, ts: T0 + atSec * S, tag };
}

/**
 * The five round trips, by hand:
 *  T1 long : buy 1 @100 (fee .10), sell 1 @110 (fee .11)               gross +10, fees .21, net  9.79, 60 s
 *  T2 short: sell 2 @110 (.22), buy 2 @115 (.23)                        gross −10, fees .45, net −10.45, 60 s
 *  T3 long : buy 1 @100 (.10), buy 1 @104 (.104), sell 1 @106 (.106) — FIFO against the @100 lot: +6 —,
 *            sell 1 @102 (.102) — against the @104 lot: −2 —              gross  +4, fees .412, net 3.588, 180 s
 *  T4 long : buy 1 @100 (.10), then sell 3 @99 (fee .297) flips: 1 closes T4 (fee share .099)
 *                                                                        gross  −1, fees .199, net −1.199, 60 s
 *  T5 short: the other 2 @99 (fee share .198), buy 2 @97 (.194)         gross  +4, fees .392, net 3.608, 60 s
 */
function fiveTrades(): Fill[] {
  return [
    fill('buy', 1, 100, 0.1, 0, 'strong_buy'),
    fill('sell', 1, 110, 0.11, 60, 'exit'),
    fill('sell', 2, 110, 0.22, 120, 'strong_sell'),
    fill('buy', 2, 115, 0.23, 180, 'exit'),
    fill('buy', 1, 100, 0.1, 240, 'buy'),
    fill('buy', 1, 104, 0.104, 300, 'buy'),
    fill('sell', 1, 106, 0.106, 360, 'exit'),
    fill('sell', 1, 102, 0.102, 420, 'exit'),
    fill('buy', 1, 100, 0.1, 480, 'buy'),
    fill('sell', 3, 99, 0.297, 540, 'sell'),
    fill('buy', 2, 97, 0.194, 600, 'exit'),
  ];
}

describe('MetricsAggregator: a five-trade ledger by hand', () => {
  const trips: RoundTrip[] = [];
  const m = new MetricsAggregator({ onTrade: (t) => trips.push(t) });
  m.onEquity(T0, 1000, 1000, 0);
  for (const f of fiveTrades()) m.onFill(f, f.ts < T0 + 200 * S ? 'normal' : 'active');
  m.onEquity(T0 + 600 * S, 1005.337, 1005.337, 0);
  const r = m.result();

  it('cuts the ledger into five round trips, the flip in two', () => {
    expect(trips.map((t) => [t.direction, t.status])).toEqual([
      ['long', 'closed'],
      ['short', 'closed'],
      ['long', 'closed'],
      ['long', 'closed'],
      ['short', 'closed'],
    ]);
    expect(trips.map((t) => t.pnl).map((x) => +x.toFixed(9))).toEqual([9.79, -10.45, 3.588, -1.199, 3.608]);
    expect(trips.map((t) => +t.fees.toFixed(9))).toEqual([0.21, 0.45, 0.412, 0.199, 0.392]);
    expect(trips.map((t) => t.durationMs / S)).toEqual([60, 60, 180, 60, 60]);
  });

  it('matches partial exits first in, first out', () => {
    const t3 = trips[2]!;
    expect(t3.entryQty).toBe(2);
    expect(t3.entryPrice).toBeCloseTo(102, 12); // (100 + 104) / 2
    expect(t3.exitPrice).toBeCloseTo(104, 12); // (106 + 102) / 2
    expect(t3.grossPnl).toBeCloseTo(4, 12); // (106 − 100) + (102 − 104)
    expect(t3.holdingMs).toBe(120 * S); // lot @100 held 240→360 s, lot @104 300→420 s
  });

  it('gives the trade statistics', () => {
    expect(r.totalTrades).toBe(5);
    expect(r.closedTrades).toBe(5);
    expect(r.openTrades).toBe(0);
    expect(r.winRate).toBe(0.6); // 3 winners of 5
    expect(r.profitFactor).toBeCloseTo(16.986 / 11.649, 12); // (9.79 + 3.588 + 3.608) / (10.45 + 1.199)
    expect(r.expectancy).toBeCloseTo(5.337 / 5, 12);
    expect(r.bestTrade).toMatchObject({ id: 1, durationMs: 60 * S });
    expect(r.bestTrade!.pnl).toBeCloseTo(9.79, 12);
    expect(r.worstTrade).toMatchObject({ id: 2, durationMs: 60 * S });
    expect(r.worstTrade!.pnl).toBeCloseTo(-10.45, 12);
    expect(r.avgWinningTrade).toBeCloseTo(16.986 / 3, 12);
    expect(r.avgLosingTrade).toBeCloseTo(-11.649 / 2, 12);
    expect(r.avgWinningTradeDurationMs).toBe(100 * S); // (60 + 180 + 60) / 3
    expect(r.avgLosingTradeDurationMs).toBe(60 * S);
    expect(r.totalFees).toBeCloseTo(1.663, 12);
    expect(r.tradePnl).toBeCloseTo(5.337, 12);
    // traded notional: 100+110+220+230+100+104+106+102+100+297+194 = 1663
    expect(r.volume).toBeCloseTo(1663, 9);
    expect(r.turnover).toBeCloseTo(1.663, 12);
  });

  it('agrees with a cash-flow count of the same ledger', () => {
    let cash = 0;
    let fees = 0;
    for (const f of fiveTrades()) {
      cash += (f.side === 'sell' ? 1 : -1) * f.qty * f.price;
      fees += f.fee;
    }
    expect(r.tradePnl).toBeCloseTo(cash - fees, 9);
    expect(r.totalFees).toBeCloseTo(fees, 12);
  });

  it('layers the round trips; each layer sums to the totals', () => {
    const l = m.layered();
    expect(Object.keys(l.bySignal)).toEqual(['buy', 'sell', 'strong_buy', 'strong_sell']);
    expect(l.bySignal.buy!.trades).toBe(2); // T3 and T4 opened on 'buy'
    expect(l.bySignal.sell!.trades).toBe(1); // T5 opened by the flip's 'sell' fill
    expect(Object.keys(l.byMode)).toEqual(['active', 'normal']);
    expect(l.byHour['23']!.trades).toBe(5);
    for (const layer of [l.bySymbol, l.byMode, l.byHour, l.bySignal]) {
      const groups = Object.values(layer);
      expect(groups.reduce((a, g) => a + g.trades, 0)).toBe(5);
      expect(groups.reduce((a, g) => a + g.pnl, 0)).toBeCloseTo(r.tradePnl, 9);
      expect(groups.reduce((a, g) => a + g.fees, 0)).toBeCloseTo(r.totalFees, 12);
    }
  });
});

describe('MetricsAggregator: open round trips', () => {
  it('marks an open round trip at the latest mid and keeps it out of the win rate', () => {
    const m = new MetricsAggregator();
    m.onEquity(T0, 1000, 1000, 0);
    m.onFill(fill('buy', 2, 100, 0.2, 1));
    m.onFill(fill('sell', 1, 103, 0.1, 2));
    m.onMark('BTCUSDT', T0 + 3 * S, 101);
    m.onEquity(T0 + 3 * S, 1000 + 3 + 1 - 0.3, 1000 - 200 + 103 - 0.3, 101);
    const r = m.result();
    expect(r.openTrades).toBe(1);
    expect(r.closedTrades).toBe(0);
    expect(r.winRate).toBeNull();
    // realised (103 − 100) on the first lot, the second lot marked at 101: +1, fees .3
    expect(r.openTradePnl).toBeCloseTo(3.7, 12);
    expect(r.tradePnl).toBeCloseTo(r.endValue! - r.startValue!, 9);
    expect(r.maxGrossExposure).toBe(101);
  });
});

describe('MetricsAggregator: an equity curve by hand (1-day returns)', () => {
  const D = 86_400_000;
  const day0 = Date.UTC(2024, 0, 1);
  // day:      0    1    2 (96 then 99)   3      4 (no sample)   5
  // equity: 100  110       99         108.9       108.9       119.79
  const samples: [number, number][] = [
    [0, 100],
    [1, 110],
    [2, 96],
    [2.5, 99],
    [3, 108.9],
    [5, 119.79],
  ];
  const m = new MetricsAggregator({ returnsIntervalMs: D });
  for (const [d, v] of samples) m.onEquity(day0 + d * D, v, v, 0);
  const r = m.result();
  const P = 365;
  // returns day to day: +10%, −10%, +10%, 0 (the empty day), +10%
  const rets = [0.1, -0.1, 0.1, 0, 0.1];

  it('drawdown and its duration', () => {
    expect(r.maxDrawdown).toBeCloseTo(14 / 110, 12); // peak 110 (day 1) to the trough 96 inside day 2
    expect(r.maxDrawdownValue).toBeCloseTo(14, 12);
    expect(r.maxDrawdownDurationMs).toBe(4 * D); // under 110 from day 1 until 119.79 on day 5
    expect(r.maxDrawdownPeak).toBe('2024-01-02T00:00:00.000Z');
    expect(r.maxDrawdownTrough).toBe('2024-01-03T00:00:00.000Z');
    expect(r.maxDrawdownRecovery).toBe('2024-01-06T00:00:00.000Z');
  });

  it('Sharpe, Sortino, Omega, Calmar by hand', () => {
    expect(r.returnsCount).toBe(5);
    expect(r.periodsPerYear).toBe(P);
    // mean .04; deviations .06 −.14 .06 −.04 .06 → Σd² = .032; sample variance .008
    expect(r.sharpe).toBeCloseTo((0.04 / Math.sqrt(0.008)) * Math.sqrt(P), 9); // = √(365/5)
    expect(r.sharpe).toBeCloseTo(Math.sqrt(365 / 5), 9);
    // downside deviation √(0.01 / 5)
    expect(r.sortino).toBeCloseTo((0.04 / Math.sqrt(0.01 / 5)) * Math.sqrt(P), 9);
    expect(r.omega).toBeCloseTo(0.3 / 0.1, 12);
    expect(r.totalReturn).toBeCloseTo(0.1979, 12); // 1.1 · 0.9 · 1.1 · 1 · 1.1
    const cagr = Math.pow(1.1979, 365 / 5) - 1;
    expect(r.annualReturn! / cagr).toBeCloseTo(1, 9);
    expect(r.calmar! / (cagr / (14 / 110))).toBeCloseTo(1, 9);
  });

  it('agrees with simple-statistics on the same returns', () => {
    expect(r.sharpe).toBeCloseTo((mean(rets) / sampleStandardDeviation(rets)) * Math.sqrt(P), 9);
  });

  it('period, start and end', () => {
    expect(r.start).toBe('2024-01-01T00:00:00.000Z');
    expect(r.end).toBe('2024-01-06T00:00:00.000Z');
    expect(r.periodMs).toBe(5 * D);
    expect(r.startValue).toBe(100);
    expect(r.endValue).toBe(119.79);
  });
});

/** Equal to 1e-9 relative, or 1e-12 absolute near 0. */
function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) + 1e-12;
}

describe('MetricsAggregator: properties', () => {
  it('round trips = zero crossings; closed PnL = cash flow − fees when flat; fees add up', () => {
    const arbFill = fc.record({ buy: fc.boolean(), qty: fc.integer({ min: 1, max: 5 }), price: fc.integer({ min: 90, max: 110 }), fee: fc.integer({ min: 0, max: 20 }) });
    fc.assert(
      fc.property(fc.array(arbFill, { minLength: 1, maxLength: 60 }), (raw) => {
        const fills = raw.map((x, i) => fill(x.buy ? 'buy' : 'sell', x.qty, x.price, x.fee / 100, i));
        // close whatever is open, so the ledger ends flat
        let pos = 0;
        for (const f of fills) pos += f.side === 'buy' ? f.qty : -f.qty;
        if (pos !== 0) fills.push(fill(pos > 0 ? 'sell' : 'buy', Math.abs(pos), 100, 0, fills.length));
        // independent count: a round trip opens each time the position leaves 0 or crosses it
        let p = 0;
        let opened = 0;
        let cash = 0;
        let fees = 0;
        for (const f of fills) {
          const q = f.side === 'buy' ? f.qty : -f.qty;
          if (p === 0 || Math.sign(p + q) === -Math.sign(p)) opened++;
          p += q;
          cash -= q * f.price;
          fees += f.fee;
        }
        const m = new MetricsAggregator();
        for (const f of fills) m.onFill(f);
        const r = m.result();
        expect(r.closedTrades).toBe(opened);
        expect(r.openTrades).toBe(0);
        expect(r.tradePnl).toBeCloseTo(cash - fees, 6);
        expect(r.totalFees).toBeCloseTo(fees, 9);
        const layered = Object.values(m.layered().bySymbol);
        expect(layered.reduce((a, g) => a + g.fees, 0)).toBeCloseTo(fees, 9);
      }),
      { numRuns: 300 },
    );
  });

  it('Sharpe and Omega equal a brute-force resample of the same curve', () => {
    const arbCurve = fc.array(fc.record({ dt: fc.integer({ min: 1, max: 4000 }), v: fc.double({ min: 50, max: 150, noNaN: true }) }), { minLength: 3, maxLength: 80 });
    fc.assert(
      fc.property(arbCurve, (curve) => {
        const iv = 1000;
        const m = new MetricsAggregator({ returnsIntervalMs: iv });
        let ts = T0;
        const pts: [number, number][] = [];
        for (const { dt, v } of curve) {
          ts += dt;
          pts.push([ts, v]);
          m.onEquity(ts, v, v, 0);
        }
        // pandas: resample(1s).last().ffill().pct_change().dropna()
        const first = Math.floor(pts[0]![0] / iv);
        const last = Math.floor(pts[pts.length - 1]![0] / iv);
        const bins: number[] = [];
        for (let b = first, i = 0, v = Number.NaN; b <= last; b++) {
          while (i < pts.length && Math.floor(pts[i]![0] / iv) === b) v = pts[i++]![1];
          bins.push(v);
        }
        const rets = bins.slice(1).map((v, i) => v / bins[i]! - 1);
        const r = m.result();
        expect(r.returnsCount).toBe(rets.length);
        if (rets.length >= 2) {
          const sd = sampleStandardDeviation(rets);
          const P = MS_PER_YEAR / iv;
          if (sd > 1e-12) expect(close(r.sharpe!, (mean(rets) / sd) * Math.sqrt(P)), `sharpe ${r.sharpe}`).toBe(true);
          const gains = rets.reduce((a, x) => a + Math.max(x, 0), 0);
          const losses = rets.reduce((a, x) => a + Math.max(-x, 0), 0);
          if (losses > 0) expect(close(r.omega!, gains / losses), `omega ${r.omega} vs ${gains / losses}`).toBe(true);
          else expect(r.omega).toBeNull();
        }
        // the drawdown brute force
        let peak = -Infinity;
        let mdd = 0;
        for (const [, v] of pts) {
          peak = Math.max(peak, v);
          mdd = Math.max(mdd, (peak - v) / peak);
        }
        expect(r.maxDrawdown).toBeCloseTo(mdd, 12);
      }),
      { numRuns: 300 },
    );
  });
});
