/**
 * The sweep file: what it accepts, and that what it refuses is named by file, line and field —
 * an unknown parameter with its closest known path, a value the configuration refuses, a metric
 * the backtester does not have, bad YAML. Exact-decimal ranges.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/core/errors.js';
import { MetricsAggregator } from '../../src/backtest/metrics.js';
import { defaultSweepSpec, parseSweepSpec, rangeValues, sweepSpec } from '../../src/sweep/spec.js';
import { METRIC_NAMES } from '../../src/sweep/metrics.js';

const SWEEP_YAML = fileURLToPath(new URL('../../config/sweep.yaml', import.meta.url));

/** The error a text gets, as `UserInputError` message. */
function errorOf(text: string, file = 'my.yaml'): string {
  try {
    parseSweepSpec(text, file);
  } catch (err) {
    expect(err, 'a user input error, not a crash').toBeInstanceOf(UserInputError);
    return (err as Error).message;
  }
  throw new Error('expected the sweep file to be refused');
}

describe('parseSweepSpec', () => {
  it('reads the documented shape, with defaults for what is left out', () => {
    const spec = parseSweepSpec(
      [
        'name: ofi-threshold-sweep',
        'data: [ data/sample ]',
        'symbol: BTCUSDT',
        'base: { signal: { warmup_sec: 20 } }',
        'parameters:',
        '  signal.buy_threshold: { values: [1.0, 1.5, 2.0] }',
        '  strategy.time_stop_sec: { range: { from: 10, to: 60, step: 10 } }',
        '  risk.target_vol: { random: { min: 0.1, max: 0.4 } }',
        'samples: 20',
        'seed: 7',
        'objective: { metric: totalReturn }',
        'validation: { scheme: walk-forward, folds: 3 }',
        'returns_interval: 5s',
      ].join('\n'),
      's.yaml',
    );
    expect(spec.name).toBe('ofi-threshold-sweep');
    expect(spec.data).toEqual(['data/sample']);
    expect(spec.parameters['risk.target_vol']).toEqual({ random: { min: 0.1, max: 0.4, log: false, int: false } });
    expect(spec.objective).toEqual({ metric: 'totalReturn', direction: 'max' });
    expect(spec.validation).toEqual({ scheme: 'walk-forward', folds: 3, anchored: false });
    expect(spec.returns_interval).toBe('5s');
    const empty = parseSweepSpec('', 'empty.yaml');
    expect(empty.validation).toEqual({ scheme: 'split', train: 0.7 });
    expect(empty.objective).toEqual({ metric: 'sharpe', direction: 'max' });
    expect(empty.parameters).toEqual({});
  });

  it('config/sweep.yaml is the default sweep', () => {
    expect(parseSweepSpec(readFileSync(SWEEP_YAML, 'utf8'), 'config/sweep.yaml')).toEqual(defaultSweepSpec());
  });

  it('an unknown parameter: its line and the closest known path', () => {
    const msg = errorOf('name: x\nparameters:\n  signal.buy_treshold: { values: [1, 2] }\n');
    expect(msg).toBe('my.yaml:3: parameters.signal.buy_treshold: unknown parameter (closest: signal.buy_threshold)');
  });

  it('a parameter of a section a backtest does not read, and a list value, are refused', () => {
    expect(errorOf('parameters:\n  dataset.rotate_sec: { values: [60] }\n')).toMatch(/^my\.yaml:2: parameters\.dataset\.rotate_sec: the dataset section does not change a backtest/);
    expect(errorOf('parameters:\n  signal.blocked_modes: { values: [quiet] }\n')).toMatch(/^my\.yaml:2: parameters\.signal\.blocked_modes: a list value cannot be swept/);
  });

  it('a value the configuration refuses: the line of that value, the parameter and what was expected', () => {
    const msg = errorOf('parameters:\n  strategy.time_stop_sec:\n    values:\n      - 10\n      - -5\n');
    expect(msg).toMatch(/^my\.yaml:5: parameters\.strategy\.time_stop_sec\.values\.1: value -5 of strategy\.time_stop_sec: /);
    expect(errorOf('parameters:\n  strategy.entry_order: { values: [market, iceberg] }\n')).toMatch(/^my\.yaml:2: .*value "iceberg" of strategy\.entry_order: expected one of "market", "limit"/);
    expect(errorOf('parameters:\n  features.flow_window: { values: [1s, 1x] }\n')).toMatch(/^my\.yaml:2: parameters\.features\.flow_window\.values\.1: value "1x" of features\.flow_window: expected a duration/);
    // a range's values are checked too
    expect(errorOf('parameters:\n  strategy.time_stop_sec:\n    range: { from: -10, to: 10, step: 10 }\n')).toMatch(/^my\.yaml:3: parameters\.strategy\.time_stop_sec\.range: value -10/);
  });

  it('a value refused only by a rule between fields is left to the combinations (buy 3 is fine with strong 4)', () => {
    const spec = parseSweepSpec('parameters:\n  signal.buy_threshold: { values: [1, 3] }\n  signal.strong_buy_threshold: { values: [4] }\n', 'my.yaml');
    expect(spec.parameters['signal.buy_threshold']).toEqual({ values: [1, 3] });
  });

  it('a bad base value, an unknown metric, an unknown key, a bad scheme, a bad duration, bad YAML', () => {
    expect(errorOf('name: x\nbase:\n  signal:\n    warmup_sec: -1\n')).toMatch(/^my\.yaml:4: base\.signal\.warmup_sec: /);
    expect(errorOf('objective:\n  metric: sharp\n')).toMatch(/^my\.yaml:2: objective\.metric: unknown metric 'sharp' \(did you mean sharpe\?\)/);
    expect(errorOf('name: x\nparamters: {}\n')).toMatch(/^my\.yaml:2: paramters: unknown key/);
    expect(errorOf('validation:\n  scheme: kfold\n')).toMatch(/^my\.yaml:2: validation\.scheme: /);
    expect(errorOf('validation: { scheme: split, train: 1.5 }\n')).toMatch(/^my\.yaml:1: validation\.train: /);
    expect(errorOf('returns_interval: 1 sec\n')).toMatch(/^my\.yaml:1: returns_interval: expected a duration/);
    expect(errorOf('parameters:\n  signal.buy_threshold: { values: [1, 2], range: { from: 1, to: 2, step: 1 } }\n')).toMatch(/^my\.yaml:2: parameters\.signal\.buy_threshold: expected exactly one of values, range or random/);
    expect(errorOf('parameters:\n  risk.target_vol: { random: { min: 0.4, max: 0.1 } }\n')).toMatch(/^my\.yaml:2: parameters\.risk\.target_vol\.random\.max: expected max > min/);
    expect(errorOf('parameters:\n  risk.target_vol: { random: { min: 0, max: 1, log: true } }\n')).toMatch(/random\.min: a log draw needs min > 0/);
    expect(errorOf('parameters:\n  signal.agree_updates: { random: { min: 1, max: 9 } }\n')).toMatch(/^my\.yaml:2: parameters\.signal\.agree_updates\.random\.int: signal\.agree_updates takes whole numbers/);
    expect(errorOf('name: x\nparameters: [\n')).toMatch(/^my\.yaml:\d+: not valid YAML/);
    expect(errorOf('- a\n- b\n')).toMatch(/^my\.yaml: a sweep file must be a mapping/);
  });

  it('every problem of a file is named at once, each with its line, in one message', () => {
    const msg = errorOf(
      ['name: x', 'parameters:', '  signal.buy_threshold: { values: [1, "a"] }', '  strategy.stop_loss_bps: { values: [-1, 5] }', '  signal.nope: { values: [1] }', '  strategy.take_profit_bps: { range: { from: 5, to: 1, step: 1 } }', 'objective: { metric: sharp }', ''].join('\n'),
    );
    const problems = msg.split('; my.yaml');
    expect(problems).toHaveLength(5);
    // a bad base too: its problem, and the values' own problems all the same
    const withBase = errorOf('base:\n  signal: { warmup_sec: -1 }\nparameters:\n  strategy.stop_loss_bps: { values: [-1, 5] }\n');
    expect(withBase.split('; ')).toHaveLength(2);
    expect(withBase).toMatch(/^my\.yaml:2: base\.signal\.warmup_sec: .*; my\.yaml:4: parameters\.strategy\.stop_loss_bps\.values\.0: value -1 of strategy\.stop_loss_bps: expected a number ≥ 0$/);
    expect(msg).toMatch(/^my\.yaml:7: objective\.metric: unknown metric 'sharp'/);
    expect(msg).toContain('; my.yaml:3: parameters.signal.buy_threshold.values.1: value "a" of signal.buy_threshold: expected a number');
    expect(msg).toContain('; my.yaml:4: parameters.strategy.stop_loss_bps.values.0: value -1 of strategy.stop_loss_bps: ');
    expect(msg).toContain('; my.yaml:5: parameters.signal.nope: unknown parameter');
    expect(msg).toContain('; my.yaml:6: parameters.strategy.take_profit_bps.range.to: expected to ≥ from (5), got 1');
    // the shape's problems too, all of them: a range or a draw written as a list, a missing step
    const shape = errorOf('parameters:\n  strategy.stop_loss_bps: { range: [10, 30, 5] }\n  risk.target_vol: { random: [0.1, 0.4] }\n  strategy.take_profit_bps: { range: { from: 1, to: 3 } }\n');
    expect(shape.split('; ')).toEqual([
      'my.yaml:2: parameters.strategy.stop_loss_bps.range: expected { from, to, step }, e.g. range: { from: 10, to: 30, step: 5 }',
      'my.yaml:3: parameters.risk.target_vol.random: expected { min, max } (and log, int if wanted), e.g. random: { min: 0.5, max: 2 }',
      'my.yaml:4: parameters.strategy.take_profit_bps.range.step: missing (expected a number)',
    ]);
  });

  it('a sweep built in code is checked the same way', () => {
    expect(() => sweepSpec({ parameters: { 'signal.nope': { values: [1] } } }, 'code')).toThrow(/^code: parameters\.signal\.nope: unknown parameter/);
    expect(sweepSpec({ parameters: { 'signal.buy_threshold': { values: [1] } } }).samples).toBe(10);
  });
});

