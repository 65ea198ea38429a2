/**
 * `microstructure/`: order-flow calculators — OFI (best level, multi-level, integrated), CVD,
 * rolling statistics, fusion, divergence, bars and a local order book; the feature set that drives
 * them together, and the sampling and OLS of the price-impact regression. Pure and synchronous:
 * no file system, no network, no Node-only API, so they run in Node, Deno and browsers.
 *
 * Every calculator has a streaming face (`update`, `value`, `isReady`, `reset`) and a columnar
 * face over typed arrays; both call one kernel, so they agree exactly.
 */
export * from './calculator.js';
export { OfiCalculator, ofi, ofiFromBatch, orderByUpdateId, OfiState, ofiStep, type OfiQuote, type OfiColumns, type OfiOptions, type OfiAggregationOptions, type OfiSum } from './ofi.js';
export { FlowAggregator, resolveOfiSum, type ResolvedOfiSum } from './ofi-aggregate.js';
export * from './ofi-multilevel.js';
export * from './ofi-integrated.js';
export * from './rolling.js';
export * from './cvd.js';
export * from './bars.js';
export * from './divergence.js';
export * from './fusion.js';
export * from './book.js';
export * from '../core/columns.js';
export * from './fingerprint.js';
export * from './sessions.js';
export * from './regression.js';
export * from './impact.js';
export * from './feature-columns.js';
export * from './feature-set.js';
export { symmetricEigen, firstPrincipalComponent, type Eigen } from './pca.js';
export * from './config.js';
