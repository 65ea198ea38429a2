/**
 * The configuration sections of the core and io layers: datasets and the data-quality gate.
 * Each layer owns its section (`microstructure/config.ts`, `signals/config.ts`,
 * `risk/config.ts` …); `src/config.ts` composes them into the toolkit's one schema. Every value has a
 * default and the reason for it (`describe`), which `config/defaults.yaml` prints as comments;
 * the schema is the only place a default lives.
 *
 * Keys are snake_case as they appear in YAML; a value can also come from the environment
 * (the dotted path upper-cased with `_`, e.g. `DATASET_ROTATE_SEC`) or from a command-line flag.
 */
import * as z from 'zod';
import { DEFAULT_BATCH_ROWS } from '../batch.js';

/** Rows per dataset part at most (see `dataset.rotate_rows`). */
export const DEFAULT_ROTATE_ROWS = 4_194_304;
/** Exchange-time seconds one dataset part may span (see `dataset.rotate_sec`). */
export const DEFAULT_ROTATE_SEC = 3600;
/** Longest quiet spell of a stream before the data-quality gate reports a silence, ms (see `dq.silence_sec`). */
export const DEFAULT_SILENCE_MS = 5_000;
/** Examples the data-quality gate keeps per check (see `dq.examples`). */
export const DEFAULT_DQ_EXAMPLES = 5;

const posInt = () => z.number().int().positive();
const posNum = () => z.number().positive();

/** How datasets are written (by `convert` and the harvester). */
export const DatasetSection = z
  .object({
    format: z.enum(['parquet', 'jsonl']).default('parquet').describe('Parquet: columnar and compressed (zstd), read by DuckDB, Polars, Spark and pandas; JSONL when a text tool must read the parts.'),
    rotate_rows: posInt()
      .default(DEFAULT_ROTATE_ROWS)
      .describe('Rows per part at most: 64 row groups, big enough for fast scans, small enough that a part is published often when recording.'),
    rotate_sec: posNum().default(DEFAULT_ROTATE_SEC).describe('Exchange-time seconds one part may span: a live recording publishes a readable part at least hourly.'),
    batch_rows: posInt().default(DEFAULT_BATCH_ROWS).describe('Rows per Arrow batch read: keeps memory bounded (about 1 MB of quotes) while kernels still run long loops.'),
  })
  .strict();

/** The data-quality gate. */
export const DqSection = z
  .object({
    silence_sec: posNum().default(DEFAULT_SILENCE_MS / 1000).describe('A stream quiet for longer than this (exchange time) is reported: Binance USD-M majors rarely go a second without a quote.'),
    examples: posInt().default(DEFAULT_DQ_EXAMPLES).describe('Examples kept per check: enough to find the pattern, few enough to read.'),
  })
  .strict();

/**
 * The trading rules of one instrument, as Binance's exchangeInfo gives them (PRICE_FILTER
 * tickSize, LOT_SIZE stepSize and minQty, MIN_NOTIONAL notional).
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Exchange-Information
 */
export const InstrumentSpec = z
  .object({
    tick_size: posNum(),
    lot_step: posNum(),
    min_qty: z.number().nonnegative(),
    min_notional: z.number().nonnegative(),
  })
  .strict();
export type InstrumentSpec = z.infer<typeof InstrumentSpec>;

/** The instruments the toolkit knows without being told (Binance USD-M exchangeInfo). */
export const DEFAULT_SYMBOLS: Readonly<Record<string, InstrumentSpec>> = {
  BTCUSDT: { tick_size: 0.1, lot_step: 0.001, min_qty: 0.001, min_notional: 100 },
  ETHUSDT: { tick_size: 0.01, lot_step: 0.001, min_qty: 0.001, min_notional: 20 },
};

/**
 * Per-symbol instrument rules. Symbols a file lists are added to (or replace) the built-in
 * ones; a symbol listed nowhere uses the `risk` section's lot and notional values.
 */
export const SymbolsSection = z
  .record(z.string().regex(/^[A-Z0-9_]+$/, { message: 'expected an upper-case exchange symbol' }), InstrumentSpec)
  .transform((given) => ({ ...DEFAULT_SYMBOLS, ...given }))
  .default({ ...DEFAULT_SYMBOLS })
  .describe(
    'Instrument rules per symbol (tick size, lot step, minimum quantity and notional) from Binance USD-M exchangeInfo, so sizing rounds and refuses as the exchange would; the two symbols of the bundled sample are built in (their ticks are what the data shows: 0.1 and 0.01); symbols listed here are added to them.',
  );
