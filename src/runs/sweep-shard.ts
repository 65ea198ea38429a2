/**
 * Which part of a sweep this process runs: `--shard i/n`, or the index a cluster scheduler gives
 * each task of an array job with the count from `--shards n` (or the scheduler's own count).
 * A shard takes the plans with `index % n === i`; the parts are joined by `scoreboard merge`.
 * The scheduler does the distribution; nothing here reimplements one.
 *
 * Where the index comes from, first found wins:
 * - `JOB_COMPLETION_INDEX`: a Kubernetes Indexed Job (`completionMode: Indexed`); Kubernetes
 *   gives no count, so `--shards` (the Job's `completions`) is required;
 * - `SLURM_ARRAY_TASK_ID`: a Slurm job array, made 0-based with `SLURM_ARRAY_TASK_MIN`; the count
 *   is `SLURM_ARRAY_TASK_COUNT` when `--shards` is not given;
 * - `AWS_BATCH_JOB_ARRAY_INDEX`: an AWS Batch array job (0-based); Batch gives no count, so
 *   `--shards` (the array size) is required.
 *
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode
 * @see https://slurm.schedmd.com/job_array.html
 * @see https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html
 */
import { UserInputError } from '../core/errors.js';

/** One shard of `count`: plans with `index % count === index`. */
export interface Shard {
  index: number;
  count: number;
  /** Where the index came from: `--shard` or the environment variable. */
  from: string;
}

const INDEX_VARS = ['JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID', 'AWS_BATCH_JOB_ARRAY_INDEX'] as const;

/**
 * The shard of this process, or null for the whole sweep (see the module comment).
 *
 * @example
 * resolveShard({ shard: '1/3' }) // { index: 1, count: 3, from: '--shard' }
 * resolveShard({ shards: 3, env: { JOB_COMPLETION_INDEX: '2' } }) // { index: 2, count: 3, from: 'JOB_COMPLETION_INDEX' }
 */
export function resolveShard(options: { shard?: string; shards?: number; env?: Record<string, string | undefined> }): Shard | null {
  const env = options.env ?? {};
  if (options.shard !== undefined) {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(options.shard);
    if (!m) throw new UserInputError(`--shard: expected i/n (e.g. 0/3), got '${options.shard}'`);
    const index = Number(m[1]);
    const count = Number(m[2]);
    if (options.shards !== undefined && options.shards !== count) throw new UserInputError(`--shard ${options.shard} and --shards ${options.shards} disagree on the number of shards`);
    return checked({ index, count, from: '--shard' });
  }
  const name = INDEX_VARS.find((v) => (env[v] ?? '').trim() !== '');
  if (!name) {
    if (options.shards !== undefined && options.shards !== 1)
      throw new UserInputError(`--shards ${options.shards}: no shard index — give --shard i/${options.shards}, or run where JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX is set`);
    return options.shards === 1 ? { index: 0, count: 1, from: '--shards' } : null;
  }
  const raw = env[name]!.trim();
  if (!/^\d+$/.test(raw)) throw new UserInputError(`${name}: expected a non-negative integer, got '${raw}'`);
  let index = Number(raw);
  let count = options.shards;
  if (name === 'SLURM_ARRAY_TASK_ID') {
    const min = env.SLURM_ARRAY_TASK_MIN;
    if (min !== undefined && /^\d+$/.test(min.trim())) index -= Number(min);
    const c = env.SLURM_ARRAY_TASK_COUNT;
    if (count === undefined && c !== undefined && /^\d+$/.test(c.trim())) count = Number(c);
  }
  if (count === undefined) throw new UserInputError(`${name}=${raw} is set but not the number of shards: give --shards N (the job's completions or array size)`);
  return checked({ index, count, from: name });
}

function checked(s: Shard): Shard {
  if (!Number.isSafeInteger(s.count) || s.count < 1) throw new UserInputError(`${s.from}: the number of shards must be at least 1, got ${s.count}`);
  if (s.index < 0 || s.index >= s.count) throw new UserInputError(`${s.from}: shard ${s.index} is out of range for ${s.count} shards (0 to ${s.count - 1})`);
  return s;
}

/** Folder name of a shard's part: `part-1-of-3`. */
export function partDirName(s: Pick<Shard, 'index' | 'count'>): string {
  return `part-${s.index}-of-${s.count}`;
}
