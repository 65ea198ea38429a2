/**
 * A sweep's runs on the bundled sample (180 s of real BTCUSDT and ETHUSDT captures): the
 * segments of each scheme on the returns grid (boundaries worked by hand from the data's first
 * and last event), one plan's record with features shared or computed in the run (the same
 * record), the in-sample metrics of the `none` scheme against an independent full run through
 * the driver and a MetricsAggregator, the returns on the grid compounding to each segment's
 * total return, trading only from a segment's start, a failing plan recorded without throwing,
 * a feature table in shared memory through a structured clone, and the segments that follow
 * one another run in one pass giving the records of replaying each from the start.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, type Config } from '../../src/config.js';
import type { EventTable } from '../../src/backtest/data/event-table.js';
import { runBacktestSync } from '../../src/backtest/driver.js';
import { FeatureStage, featureTablePrefix } from '../../src/backtest/features-stage.js';
import { MetricsAggregator } from '../../src/backtest/metrics.js';
import { DefaultStrategy } from '../../src/backtest/strategies/default.js';
import { FeaturesSection } from '../../src/microstructure/config.js';
import { samplePaths } from '../../src/io/sample.js';
import { DataReader } from '../../src/runs/backtest-data.js';
import { expandSweep } from '../../src/sweep/expand.js';
import { evaluatePlan, evaluatePlans, featureTableFor, sampleMsFor, segmentChains, shareFeatureTable, SignalTapes, sweepSetup } from '../../src/sweep/evaluate.js';
import { SignalTape } from '../../src/backtest/strategies/signal-tape.js';
import { segmentMetrics } from '../../src/sweep/metrics.js';
import { sweepSpec, type SweepSpecInput } from '../../src/sweep/spec.js';
import type { RunPlan, RunRecord } from '../../src/sweep/types.js';

let table: EventTable;
/** The grid start: the first event's time floored to the second (23:54:16 UTC), and the grid's length. */
let g0: number;
let n: number;

/** Shortened warm-ups so that both halves of the 180 s sample trade. */
const BASE = { signal: { warmup_sec: 20, cooldown_sec: 5 }, risk: { vol_warmup: 20 } };

function sweep(input: SweepSpecInput) {
  const spec = sweepSpec({ base: BASE, ...input });
  const plans = expandSweep(spec, defaultConfig());
  return { spec, plans, setup: sweepSetup(spec, plans, table, 'sample') };
}

/** Every validation scheme with more than one segment. */
const SCHEMES = [
  { scheme: 'split', train: 0.6 },
  { scheme: 'walk-forward', folds: 3 },
  { scheme: 'walk-forward', folds: 3, anchored: true },
] as const;

/** Buy thresholds × stop-losses × latency models × loss walls: signal, strategy, simulator and risk parameters at once. */
function mixedSweep(validation: (typeof SCHEMES)[number], buyThresholds: number[]) {
  return sweep({
    parameters: {
      'signal.buy_threshold': { values: buyThresholds },
      'strategy.stop_loss_bps': { values: [0, 5] },
      'backtest.latency_model': { values: ['constant', 'empirical'] },
      // a wall the first segment breaches: the next one starts with a fresh one
      'risk.daily_loss_pct': { values: [0.03, 0.0002] },
    },
    validation,
  });
}

const product = (rs: readonly number[]) => rs.reduce((p, r) => p * (1 + r), 1) - 1;

beforeAll(async () => {
  table = await (await DataReader.open(samplePaths())).table();
  g0 = Math.floor(table.ts[0]! / 1000) * 1000;
  n = Math.floor((table.ts[table.length - 1]! - g0) / 1000) + 1;
});

