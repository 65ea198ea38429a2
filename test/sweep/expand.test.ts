/**
 * A sweep's expansion: the number and order of the plans (grids crossed in file order, the last
 * fastest, each grid point with every random draw), seeded draws that repeat, duplicates kept
 * once, configurations resolved over the base and frozen, hashes that do not depend on key order
 * or on the sections a run does not read.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig, resolveConfig, type Config } from '../../src/config.js';
import { flagLayer } from '../../src/core/config/resolve.js';
import { UserInputError } from '../../src/core/errors.js';
import { fingerprint } from '../../src/microstructure/fingerprint.js';
import { expandSweep, parameterSets, planHash } from '../../src/sweep/expand.js';
import { defaultSweepSpec, sweepSpec } from '../../src/sweep/spec.js';

const base = defaultConfig();

describe('expandSweep', () => {
  it('crosses grids and ranges in file order, the last varying fastest', () => {
    const spec = sweepSpec({
      parameters: {
        'signal.buy_threshold': { values: [1, 2] },
        'strategy.time_stop_sec': { range: { from: 10, to: 30, step: 10 } },
      },
    });
    const plans = expandSweep(spec, base);
    expect(plans.map((p) => p.params)).toEqual([
      { 'signal.buy_threshold': 1, 'strategy.time_stop_sec': 10 },
      { 'signal.buy_threshold': 1, 'strategy.time_stop_sec': 20 },
      { 'signal.buy_threshold': 1, 'strategy.time_stop_sec': 30 },
      { 'signal.buy_threshold': 2, 'strategy.time_stop_sec': 10 },
      { 'signal.buy_threshold': 2, 'strategy.time_stop_sec': 20 },
      { 'signal.buy_threshold': 2, 'strategy.time_stop_sec': 30 },
    ]);
    expect(plans.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5]);
    const c = plans[4]!.config as Config;
    expect(c.signal.buy_threshold).toBe(2);
    expect(c.strategy.time_stop_sec).toBe(20);
    expect(c.risk.target_vol, 'the rest from the base').toBe(base.risk.target_vol);
  });

  it('ranges in exact decimals make exact configurations', () => {
    const plans = expandSweep(sweepSpec({ parameters: { 'risk.target_vol': { range: { from: 0.1, to: 0.3, step: 0.1 } } } }), base);
    expect(plans.map((p) => (p.config as Config).risk.target_vol)).toEqual([0.1, 0.2, 0.3]);
  });

  it('random parameters: `samples` seeded draws in their bounds, crossed with the grid, the same for the same seed', () => {
    const input = {
      parameters: {
        'signal.buy_threshold': { values: [1, 2] },
        'risk.target_vol': { random: { min: 0.1, max: 0.4 } },
        'strategy.time_stop_sec': { random: { min: 5, max: 9, int: true } },
        'strategy.stop_loss_bps': { random: { min: 1, max: 100, log: true } },
      },
      samples: 5,
      seed: 42,
    };
    const plans = expandSweep(sweepSpec(input), base);
    expect(plans).toHaveLength(10);
    expect(Object.keys(plans[0]!.params), 'file order').toEqual(['signal.buy_threshold', 'risk.target_vol', 'strategy.time_stop_sec', 'strategy.stop_loss_bps']);
    const draws: Record<string, unknown>[] = plans.slice(0, 5).map((p) => ({ ...p.params, 'signal.buy_threshold': 0 }));
    expect(plans.slice(5).map((p) => ({ ...p.params, 'signal.buy_threshold': 0 })), 'the same draws at every grid point').toEqual(draws);
    expect(plans.slice(0, 5).every((p) => p.params['signal.buy_threshold'] === 1)).toBe(true);
    for (const p of plans) {
      const v = p.params['risk.target_vol'] as number;
      expect(v >= 0.1 && v < 0.4, String(v)).toBe(true);
      const t = p.params['strategy.time_stop_sec'] as number;
      expect(Number.isInteger(t) && t >= 5 && t <= 9, String(t)).toBe(true);
      const l = p.params['strategy.stop_loss_bps'] as number;
      expect(l >= 1 && l < 100, String(l)).toBe(true);
    }
    expect(new Set(draws.map((d) => d['risk.target_vol'])).size, 'five different draws').toBe(5);
    expect(expandSweep(sweepSpec(input), base).map((p) => p.hash), 'same seed, same plans').toEqual(plans.map((p) => p.hash));
    expect(expandSweep(sweepSpec({ ...input, seed: 43 }), base).map((p) => p.hash), 'another seed, other plans').not.toEqual(plans.map((p) => p.hash));
  });

  it('keeps a configuration once (the first), numbering the plans kept', () => {
    const plans = expandSweep(sweepSpec({ parameters: { 'signal.buy_threshold': { values: [1.5, 2, 1.5] }, 'strategy.entry_order': { values: ['market', 'market'] } } }), base);
    expect(plans.map((p) => p.params)).toEqual([
      { 'signal.buy_threshold': 1.5, 'strategy.entry_order': 'market' },
      { 'signal.buy_threshold': 2, 'strategy.entry_order': 'market' },
    ]);
    expect(plans.map((p) => p.index)).toEqual([0, 1]);
  });

  it('applies the sweep\'s base before the parameters, and freezes each configuration', () => {
    const spec = sweepSpec({ base: { signal: { warmup_sec: 20, buy_threshold: 2 } }, parameters: { 'signal.buy_threshold': { values: [1] } } });
    const [plan] = expandSweep(spec, base);
    const c = plan!.config as Config;
    expect(c.signal.warmup_sec).toBe(20);
    expect(c.signal.buy_threshold, 'the parameter wins over the base').toBe(1);
    expect(Object.isFrozen(c) && Object.isFrozen(c.signal) && Object.isFrozen(plan!.params)).toBe(true);
    expect(() => {
      (c.signal as { buy_threshold: number }).buy_threshold = 3;
    }).toThrow(TypeError);
  });

  it('hashes: the fingerprint of the sections a run reads, whatever the key order and the other sections', () => {
    const spec = sweepSpec({ parameters: { 'signal.buy_threshold': { values: [1, 2] } } });
    const plans = expandSweep(spec, base);
    const c = plans[0]!.config as Config;
    // the signal section without where a signals command writes
    const { sink_kind: _k, out_dir: _o, watch_poll_ms: _p, watch_stable_ms: _w, ...signal } = c.signal;
    const sections = { features: c.features, signal, strategy_mode: c.strategy_mode, risk: c.risk, strategy: c.strategy, backtest: c.backtest, symbols: c.symbols };
    expect(plans[0]!.hash).toBe(fingerprint(sections));
    const reversed = Object.fromEntries(Object.entries(sections).reverse().map(([k, v]) => [k, typeof v === 'object' ? Object.fromEntries(Object.entries(v as object).reverse()) : v]));
    expect(fingerprint(reversed), 'key order does not matter').toBe(plans[0]!.hash);
    // a base with other workers, another dataset part size: the same plans
    const other = resolveConfig([flagLayer({ 'sweep.workers': 3, 'dataset.rotate_sec': 60, 'signal.out_dir': 'elsewhere' })]).config;
    expect(expandSweep(spec, other).map((p) => p.hash)).toEqual(plans.map((p) => p.hash));
    // a base that changes a run: other hashes
    const slower = resolveConfig([flagLayer({ 'backtest.latency_ms': 50 })]).config;
    expect(expandSweep(spec, slower).map((p) => p.hash)).not.toEqual(plans.map((p) => p.hash));
    expect(planHash(plans[1]!.config as Config)).toBe(plans[1]!.hash);
    expect(new Set(plans.map((p) => p.hash)).size).toBe(2);
  });

  it('featureKey: the fingerprint of the features section, equal unless a features parameter varies', () => {
    const a = expandSweep(sweepSpec({ parameters: { 'signal.buy_threshold': { values: [1, 2] } } }), base);
    expect(a[0]!.featureKey).toBe(a[1]!.featureKey);
    expect(a[0]!.featureKey).toBe(fingerprint(base.features));
    const b = expandSweep(sweepSpec({ parameters: { 'features.flow_window': { values: ['1s', '2s'] } } }), base);
    expect(b[0]!.featureKey).not.toBe(b[1]!.featureKey);
  });

  it('signalKey: equal across risk, strategy and simulator parameters; not across signal or features ones, nor with the base\'s signal rules changed', () => {
    const same = expandSweep(sweepSpec({ parameters: { 'strategy.stop_loss_bps': { values: [5, 10] }, 'risk.target_vol': { values: [0.2, 0.3] }, 'backtest.latency_ms': { values: [1, 5] } } }), base);
    expect(new Set(same.map((p) => p.signalKey)).size).toBe(1);
    expect(new Set(same.map((p) => p.hash)).size).toBe(8);
    const signal = expandSweep(sweepSpec({ parameters: { 'signal.buy_threshold': { values: [1, 2] } } }), base);
    expect(signal[0]!.signalKey).not.toBe(signal[1]!.signalKey);
    const features = expandSweep(sweepSpec({ parameters: { 'features.flow_window': { values: ['1s', '2s'] } } }), base);
    expect(features[0]!.signalKey).not.toBe(features[1]!.signalKey);
    // where a signals command writes changes no signal
    const elsewhere = resolveConfig([flagLayer({ 'signal.out_dir': 'elsewhere' })]).config;
    expect(expandSweep(sweepSpec({ parameters: { 'strategy.stop_loss_bps': { values: [5] } } }), elsewhere)[0]!.signalKey).toBe(same[0]!.signalKey);
  });

  it('a combination the configuration refuses names its parameters', () => {
    const spec = sweepSpec({ parameters: { 'signal.buy_threshold': { values: [1, 3] }, 'signal.strong_buy_threshold': { values: [2, 4] } } });
    expect(() => expandSweep(spec, base)).toThrow(UserInputError);
    expect(() => expandSweep(spec, base)).toThrow(/signal\.buy_threshold=3, signal\.strong_buy_threshold=2 give an invalid configuration: signal\.strong_buy_threshold: expected ≥ buy_threshold \(3\)/);
  });

  it('the default sweep: 36 plans', () => {
    const spec = defaultSweepSpec();
    expect(parameterSets(spec)).toHaveLength(3 * 3 * 2 * 2);
    expect(expandSweep(spec, base)).toHaveLength(36);
  });
});
