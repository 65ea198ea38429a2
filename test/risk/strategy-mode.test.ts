import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StrategyModeManager, type ModeChange } from '../../src/risk/strategy-mode.js';
import { parseScheduleWindow, StrategyModeSection, type StrategyModeConfigInput } from '../../src/risk/strategy-mode-config.js';

/** Every threshold off: a test turns on the ones it exercises. */
const OFF: StrategyModeConfigInput = {
  quiet_enter_trade_rate: 0,
  quiet_exit_trade_rate: 0,
  quiet_enter_quote_rate: 0,
  quiet_exit_quote_rate: 0,
  quiet_enter_spread_bps: 0,
  quiet_exit_spread_bps: 0,
  active_enter_trade_rate: 0,
  active_exit_trade_rate: 0,
  active_enter_quote_rate: 0,
  active_exit_quote_rate: 0,
  active_enter_vol: 0,
  active_exit_vol: 0,
  aggressive_enter_trade_rate: 0,
  aggressive_exit_trade_rate: 0,
  aggressive_enter_quote_rate: 0,
  aggressive_exit_quote_rate: 0,
  aggressive_enter_vol: 0,
  aggressive_exit_vol: 0,
};

const T0 = Date.UTC(2024, 7, 8, 12, 0, 0);

/** Trades per second, second s's trades spread over [s, s + 1). */
function tradesPerSecond(counts: number[]): { type: 'trade'; ts: number }[] {
  const out: { type: 'trade'; ts: number }[] = [];
  counts.forEach((n, s) => {
    for (let i = 0; i < n; i++) out.push({ type: 'trade', ts: T0 + s * 1000 + Math.floor((i * 1000) / Math.max(1, n)) });
  });
  return out;
}

