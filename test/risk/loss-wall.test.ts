import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DailyLossWall, stepLossWall, type LossWallConfig } from '../../src/risk/loss-wall.js';

const H = 3_600_000;
const DAY = 24 * H;
const aug8 = (h: number, m = 0) => Date.UTC(2024, 7, 8, h, m);

describe('DailyLossWall', () => {
  it('golden: 3% of start-of-day equity, re-armed by the next UTC day only', () => {
    const wall = new DailyLossWall({ daily_loss_pct: 0.03 });
    expect(wall.update(aug8(9), 10_000), 'start of day').toBe(true);
    expect(wall.state.wall).toBe(300);
    expect(wall.update(aug8(10), 9_800), '−200 < 300').toBe(true);
    expect(wall.update(aug8(11), 9_700), '−300 reaches the wall').toBe(false);
    expect(wall.state.breached_ts).toBe(aug8(11));
    expect(wall.update(aug8(12), 9_950), 'a recovery does not re-arm by default').toBe(false);
    expect(wall.update(aug8(23, 59), 10_100), 'even a gain on the day').toBe(false);
    // next UTC day: the start equity is the last one seen before midnight
    expect(wall.update(Date.UTC(2024, 7, 9, 0, 0), 10_050)).toBe(true);
    const s = wall.state;
    expect(s.day).toBe('2024-08-09');
    expect(s.day_start_equity).toBe(10_100);
    expect(s.wall).toBeCloseTo(303, 9);
    expect(s.day_pnl).toBe(-50);
    expect(s.breaches).toBe(0);
  });

  it('golden: recovery to half the wall after a 30-minute cool-off re-arms; a second breach blocks again', () => {
    const wall = new DailyLossWall({ daily_loss_pct: 0.03, loss_rearm: 'recovery', recover_frac: 0.5, cooloff_sec: 1800 });
    wall.update(aug8(9), 10_000);
    expect(wall.update(aug8(9, 10), 9_690), 'breach at −310').toBe(false);
    expect(wall.update(aug8(9, 20), 9_900), 'loss 100 ≤ 150 but 10 min < 30 min').toBe(false);
    expect(wall.update(aug8(9, 45), 9_800), '35 min, but loss 200 > 150').toBe(false);
    expect(wall.update(aug8(9, 50), 9_860), 'loss 140 ≤ 150 after 40 min').toBe(true);
    expect(wall.state.rearmed_ts).toBe(aug8(9, 50));
    expect(wall.update(aug8(10), 9_700), 'breach again').toBe(false);
    expect(wall.state.breaches).toBe(2);
  });

  it('golden: with both walls set, the smaller loss trips; with none, nothing does', () => {
    const both = new DailyLossWall({ daily_loss_pct: 0.03, daily_loss_abs: 250 });
    both.update(aug8(9), 10_000);
    expect(both.state.wall).toBe(250);
    expect(both.update(aug8(10), 9_750)).toBe(false);
    const none = new DailyLossWall({ daily_loss_pct: 0, daily_loss_abs: 0 });
    none.update(aug8(9), 10_000);
    expect(none.update(aug8(10), 1)).toBe(true);
    expect(none.state.wall).toBeNull();
  });

  it('ignores non-finite inputs, and a time that goes back stays in the latest day', () => {
    const wall = new DailyLossWall({ daily_loss_pct: 0.03 });
    wall.update(aug8(9), 10_000);
    wall.update(aug8(10), NaN);
    wall.update(NaN, 1);
    expect(wall.state.equity).toBe(10_000);
    wall.update(Date.UTC(2024, 7, 9, 1), 9_000); // new day
    wall.update(aug8(23), 8_000); // goes back: counts in 9 August
    expect(wall.state.day).toBe('2024-08-09');
    expect(wall.state.day_pnl, 'against the 10,000 carried from 8 August').toBe(-2_000);
  });

  it('its state is plain JSON, and resuming from it continues the same way', () => {
    const cfg = { daily_loss_pct: 0.02, loss_rearm: 'recovery' as const, cooloff_sec: 60 };
    const a = new DailyLossWall(cfg);
    const pts: [number, number][] = [
      [aug8(1), 1000],
      [aug8(2), 975],
      [aug8(3), 990],
      [aug8(4), 995],
      [aug8(5), 970],
    ];
    const out = pts.map(([t, e]) => a.update(t, e));
    const b = new DailyLossWall(cfg);
    b.update(...pts[0]!);
    b.update(...pts[1]!);
    const c = new DailyLossWall(cfg, JSON.parse(JSON.stringify(b.state)));
    expect(pts.slice(2).map(([t, e]) => c.update(t, e))).toEqual(out.slice(2));
    expect(JSON.parse(JSON.stringify(c.state))).toEqual(a.state);
  });

  it('stepLossWall does not change its input', () => {
    const cfg: LossWallConfig = { daily_loss_pct: 0.03, daily_loss_abs: 0, loss_rearm: 'next_day', recover_frac: 0.5, cooloff_sec: 0 };
    const s0 = stepLossWall(null, aug8(9), 10_000, cfg);
    const copy = structuredClone(s0);
    const s1 = stepLossWall(s0, aug8(10), 9_000, cfg);
    expect(s0).toEqual(copy);
    expect(s1.breached).toBe(true);
  });

  it('property: after a breach no new risk until the next UTC day or a configured recovery', () => {
    const configArb = fc.record({
      daily_loss_pct: fc.constantFrom(0, 0.01, 0.02, 0.05),
      daily_loss_abs: fc.constantFrom(0, 50, 200),
      loss_rearm: fc.constantFrom('next_day' as const, 'recovery' as const),
      recover_frac: fc.constantFrom(0, 0.25, 0.5, 1),
      cooloff_sec: fc.constantFrom(0, 60, 1800, 7200),
    });
    const pathArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 4 * H }), fc.double({ min: -0.03, max: 0.03, noNaN: true })), { minLength: 1, maxLength: 120 });
    fc.assert(
      fc.property(configArb, pathArb, fc.integer({ min: 0, max: 30 * DAY }), (cfg, path, t0) => {
        const wall = new DailyLossWall(cfg);
        let ts = Date.UTC(2024, 0, 1) + t0;
        let equity = 10_000;
        // the reference quantities, computed from the path alone
        let day = NaN;
        let start = NaN;
        let prevEquity = NaN;
        let prevAllowed = true;
        let blockedSince = NaN;
        for (const [dt, ret] of path) {
          ts += dt;
          equity = Math.max(1, equity * (1 + ret));
          const d = Math.floor(ts / DAY);
          const newDay = d !== day;
          if (newDay) {
            day = d;
            start = prevEquity === prevEquity ? prevEquity : equity;
          }
          let w = Infinity;
          if (cfg.daily_loss_pct > 0) w = Math.min(w, cfg.daily_loss_pct * start);
          if (cfg.daily_loss_abs > 0) w = Math.min(w, cfg.daily_loss_abs);
          const loss = start - equity;
          const allowed = wall.update(ts, equity);
          if (allowed) expect(loss, 'never allowed at or past the wall').toBeLessThan(w);
          if (newDay) expect(allowed, 'a new day starts armed unless its first loss is at the wall').toBe(!(loss >= w));
          else if (!prevAllowed && allowed) {
            expect(cfg.loss_rearm, 'only recovery re-arms within a day').toBe('recovery');
            expect(loss, 'recovered to recover_frac of the wall').toBeLessThanOrEqual(cfg.recover_frac * w);
            expect(ts - blockedSince, 'after the cool-off').toBeGreaterThanOrEqual(cfg.cooloff_sec * 1000);
          } else if (prevAllowed && !allowed) expect(loss, 'blocked only by reaching the wall').toBeGreaterThanOrEqual(w);
          if (!allowed && (newDay || prevAllowed)) blockedSince = ts;
          prevAllowed = allowed;
          prevEquity = equity;
        }
      }),
      { numRuns: 500 },
    );
  });
});
