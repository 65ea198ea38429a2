/**
 * `core/`: event and row types, Arrow schemas, zod schemas of outside shapes, errors and
 * clocks. Pure: no file system, no network, no Node-only API.
 */
export * from './events.js';
export * from './errors.js';
export * from './time.js';
export * from './spans.js';
export * from './schema.js';
export * from './batch.js';
export * from './array-pool.js';
export * as wire from './wire.js';
export * from './config/index.js';