describe('sweepSetup', () => {
  it('the sample spans 181 one-second periods from 23:54:16 UTC', () => {
    expect(g0).toBe(Date.UTC(2024, 7, 8, 23, 54, 16));
    expect(n).toBe(181);
  });

  it('split: train the first round(0.7 · 181) = 127 periods, test the other 54', () => {
    const { setup } = sweep({ validation: { scheme: 'split', train: 0.7 } });
    expect(setup.segments).toEqual([
      { role: 'train', fold: 0, start: g0, end: g0 + 127_000 },
      { role: 'test', fold: 0, start: g0 + 127_000, end: g0 + 181_000 },
    ]);
    expect(setup.returnsGrid).toEqual({ start: g0, stepMs: 1000, length: 181 });
    expect(setup.scheme).toBe('split');
  });

  it('walk-forward, 4 folds: 5 blocks cut at round(181·i/5) = 36, 72, 109, 145 periods; rolling and anchored', () => {
    const b = [0, 36, 72, 109, 145, 181].map((k) => g0 + k * 1000);
    const rolling = sweep({ validation: { scheme: 'walk-forward', folds: 4, anchored: false } }).setup;
    expect(rolling.segments).toEqual([1, 2, 3, 4].flatMap((j) => [
      { role: 'train', fold: j, start: b[j - 1], end: b[j] },
      { role: 'test', fold: j, start: b[j], end: b[j + 1] },
    ]));
    const anchored = sweep({ validation: { scheme: 'walk-forward', folds: 4, anchored: true } }).setup;
    expect(anchored.segments.filter((s) => s.role === 'train').map((s) => [s.start, s.end])).toEqual([1, 2, 3, 4].map((j) => [b[0], b[j]]));
  });

  it('none: one in-sample segment; a 5 s grid: 37 periods from 23:54:15', () => {
    expect(sweep({ validation: { scheme: 'none' } }).setup.segments).toEqual([{ role: 'train', fold: 0, start: g0, end: g0 + 181_000 }]);
    const five = sweep({ validation: { scheme: 'none' }, returns_interval: '5s' }).setup;
    const s5 = Math.floor(table.ts[0]! / 5000) * 5000;
    expect(five.returnsGrid).toEqual({ start: s5, stepMs: 5000, length: Math.floor((table.ts[table.length - 1]! - s5) / 5000) + 1 });
    expect(sampleMsFor(5000)).toBe(1000);
    expect(sampleMsFor(1500), 'every 1.5 s grid point a clock point').toBe(500);
    expect(sampleMsFor(250)).toBe(250);
  });

  it('the sweep hash follows the plans, the data and the scheme', () => {
    const a = sweep({ parameters: { 'signal.buy_threshold': { values: [1, 2] } } });
    expect(sweepSetup(a.spec, a.plans, table, 'sample').sweep).toBe(a.setup.sweep);
    expect(sweepSetup(a.spec, a.plans, table, 'other data').sweep).not.toBe(a.setup.sweep);
    expect(sweepSetup(a.spec, a.plans.slice(1), table, 'sample').sweep).not.toBe(a.setup.sweep);
    const b = sweep({ parameters: { 'signal.buy_threshold': { values: [1, 2] } }, validation: { scheme: 'split', train: 0.5 } });
    expect(b.setup.sweep).not.toBe(a.setup.sweep);
  });
});

