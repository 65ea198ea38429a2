/**
 * `simulatorFromConfig`: every model the `backtest` section names is the one built, with its
 * parameters; the section's defaults are Binance VIP 0 fees and the measured slippage curve.
 */
import { describe, expect, it } from 'vitest';
import { BacktestSection } from '../../../src/backtest/config.js';
import { modelsFromConfig, simulatorFromConfig } from '../../../src/backtest/sim/from-config.js';
import { ConstantLatency, EmpiricalLatency } from '../../../src/backtest/sim/models/latency.js';
import { MakerTakerFees } from '../../../src/backtest/sim/models/fees.js';
import { BookWalkFill, TouchFill } from '../../../src/backtest/sim/models/fill.js';
import { ProbabilisticQueue, RiskAverseQueue } from '../../../src/backtest/sim/models/queue.js';
import { MarkPriceFunding } from '../../../src/backtest/sim/models/funding.js';
import { resolveConfig, envLayer } from '../../../src/config.js';

describe('simulatorFromConfig', () => {
  it('defaults: constant 10 ms, Binance VIP 0 fees (2 / 5 bps), book walk over a 1 bp square-root touch curve, risk-averse queue, funding', () => {
    const m = modelsFromConfig();
    expect(m.latency).toBeInstanceOf(ConstantLatency);
    expect(m.latency.entry(0)).toBe(10);
    expect(m.latency.response(0)).toBe(10);
    expect(m.fees).toBeInstanceOf(MakerTakerFees);
    expect(m.fees.fee('X', 10_000, 'maker')).toBeCloseTo(2, 12);
    expect(m.fees.fee('X', 10_000, 'taker')).toBeCloseTo(5, 12);
    expect(m.fill).toBeInstanceOf(BookWalkFill);
    expect(m.fill).toMatchObject({ slippageBps: 1, slippageExponent: 0.5 });
    expect(m.queue).toBeInstanceOf(RiskAverseQueue);
    expect(m.funding).toBeInstanceOf(MarkPriceFunding);
    expect(simulatorFromConfig().cash).toBe(10_000);
  });

  it('every named alternative, with its parameters', () => {
    const m = modelsFromConfig({
      latency_model: 'empirical',
      latency_ms: 3,
      response_latency_ms: 4,
      latency_mul: 2,
      fill_model: 'touch',
      slippage_bps: 2,
      slippage_exponent: 1,
      queue_model: 'probabilistic',
      queue_prob_fn: 'log',
      maker_bps: -0.5,
      funding: false,
      seed: 9,
    });
    expect(m.latency).toBeInstanceOf(EmpiricalLatency);
    expect(m.latency).toMatchObject({ entryBaseMs: 3, responseBaseMs: 4, entryMul: 2, responseMul: 2 });
    expect(m.fill).toBeInstanceOf(TouchFill);
    expect(m.fill).not.toBeInstanceOf(BookWalkFill);
    expect(m.fill).toMatchObject({ slippageBps: 2, slippageExponent: 1 });
    expect(m.queue).toBeInstanceOf(ProbabilisticQueue);
    expect(m.queue).toMatchObject({ fn: 'log' });
    expect(m.fees.fee('X', 10_000, 'maker')).toBeCloseTo(-0.5, 12);
    expect(m.funding).toBeUndefined();
    expect(simulatorFromConfig({ starting_cash: 500 }).cash).toBe(500);
    expect(simulatorFromConfig({}, { startingCash: 7 }).cash).toBe(7);
  });

  it('the section is part of the configuration, one environment variable per key, and refuses bad values naming them', () => {
    expect(resolveConfig([envLayer({ BACKTEST_TAKER_BPS: '4' })]).config.backtest.taker_bps).toBe(4);
    expect(() => BacktestSection.parse({ queue_model: 'fifo' })).toThrow(/queue_model/);
    expect(() => BacktestSection.parse({ taker_bps: -1 })).toThrow(/taker_bps/);
    for (const [k, v] of Object.entries(BacktestSection.shape)) expect((v as { description?: string }).description, `${k} says why`).toBeTruthy();
  });
});
