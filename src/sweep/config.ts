/**
 * The `sweep` section: defaults of `ofi-backtest sweep` — how many worker threads run the plans,
 * where the sweep's folder goes, how many rows the printed scoreboard shows, whether stage-1
 * features are shared across runs, how often progress is printed. What is swept, over which
 * data and how it is validated is the sweep file's business (`spec.ts`), not this section's:
 * these values change how fast a sweep goes and what it prints, never its results, so they are
 * left out of every run's hash.
 *
 * Keys are flat, one environment variable each (`SWEEP_WORKERS`).
 */
import * as z from 'zod';

/** The longest time limit of one run, s: a week (the config and `--run-timeout` refuse more). */
export const MAX_RUN_TIMEOUT_SEC = 604_800;

/** The `sweep` section. */
export const SweepSection = z
  .object({
    workers: z
      .number()
      .int()
      .min(0)
      .max(1024)
      .default(0)
      .describe('Worker threads running the plans (0: one per core the machine reports). Runs share the event table and the stage-1 features in shared memory, so a worker costs its own strategy state only.'),
    out_dir: z
      .string()
      .min(1)
      .default('sweeps')
      .describe('Folder the sweep folders go under (one per sweep, named by the sweep file\'s name): runs.jsonl, scoreboard.json and the HTML page.'),
    top: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(10)
      .describe('Rows of the scoreboard printed to the terminal, best first (the files hold every run): ten fit a screen.'),
    feature_cache: z
      .boolean()
      .default(true)
      .describe('Compute the stage-1 features once per distinct features section and share them across the runs that have it (a sweep over signal, risk, strategy or simulator parameters computes them once); off to compute them inside every run (the same results, slower).'),
    run_timeout_sec: z
      .number()
      .min(0)
      .max(MAX_RUN_TIMEOUT_SEC)
      .default(0)
      .describe('Seconds one run may take on a worker (0: no limit). A run not finished in time is recorded as failed ("run timed out") and its worker replaced, so the other runs go on; --resume runs it again. A features job has the same limit (its runs then compute their own features).'),
    progress_sec: z
      .number()
      .min(0)
      .max(86_400)
      .default(5)
      .describe('Seconds between progress lines (runs done, failed, runs a second) while a sweep runs (0: none): often enough to see it move, rare enough to read.'),
  })
  .strict();

/** A resolved `sweep` section. */
export type SweepConfig = z.infer<typeof SweepSection>;