describe('evaluatePlan', () => {
  let split: ReturnType<typeof sweep>;
  let record: RunRecord;

  beforeAll(() => {
    split = sweep({ parameters: { 'signal.buy_threshold': { values: [1] } }, validation: { scheme: 'split', train: 0.6 } });
    record = evaluatePlan(split.plans[0]!, table, featureTableFor(split.plans[0]!, table), split.setup);
  });

  it('features shared or computed in each run: the same record, byte for byte', () => {
    expect(record.error).toBeNull();
    expect(record.is!.totalTrades, 'the run trades in sample').toBeGreaterThan(0);
    expect(record.oos!.totalTrades, 'and out of sample').toBeGreaterThan(0);
    const inline = evaluatePlan(split.plans[0]!, table, null, split.setup);
    expect(JSON.stringify(inline)).toBe(JSON.stringify(record));
    const wf = sweep({ parameters: { 'signal.buy_threshold': { values: [1] } }, validation: { scheme: 'walk-forward', folds: 3, anchored: true } });
    const p = wf.plans[0]!;
    expect(JSON.stringify(evaluatePlan(p, table, null, wf.setup))).toBe(JSON.stringify(evaluatePlan(p, table, shareFeatureTable(featureTableFor(p, table)), wf.setup)));
  });

  it('a prefix of the shared feature table is the stage run over the prefix of the events', () => {
    const plan = split.plans[0]!;
    const whole = featureTableFor(plan, table);
    const cut = table.lowerBound(split.setup.segments[0]!.end);
    const own = new FeatureStage(FeaturesSection.parse((plan.config as Config).features)).run(table.range(0, cut));
    const pre = featureTablePrefix(whole, cut);
    expect(pre.length).toBe(own.length);
    expect(pre.length).toBeLessThan(whole.length);
    for (const k of ['at', 'mid', 'spread', 'z_ofi', 'z_cvd', 'score', 'side', 'consistency', 'divType', 'divStrength'] as const) expect(Array.from(pre[k]), k).toEqual(Array.from(own[k]));
  });

  it('returns: one per grid period; each segment\'s compound to its total return', () => {
    const k = Math.round(0.6 * n);
    expect(split.setup.segments[0]!.end).toBe(g0 + k * 1000);
    expect(record.returns).toHaveLength(n);
    expect(product(record.returns.slice(0, k))).toBeCloseTo(record.is!.totalReturn!, 9);
    expect(product(record.returns.slice(k))).toBeCloseTo(record.oos!.totalReturn!, 9);
    expect(record.segments.map((s) => [s.role, s.fold])).toEqual([['train', 0], ['test', 0]]);
    expect(record.segments[0]!.metrics).toEqual(record.is);
    expect(record.segments[1]!.metrics).toEqual(record.oos);
    expect(record.oos!.startTs!, 'the test segment\'s metrics start at its start').toBeGreaterThanOrEqual(split.setup.segments[1]!.start);
    expect(record.events, 'train then test in one pass over the data').toBe(table.length);
    expect(evaluatePlan(split.plans[0]!, table, null, split.setup, { onePass: false }).events, 'each segment replayed from the start').toBe(table.lowerBound(split.setup.segments[0]!.end) + table.length);
  });

  it('walk-forward: the mean over folds, and returns from block 0\'s train run and each test block', () => {
    const wf = sweep({ parameters: { 'signal.buy_threshold': { values: [1] } }, validation: { scheme: 'walk-forward', folds: 2 } });
    const r = evaluatePlan(wf.plans[0]!, table, null, wf.setup);
    expect(r.error).toBeNull();
    const tests = r.segments.filter((s) => s.role === 'test').map((s) => s.metrics.totalReturn!);
    const trains = r.segments.filter((s) => s.role === 'train').map((s) => s.metrics.totalReturn!);
    expect(r.oos!.totalReturn).toBeCloseTo((tests[0]! + tests[1]!) / 2, 12);
    expect(r.is!.totalReturn).toBeCloseTo((trains[0]! + trains[1]!) / 2, 12);
    expect(r.segments[1]!.metrics, 'fold 1 tests on the block fold 2 trains on: the same run').toEqual(r.segments[2]!.metrics);
    // blocks: round(181·i/3) = 0, 60, 121, 181 periods
    expect(product(r.returns.slice(0, 60))).toBeCloseTo(trains[0]!, 9);
    expect(product(r.returns.slice(60, 121))).toBeCloseTo(tests[0]!, 9);
    expect(product(r.returns.slice(121))).toBeCloseTo(tests[1]!, 9);
  });

  it('none: the in-sample metrics are those of a plain run over all the data', () => {
    const none = sweep({ parameters: { 'signal.buy_threshold': { values: [1] } }, validation: { scheme: 'none' } });
    const plan = none.plans[0]!;
    const r = evaluatePlan(plan, table, featureTableFor(plan, table), none.setup);
    expect(r.oos).toBeNull();
    const config = plan.config as Config;
    const agg = new MetricsAggregator({ returnsIntervalMs: 1000, startValue: config.backtest.starting_cash });
    runBacktestSync({
      stream: table,
      config,
      hooks: agg.hooks(),
    });
    const plain = segmentMetrics(agg.result());
    expect(plain.totalTrades).toBeGreaterThan(0);
    expect(r.is).toEqual(plain);
    expect(product(r.returns)).toBeCloseTo(plain.totalReturn!, 9);
  });

  it('a segment run trades only from the segment\'s start', () => {
    const config = split.plans[0]!.config as Config;
    const s = split.setup.segments[1]!.start;
    const res = runBacktestSync({ stream: table, config, strategy: new DefaultStrategy(config, { tradeFrom: s }) });
    expect(res.fills.length).toBeGreaterThan(0);
    expect(Math.min(...res.fills.map((f) => f.ts))).toBeGreaterThanOrEqual(s);
    const early = res.signals.filter((x) => x.ts < s && x.signal_type !== 'neutral');
    expect(early.length, 'signals came before the start').toBeGreaterThan(0);
    expect(early.every((x) => x.action === 'skip' && x.reason === 'before the trading start')).toBe(true);
    const free = runBacktestSync({ stream: table, config });
    expect(Math.min(...free.fills.map((f) => f.ts)), 'without it, the same strategy trades earlier').toBeLessThan(s);
  });

  it('a plan that cannot run is a record with its error, not a throw', () => {
    const good = split.plans[0]!;
    const c = good.config as Config;
    const bad: RunPlan = { ...good, index: 7, config: { ...c, backtest: { ...c.backtest, starting_cash: -1 } } };
    const r = evaluatePlan(bad, table, null, split.setup);
    expect(r.error).toMatch(/starting_cash|too small|>0/i);
    expect([r.is, r.oos, r.returns, r.segments, r.index]).toEqual([null, null, [], [], 7]);
    expect(r.sweep).toBe(split.setup.sweep);
  });

  it('evaluatePlans: the same records with features shared or not, in plan order', () => {
    const s = sweep({ parameters: { 'strategy.time_stop_sec': { values: [10, 30] } }, validation: { scheme: 'split', train: 0.5 } });
    const seen: number[] = [];
    const a = evaluatePlans(s.plans, table, s.setup, { onRecord: (r) => seen.push(r.index) });
    const b = evaluatePlans(s.plans, table, s.setup, { shareFeatures: false });
    expect(seen).toEqual([0, 1]);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a[0]!.oos).not.toEqual(a[1]!.oos);
  });
});