describe('rangeValues', () => {
  it('steps in exact decimals, both ends included', () => {
    expect(rangeValues({ from: 0.1, to: 0.3, step: 0.1 })).toEqual([0.1, 0.2, 0.3]);
    // 0.1 + 0.2 is 0.30000000000000004 in floating point; the range gives the literal 0.3
    expect(rangeValues({ from: 0.1, to: 0.3, step: 0.1 })[2]).toBe(0.3);
    expect(rangeValues({ from: 10, to: 60, step: 10 })).toEqual([10, 20, 30, 40, 50, 60]);
    expect(rangeValues({ from: 0, to: 1, step: 0.25 })).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(rangeValues({ from: 1, to: 2, step: 0.3 }), 'up to to, not past it').toEqual([1, 1.3, 1.6, 1.9]);
    expect(rangeValues({ from: 0.7, to: 0.7, step: 0.1 })).toEqual([0.7]);
    expect(rangeValues({ from: -0.2, to: 0.2, step: 0.1 })).toEqual([-0.2, -0.1, 0, 0.1, 0.2]);
    expect(rangeValues({ from: 1e-7, to: 3e-7, step: 1e-7 })).toEqual([1e-7, 2e-7, 3e-7]);
  });
});

describe('METRIC_NAMES', () => {
  it('are exactly the numeric fields of the backtester\'s metrics', () => {
    const m = new MetricsAggregator({ startValue: 100 });
    m.onEquity(0, 100, 100, 0);
    m.onEquity(1000, 101, 101, 0);
    const result = m.result() as unknown as Record<string, unknown>;
    const numeric = Object.keys(result).filter((k) => typeof result[k] === 'number' || (result[k] === null && !['start', 'end', 'bestTrade', 'worstTrade'].includes(k) && !k.startsWith('maxDrawdown')));
    for (const k of METRIC_NAMES) expect(Object.keys(result), k).toContain(k);
    for (const k of numeric) expect(METRIC_NAMES as readonly string[], k).toContain(k);
  });
});