describe('StrategyModeManager', () => {
  // window 2 s on a 1 s step: the rate judged at second b is (c[b−2] + c[b−1]) / 2.
  // active: enter ≥ 10/s, exit < 5/s; quiet: enter < 2/s, exit ≥ 4/s.
  const counts = [5, 20, 20, 14, 8, 8, 6, 4, 2, 2, 0, 4, 4, 6, 6, 1];
  const cfg: StrategyModeConfigInput = {
    ...OFF,
    window_sec: 2,
    step_sec: 1,
    min_dwell_sec: 0,
    active_enter_trade_rate: 10,
    active_exit_trade_rate: 5,
    quiet_enter_trade_rate: 2,
    quiet_exit_trade_rate: 4,
  };

  it('golden: a mode sequence with hysteresis (worked by hand)', () => {
    // b=3: (20+20)/2 = 20 ≥ 10 → active   (b=3 is the first full window: second 0 is partial)
    // b=4…8: 17, 11, 8, 7, 5 — below the enter threshold 10 but not below the exit 5: active holds
    // b=9: (4+2)/2 = 3 < 5 → normal       (3 is not < 2: not quiet)
    // b=10: 2 — not < 2, normal; b=11: (2+0)/2 = 1 < 2 → quiet
    // b=12: 2 — below the exit 4: quiet holds; b=13: (4+4)/2 = 4 ≥ 4 → normal
    // b=14: 5, b=15: 6 — normal
    const m = new StrategyModeManager(cfg);
    const seen: ModeChange[] = [];
    m.onChange((c) => seen.push(c));
    for (const e of tradesPerSecond(counts)) m.update(e);
    const got = seen.map((c) => [(c.ts - T0) / 1000, c.from, c.to]);
    expect(got).toEqual([
      [3, 'normal', 'active'],
      [9, 'active', 'normal'],
      [11, 'normal', 'quiet'],
      [13, 'quiet', 'normal'],
    ]);
    expect(seen[0]!.reasons).toEqual(['trade_rate 20 >= active_enter_trade_rate 10']);
    expect(seen[1]!.reasons).toEqual(['trade_rate 3 < active_exit_trade_rate 5']);
    expect(seen[2]!.reasons).toEqual(['trade_rate 1 < quiet_enter_trade_rate 2']);
    expect(seen[3]!.reasons).toEqual(['trade_rate 4 >= quiet_exit_trade_rate 4']);
    expect(seen[0]!.metrics).toEqual({ trade_rate: 20, quote_rate: 0, spread_bps: null, vol: null });
    expect(m.changes).toEqual(seen);
    expect(m.mode).toBe('normal');
  });

  it('golden: without hysteresis (exit = enter) the same stream changes mode more often', () => {
    const m = new StrategyModeManager({ ...cfg, active_exit_trade_rate: 10, quiet_exit_trade_rate: 2 });
    for (const e of tradesPerSecond(counts)) m.update(e);
    // active at b=3 (20; 17 and 11 hold it), normal at b=6 (8 < 10), quiet at b=11 (1), normal at b=12 (2 is not < 2)
    expect(m.changes.map((c) => [(c.ts - T0) / 1000, c.to])).toEqual([
      [3, 'active'],
      [6, 'normal'],
      [11, 'quiet'],
      [12, 'normal'],
    ]);
  });

  it('golden: the dwell time holds a mode', () => {
    // dwell 3 s: active at 3, normal at 9; quiet is asked for at 11 (2 s later) and refused;
    // by 12 the rate (2) no longer enters quiet
    const m = new StrategyModeManager({ ...cfg, min_dwell_sec: 3 });
    for (const e of tradesPerSecond(counts)) m.update(e);
    expect(m.changes.map((c) => [(c.ts - T0) / 1000, c.to])).toEqual([
      [3, 'active'],
      [9, 'normal'],
    ]);
  });

  it('measures quote rate, mean spread (bps) and 1 s volatility over the window', () => {
    const m = new StrategyModeManager({ ...OFF, window_sec: 2, step_sec: 1 });
    // second 0 (partial, not counted), then mids 100 at the end of second 1, 101 at the end of second 2
    const q = (t: number, bid: number, ask: number) => ({ type: 'quote', ts: T0 + t, bidPrice: bid, askPrice: ask });
    m.update(q(500, 99.99, 100.01));
    m.update(q(1200, 99.98, 100.02)); // spread 4 bps
    m.update(q(1800, 99.99, 100.01)); // 2 bps, mid 100 at the end of second 1
    m.update(q(2500, 100.99, 101.01)); // ≈1.98 bps, mid 101 at the end of second 2
    m.update({ type: 'depth', ts: T0 + 3000 }); // moves the clock: evaluation at 3 s over seconds 1 and 2
    const x = m.metrics;
    expect(m.isReady).toBe(true);
    expect(x.trade_rate).toBe(0);
    expect(x.quote_rate).toBe(1.5);
    const spreads = [(0.04 / 100) * 1e4, (0.02 / 100) * 1e4, (0.02 / 101) * 1e4];
    expect(x.spread_bps).toBeCloseTo((spreads[0]! + spreads[1]! + spreads[2]!) / 3, 10);
    // returns: second 1 (100 vs 100 at the end of second 0) = 0, second 2 = ln(101/100)
    const r = Math.log(101 / 100);
    expect(x.vol).toBeCloseTo(Math.sqrt((0 + r * r) / 2) * Math.sqrt(31_536_000), 8);
  });

  it('silence is measured: advance() with no events brings the rates to 0 and quiet', () => {
    const m = new StrategyModeManager({ ...OFF, window_sec: 10, min_dwell_sec: 0, quiet_enter_trade_rate: 5, quiet_exit_trade_rate: 10 });
    for (let s = 0; s < 20; s++) for (let i = 0; i < 40; i++) m.update({ type: 'trade', ts: T0 + s * 1000 + i * 25 });
    expect(m.mode).toBe('normal');
    m.advance(T0 + 40_000);
    expect(m.metrics.trade_rate).toBe(0);
    expect(m.mode).toBe('quiet');
    expect(m.changes.at(-1)!.reasons).toContain('trade_rate 0 < quiet_enter_trade_rate 5');
  });

  it('schedule windows force, cap and floor the mode (UTC, wrapping midnight)', () => {
    expect(parseScheduleWindow('23:58-00:02 cap normal')).toMatchObject({ startSec: 86_280, endSec: 120, action: 'cap', mode: 'normal' });
    expect(parseScheduleWindow('08:00 cap normal')).toBeNull();
    expect(parseScheduleWindow('08:00-08:00 cap normal')).toBeNull();
    expect(parseScheduleWindow('07:58-08:02 limit normal')).toBeNull();
    expect(() => StrategyModeSection.parse({ schedule: ['7:58-8:02 cap busy'] })).toThrow(/HH:MM/);
    // a busy market (active) capped to normal between 23:59:50 and 00:00:10
    const midnight = Date.UTC(2024, 7, 9);
    const m = new StrategyModeManager({ ...OFF, window_sec: 2, min_dwell_sec: 0, active_enter_trade_rate: 10, active_exit_trade_rate: 5, schedule: ['23:59:50-00:00:10 cap normal'] });
    for (let t = midnight - 20_000; t < midnight + 20_000; t += 50) m.update({ type: 'trade', ts: t });
    expect(m.changes.map((c) => [(c.ts - midnight) / 1000, c.to, c.reasons.join('; ')])).toEqual([
      [-17, 'active', 'trade_rate 20 >= active_enter_trade_rate 10'],
      [-10, 'normal', "schedule '23:59:50-00:00:10 cap normal'"],
      [10, 'active', 'trade_rate 20 >= active_enter_trade_rate 10'],
    ]);
    const f = new StrategyModeManager({ ...OFF, window_sec: 2, min_dwell_sec: 0, schedule: ['00:00-00:00:05 force quiet', '00:00:05-00:00:10 floor active'] });
    for (let t = midnight - 5_000; t < midnight + 15_000; t += 100) f.update({ type: 'trade', ts: t });
    expect(f.changes.map((c) => [(c.ts - midnight) / 1000, c.to])).toEqual([
      [0, 'quiet'],
      [5, 'active'],
      [10, 'normal'],
    ]);
  });

  it('keeps a bounded log, counts every change, and a listener can stop listening', () => {
    const m = new StrategyModeManager({ ...cfg, log_size: 2 });
    let heard = 0;
    const stop = m.onChange(() => heard++);
    const events = tradesPerSecond(counts);
    events.slice(0, events.length / 2).forEach((e) => m.update(e));
    stop();
    events.slice(events.length / 2).forEach((e) => m.update(e));
    expect(m.changeCount).toBe(4);
    expect(m.changes.map((c) => (c.ts - T0) / 1000)).toEqual([11, 13]);
    expect(heard).toBeLessThan(4);
    m.reset();
    expect([m.changeCount, m.changes.length, m.mode, m.isReady]).toEqual([0, 0, 'normal', false]);
  });

  it('disabled: stays normal', () => {
    const m = new StrategyModeManager({ ...cfg, enabled: false, initial: 'quiet' });
    for (const e of tradesPerSecond(counts)) m.update(e);
    expect([m.mode, m.changeCount]).toEqual(['normal', 0]);
  });

  it('refuses thresholds whose hysteresis opens the wrong way', () => {
    expect(() => StrategyModeSection.parse({ active_enter_trade_rate: 50, active_exit_trade_rate: 80 })).toThrow(/active_exit_trade_rate/);
    expect(() => StrategyModeSection.parse({ quiet_enter_spread_bps: 1, quiet_exit_spread_bps: 2 })).toThrow(/quiet_exit_spread_bps/);
  });

  it('property: never changes mode twice within its dwell time, whatever the input', () => {
    // streams as regimes: each holds an event rate, a trade share, a spread and a drift for a
    // few seconds, so the measures cross thresholds back and forth; some timestamps go back
    const segmentArb = fc.record({
      dur: fc.integer({ min: 1, max: 20 }),
      rate: fc.integer({ min: 0, max: 40 }),
      tradeShare: fc.integer({ min: 0, max: 4 }),
      halfSpread: fc.double({ min: 0, max: 0.6, noNaN: true }),
      drift: fc.double({ min: -0.5, max: 0.5, noNaN: true }),
      back: fc.integer({ min: 0, max: 800 }),
      kindOther: fc.constantFrom('depth', 'mark'),
    });
    const cfgArb = fc.record({
      window_sec: fc.integer({ min: 2, max: 8 }),
      step_sec: fc.integer({ min: 1, max: 2 }),
      min_dwell_sec: fc.integer({ min: 0, max: 15 }),
      trade: fc.integer({ min: 1, max: 12 }),
      quote: fc.integer({ min: 1, max: 12 }),
      gap: fc.double({ min: 0, max: 1, noNaN: true }),
      schedule: fc.array(fc.constantFrom('12:00:03-12:00:09 cap normal', '12:00:20-12:00:40 force quiet', '11:59-12:00:30 floor active'), { maxLength: 2 }),
    });
    fc.assert(
      fc.property(cfgArb, fc.array(segmentArb, { minLength: 1, maxLength: 30 }), (c, segments) => {
        const lo = (x: number) => x * (1 - c.gap);
        const m = new StrategyModeManager({
          window_sec: c.window_sec,
          step_sec: c.step_sec,
          min_dwell_sec: c.min_dwell_sec,
          quiet_enter_trade_rate: lo(c.trade / 2),
          quiet_exit_trade_rate: c.trade / 2,
          quiet_enter_quote_rate: lo(c.quote / 2),
          quiet_exit_quote_rate: c.quote / 2,
          quiet_enter_spread_bps: 40,
          quiet_exit_spread_bps: lo(40),
          active_enter_trade_rate: c.trade,
          active_exit_trade_rate: lo(c.trade),
          active_enter_quote_rate: c.quote,
          active_exit_quote_rate: lo(c.quote),
          active_enter_vol: 50,
          active_exit_vol: lo(50),
          aggressive_enter_trade_rate: 2 * c.trade,
          aggressive_exit_trade_rate: lo(2 * c.trade),
          aggressive_enter_quote_rate: 2 * c.quote,
          aggressive_exit_quote_rate: lo(2 * c.quote),
          aggressive_enter_vol: 150,
          aggressive_exit_vol: lo(150),
          schedule: c.schedule,
        });
        const e = { type: 'quote', ts: T0, bidPrice: 100, askPrice: 100 };
        let start = T0;
        let mid = 100;
        for (const g of segments) {
          const n = g.dur * g.rate;
          for (let i = 0; i < n; i++) {
            mid = Math.max(1, mid + g.drift);
            e.type = i % 5 < g.tradeShare ? 'trade' : i % 7 === 6 ? g.kindOther : 'quote';
            e.ts = start + Math.floor((i * 1000) / g.rate) - (i === 1 ? g.back : 0);
            e.bidPrice = mid - g.halfSpread;
            e.askPrice = mid + g.halfSpread;
            m.update(e);
          }
          start += g.dur * 1000;
        }
        const ch = m.changes;
        for (let i = 0; i < ch.length; i++) {
          expect(ch[i]!.from).not.toBe(ch[i]!.to);
          expect(ch[i]!.reasons.length, 'a change says why').toBeGreaterThan(0);
          if (i > 0) {
            expect(ch[i]!.from).toBe(ch[i - 1]!.to);
            expect(ch[i]!.ts - ch[i - 1]!.ts, 'dwell').toBeGreaterThanOrEqual(c.min_dwell_sec * 1000);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a steady stream through reused scratch events: exact rates, no change', () => {
    const m = new StrategyModeManager();
    const e = { type: 'quote', ts: T0, bidPrice: 100, askPrice: 100.005 };
    const t = { type: 'trade', ts: T0 };
    for (let i = 0; i < 200_000; i++) {
      e.ts = t.ts = T0 + i * 5;
      m.update(i % 4 === 0 ? t : e);
    }
    expect(m.changeCount).toBe(0);
    expect(m.metrics.trade_rate).toBe(50);
    expect(m.metrics.quote_rate).toBe(150);
  });
});