describe('shareFeatureTable', () => {
  it('copies the columns into shared memory that a structured clone keeps shared', () => {
    const plan = sweep({}).plans[0]!;
    const f = featureTableFor(plan, table);
    const s = shareFeatureTable(f);
    expect(s.z_ofi.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(s.score)).toEqual(Array.from(f.score));
    expect(Array.from(s.at)).toEqual(Array.from(f.at));
    const clone = structuredClone(s);
    expect(clone.mid.buffer).toBeInstanceOf(SharedArrayBuffer);
    clone.mid[0] = 12345.5;
    expect(s.mid[0], 'the clone writes into the same memory').toBe(12345.5);
    expect(f.mid[0], 'the original table is a copy apart').not.toBe(12345.5);
  });
});

describe('one pass per chain of segments', () => {
  const w = (start: number, end: number) => ({ start, end });

  it('segmentChains: a split is one chain; a rolling walk-forward one; an anchored one its first block and tests, each longer train alone', () => {
    expect(segmentChains([w(0, 7), w(7, 10)])).toEqual([[w(0, 7), w(7, 10)]]);
    const rolling = [w(0, 1), w(1, 2), w(1, 2), w(2, 3), w(2, 3), w(3, 4)];
    expect(segmentChains(rolling)).toEqual([[w(0, 1), w(1, 2), w(2, 3), w(3, 4)]]);
    const anchored = [w(0, 1), w(1, 2), w(0, 2), w(2, 3), w(0, 3), w(3, 4)];
    expect(segmentChains(anchored)).toEqual([[w(0, 1), w(1, 2), w(2, 3), w(3, 4)], [w(0, 2)], [w(0, 3)]]);
    expect(segmentChains([w(5, 9)])).toEqual([[w(5, 9)]]);
  });

  /** A record without its event count (one pass goes through fewer events than the replays). */
  const same = (a: RunRecord, b: RunRecord) => {
    expect(a.error).toBeNull();
    expect(b.error).toBeNull();
    expect(JSON.stringify({ ...a, events: 0 })).toBe(JSON.stringify({ ...b, events: 0 }));
  };

  it('the records of one pass are those of replaying each segment from the start, byte for byte: every scheme, latency model, loss wall, exits', () => {
    let trades = 0;
    for (const validation of SCHEMES) {
      const s = mixedSweep(validation, [0.5, 1.5]);
      for (const p of s.plans) {
        const f = featureTableFor(p, table);
        const a = evaluatePlan(p, table, f, s.setup);
        same(a, evaluatePlan(p, table, f, s.setup, { onePass: false }));
        trades += a.segments.reduce((k, x) => k + (x.metrics.totalTrades ?? 0), 0);
      }
    }
    expect(trades, 'the runs trade').toBeGreaterThan(500);
  }, 120_000);

  it('boundaries anywhere: an orders-heavy plan (limit entries, a sampled queue) split at every tenth of the data', () => {
    for (let k = 1; k <= 9; k++) {
      const s = sweep({
        base: {
          ...BASE,
          signal: { ...BASE.signal, buy_threshold: 0.3, sell_threshold: 0.3, cooldown_sec: 1 },
          strategy: { entry_order: 'limit', limit_offset_bps: 0.5, time_stop_sec: 3 },
          backtest: { latency_model: 'empirical', latency_mul: 20, queue_model: 'probabilistic', queue_sample: true },
        },
        parameters: { 'strategy.stop_loss_bps': { values: [2] } },
        validation: { scheme: 'split', train: k / 10 },
      } as SweepSpecInput);
      const p = s.plans[0]!;
      const a = evaluatePlan(p, table, null, s.setup);
      same(a, evaluatePlan(p, table, null, s.setup, { onePass: false }));
      // features, signals, the venue's books and the feed times shared (depth track, feed times)
      same(a, evaluatePlan(p, table, featureTableFor(p, table), s.setup, { tapes: new SignalTapes() }));
      expect(a.oos!.totalTrades, `split at ${k}/10: the test segment trades`).toBeGreaterThan(0);
    }
  }, 120_000);
});

