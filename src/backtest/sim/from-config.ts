/**
 * A `TradeSimulator` assembled from the `backtest` configuration section, so a run's
 * configuration file (and its hash) says everything about how orders were filled.
 */
import { BacktestSection, type BacktestConfig, type BacktestConfigInput } from '../config.js';
import { MakerTakerFees } from './models/fees.js';
import { BookWalkFill, TouchFill } from './models/fill.js';
import { MarkPriceFunding } from './models/funding.js';
import { ConstantLatency, EmpiricalLatency } from './models/latency.js';
import { ProbabilisticQueue, RiskAverseQueue } from './models/queue.js';
import { TradeSimulator, type SimulatorModels, type SimulatorOptions } from './simulator.js';

/** The models a `backtest` section names, with its parameters. The queue's draws use `seed + 1`, so they are not the latency's draws. */
export function modelsFromConfig(section: BacktestConfigInput = {}): SimulatorModels {
  const c: BacktestConfig = BacktestSection.parse(section);
  const latency =
    c.latency_model === 'empirical'
      ? new EmpiricalLatency({
          entryBaseMs: c.latency_ms,
          responseBaseMs: c.response_latency_ms,
          entryMul: c.latency_mul,
          responseMul: c.latency_mul,
          seed: c.seed,
          window: c.latency_window,
          baselineSec: c.latency_baseline_sec,
        })
      : new ConstantLatency(c.latency_ms, c.response_latency_ms);
  const fees = new MakerTakerFees({ makerBps: c.maker_bps, takerBps: c.taker_bps });
  const touch = { slippageBps: c.slippage_bps, slippageExponent: c.slippage_exponent };
  const fill = c.fill_model === 'touch' ? new TouchFill(touch) : new BookWalkFill(touch);
  const queue = c.queue_model === 'probabilistic' ? new ProbabilisticQueue({ fn: c.queue_prob_fn, n: c.queue_prob_n, sample: c.queue_sample, seed: c.seed + 1 }) : new RiskAverseQueue();
  const models: SimulatorModels = { latency, fees, fill, queue };
  if (c.funding) models.funding = new MarkPriceFunding();
  return models;
}

/**
 * A simulator from a `backtest` section (any part of it; the rest defaults) and the run's
 * callbacks. `startingCash` comes from the section unless the options give it.
 * @example
 * const sim = simulatorFromConfig(defaultConfig().backtest);
 * sim.submit({ symbol: 'BTCUSDT', side: 'buy', type: 'market', qty: 0.01 }, t);
 */
export function simulatorFromConfig(section: BacktestConfigInput = {}, options: Partial<SimulatorOptions> = {}): TradeSimulator {
  const c = BacktestSection.parse(section);
  return new TradeSimulator(modelsFromConfig(c), { ...options, startingCash: options.startingCash ?? c.starting_cash });
}
