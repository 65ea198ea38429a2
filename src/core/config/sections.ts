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
import { z } from 'zod';
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