describe('signal tapes: the signal layer once per signal configuration', () => {
  const same = (a: RunRecord, b: RunRecord) => expect(JSON.stringify(a)).toBe(JSON.stringify(b));

  it('runs replaying the signals of an earlier run give the records of runs that judge every row: every scheme, one pass or replayed, plans out of order', () => {
    let trades = 0;
    for (const validation of SCHEMES) {
      const s = mixedSweep(validation, [0.5, 1, 1.5]);
      const f = featureTableFor(s.plans[0]!, table);
      // the three signal configurations interleaved, two kept: tapes are replayed, recorded again after they were let go
      const order = [...s.plans].sort((a, b) => (a.index % 2) - (b.index % 2) || a.index - b.index);
      for (const onePass of [true, false]) {
        const tapes = new SignalTapes(2);
        for (const p of order) {
          const a = evaluatePlan(p, table, f, s.setup, { onePass, tapes });
          same(a, evaluatePlan(p, table, f, s.setup, { onePass }));
          trades += a.segments.reduce((k, x) => k + (x.metrics.totalTrades ?? 0), 0);
        }
        const chains = onePass ? segmentChains(s.setup.segments).length : new Set(s.setup.segments.map((x) => `${x.start}:${x.end}`)).size;
        expect(tapes.replayed + tapes.recorded, 'a tape per pass').toBe(order.length * chains);
        expect(tapes.replayed, `${validation.scheme}: passes replayed`).toBeGreaterThan(tapes.recorded);
        expect(tapes.recorded, 'recorded more than once per configuration and pass length').toBeGreaterThan(3 * chains);
      }
    }
    expect(trades, 'the runs trade').toBeGreaterThan(1000);
  }, 240_000);

  it('evaluatePlans keeps tapes with shared features: the same records as without', () => {
    const s = sweep({ parameters: { 'signal.buy_threshold': { values: [0.5, 1] }, 'strategy.take_profit_bps': { values: [0, 5, 10] } }, validation: { scheme: 'split', train: 0.5 } });
    same(evaluatePlans(s.plans, table, s.setup) as never, evaluatePlans(s.plans, table, s.setup, { shareFeatures: false }) as never);
  });

  it('runs replaying a tape under other volatility settings compute their own volatility: the records of runs that judge every row', () => {
    const s = sweep({ parameters: { 'risk.vol_warmup': { values: [20, 60] }, 'risk.vol_lambda': { values: [0.99, 0.9] } }, validation: { scheme: 'split', train: 0.5 } });
    const f = featureTableFor(s.plans[0]!, table);
    const tapes = new SignalTapes();
    const records = s.plans.map((p) => {
      const a = evaluatePlan(p, table, f, s.setup, { tapes });
      same(a, evaluatePlan(p, table, f, s.setup));
      return JSON.stringify(a.segments.map((x) => x.metrics));
    });
    expect(tapes.recorded, 'one signal configuration: one tape').toBe(1);
    expect(tapes.replayed).toBe(3);
    expect(new Set(records).size, 'the volatility settings change what is traded').toBe(4);
  });

  it('a replaying strategy reads the tape\'s volatility and modes: the same orders, each with the mode of its time, as judging every row', () => {
    const config = { ...defaultConfig(), ...BASE, signal: { ...defaultConfig().signal, ...BASE.signal, buy_threshold: 0.5, sell_threshold: 0.5 }, strategy: { ...defaultConfig().strategy, stop_loss_bps: 2, time_stop_sec: 3 },
      // modes that change every few seconds on the sample
      strategy_mode: { ...defaultConfig().strategy_mode, window_sec: 5, min_dwell_sec: 5, active_enter_trade_rate: 30, active_exit_trade_rate: 20 } } as Config;
    const f = new FeatureStage(FeaturesSection.parse(config.features)).run(table);
    const run = (tape?: SignalTape) => {
      const strategy = new DefaultStrategy(config, tape ? { signalTape: tape } : {});
      // the mode an exit would be labelled with, after every quote (private: read through a cast)
      const inside = strategy as unknown as { modeNow(st: unknown): string; state(symbol: string): unknown };
      const seen: string[] = [];
      const onQuote = strategy.onQuote.bind(strategy);
      strategy.onQuote = (q, ctx) => {
        onQuote(q, ctx);
        seen.push(inside.modeNow(inside.state(q.symbol)));
      };
      const r = runBacktestSync({ stream: table, features: f, config, strategy });
      strategy.closeTape();
      const modes = r.orders.map((o) => strategy.modeOf(o.id));
      return { text: JSON.stringify([r.orders.map((o) => [o.id, o.tag, o.qty]), modes, seen]), modes, exits: r.orders.filter((o) => o.tag?.startsWith('exit:')).length };
    };
    const tape = new SignalTape();
    const judged = run();
    expect(run(tape).text, 'recording').toBe(judged.text);
    expect(run(tape).text, 'replaying').toBe(judged.text);
    expect(judged.exits, 'exits, labelled with the mode at their time').toBeGreaterThan(10);
    expect(new Set(judged.modes).size, 'orders in more than one mode').toBeGreaterThan(1);
    expect([...tape.modeChanges.values()].reduce((k, c) => k + c.at.length, 0), 'mode changes on the tape').toBeGreaterThan(2);
    expect(tape.vols.length).toBe(tape.signals.length);
  });

  it('a tape replayed over other feature rows throws when closed instead of passing for their signals', () => {
    const config = { ...defaultConfig(), ...BASE } as Config;
    const f = new FeatureStage(FeaturesSection.parse(config.features)).run(table);
    const tape = new SignalTape();
    const half = table.lowerBound(table.ts[0]! + 90_000);
    const recording = new DefaultStrategy(config, { signalTape: tape });
    runBacktestSync({ stream: table.range(0, half), features: featureTablePrefix(f, half), config, strategy: recording });
    expect(tape.complete, 'complete once closed').toBe(false);
    recording.closeTape();
    expect(tape.complete).toBe(true);
    expect(tape.signals.length, 'the half has signals').toBeGreaterThan(0);
    const again = new DefaultStrategy(config, { signalTape: tape });
    runBacktestSync({ stream: table.range(0, half), features: featureTablePrefix(f, half), config, strategy: again });
    expect(() => again.closeTape(), 'replayed over the same rows').not.toThrow();
    const longer = new DefaultStrategy(config, { signalTape: tape });
    runBacktestSync({ stream: table, features: f, config, strategy: longer });
    expect(() => longer.closeTape()).toThrow(/signal tape: recorded over \d+ feature rows, replayed over \d+/);
  });
});
