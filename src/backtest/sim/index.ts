/**
 * The trade simulator and its models: latency, fees, taker fills, maker queues, funding.
 * Pure and synchronous (no file system, no clock, no Node-only API), so the same code runs in a
 * backtest, inside the live mock broker, and under Deno.
 */
export { TradeSimulator, missingModels, type SimulatorModels, type SimulatorOptions, type FundingPayment } from './simulator.js';
export { ConstantLatency, EmpiricalLatency, type LatencyModel, type EmpiricalLatencyOptions } from './models/latency.js';
export { MakerTakerFees, type FeeModel, type MakerTakerFeesOptions } from './models/fees.js';
export { TouchFill, BookWalkFill, type FillModel, type TakerBook, type Executions, type TouchFillOptions } from './models/fill.js';
export { RiskAverseQueue, ProbabilisticQueue, QueuePosition, type QueueModel, type QueueProbability, type ProbabilisticQueueOptions } from './models/queue.js';
export { MarkPriceFunding, type FundingModel } from './models/funding.js';
export { SeededRandom } from './models/random.js';
export { simulatorFromConfig, modelsFromConfig } from './from-config.js';
export type { DepthRecord, TrackCheckpoint } from './venue-book.js';
export { applyExecution, unrealizedPnl, reducibleQty, flatPosition } from './account.js';
