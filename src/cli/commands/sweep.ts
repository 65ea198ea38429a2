/** `ofi-backtest sweep`: a parameter sweep over market data on worker threads, shardable across machines, to a scoreboard. */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { UserInputError } from '../../core/errors.js';
import { defaultSweepSpec, parseSweepSpec } from '../../sweep/spec.js';
import { MAX_RUN_TIMEOUT_SEC, SweepSection } from '../../sweep/config.js';
import { runSweep, type SweepRunSummary } from '../../runs/sweep-run.js';
import { ProgressLine } from '../../runs/sweep-progress.js';
import { resolveShard } from '../../runs/sweep-shard.js';
import { loadConfig } from '../config.js';
import { duration, num, positiveInt, samplePaths } from '../format.js';
import { formatScoreboard } from './scoreboard.js';
import { sourceLine } from './convert.js';

interface SweepFlags {
  config?: string;
  data?: string[];
  workers?: number;
  shard?: string;
  shards?: number;
  resume?: boolean;
  out?: string;
  top?: number;
  featureCache?: boolean;
  runTimeout?: number;
  symbol?: string;
  json?: boolean;
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description(
      'Run a parameter sweep: every configuration of the sweep file (grids, ranges, seeded random draws over features, signal, risk, strategy and simulator parameters) backtested on worker threads over one shared copy of the data, validated on a train/test split or walk-forward folds, ranked into a scoreboard (JSON, CSV, Parquet, HTML) with the deflated Sharpe ratio and the probability of backtest overfitting. With no file: a small default sweep on the bundled sample.',
    )
    .argument('[sweep-file]', 'the sweep (YAML): name, data, base, parameters, objective, validation')
    .option('--config <file>', 'configuration file the sweep starts from (the sweep file\'s base and parameters go on top)')
    .option('-d, --data <inputs...>', 'market data files or folders (replaces the sweep file\'s data; default: the bundled sample)')
    .option('-w, --workers <n>', 'worker threads (default sweep.workers: one per core)', nonNegativeInt)
    .option('--shard <i/n>', 'run shard i of n (plans with index % n = i) into OUT/part-i-of-n; merge the parts with scoreboard merge')
    .option('--shards <n>', 'number of shards, the index taken from JOB_COMPLETION_INDEX (Kubernetes Indexed Job), SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX', positiveInt)
    .option('--resume', 'skip the runs already in runs.jsonl (an interrupted sweep goes on where it stopped)')
    .option('-o, --out <dir>', 'the sweep\'s folder (default sweep.out_dir/<name>)')
    .option('--top <k>', 'rows of the scoreboard printed (default sweep.top)', positiveInt)
    .option('--no-feature-cache', 'compute everything inside every run: stage-1 features (else once per distinct features section), signals (else once per signal configuration), the venue\'s books and feed times (else once per data) (same results, slower)')
    .option('--run-timeout <sec>', 'seconds one run may take (default sweep.run_timeout_sec, 0: no limit): a run not finished in time is recorded as failed and its worker replaced; --resume runs it again', nonNegativeSeconds)
    .option('--symbol <symbol>', 'symbol for sources that carry none (LOBSTER, dumps)')
    .option('--json', 'print only the result as one JSON object (no progress)')
    .action(async (file: string | undefined, flags: SweepFlags) => {
      const spec = file ? parseSweepSpec(await readSpec(file), file) : defaultSweepSpec();
      const { config } = await loadConfig(flags.config ? { file: flags.config } : {});
      const sweepCfg = SweepSection.parse((config as { sweep?: unknown }).sweep ?? {});
      const specData = spec.data.map((p) => (file && !isAbsolute(p) ? resolve(dirname(file), p) : p));
      const inputs = flags.data && flags.data.length > 0 ? flags.data : specData.length > 0 ? specData : samplePaths();
      if (inputs.length === 0) throw new UserInputError('no --data given, none in the sweep file, and the bundled sample is missing');
      const shard = resolveShard({ ...(flags.shard !== undefined ? { shard: flags.shard } : {}), ...(flags.shards !== undefined ? { shards: flags.shards } : {}), env: process.env });
      const out = flags.out ?? join(sweepCfg.out_dir, spec.name);
      const top = flags.top ?? sweepCfg.top;
      const bar = flags.json || (!process.stderr.isTTY && sweepCfg.progress_sec === 0) ? null : new ProgressLine(process.stderr, { everySec: sweepCfg.progress_sec, label: shard ? `sweep ${spec.name} shard ${shard.index}/${shard.count}` : `sweep ${spec.name}` });
      let last = { done: 0, total: 0, failed: 0, skipped: 0 };
      const onSignal = () => {
        bar?.clear();
        process.stderr.write(`ofi-backtest: interrupted: ${last.done} runs finished now${last.skipped ? ` (+${last.skipped} before)` : ''} are in ${out}; run again with --resume to go on\n`);
        process.exit(130);
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let s: SweepRunSummary;
      try {
        s = await runSweep({
          spec,
          baseConfig: config,
          inputs,
          out,
          workers: flags.workers ?? sweepCfg.workers,
          shard,
          resume: flags.resume ?? false,
          featureCache: flags.featureCache === false ? false : sweepCfg.feature_cache,
          runTimeoutMs: (flags.runTimeout ?? sweepCfg.run_timeout_sec) * 1000,
          ...(spec.symbol || flags.symbol ? { symbol: (flags.symbol ?? spec.symbol)! } : {}),
          onProgress: (p) => {
            last = p;
            bar?.update(p);
          },
        });
        bar?.end(last);
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(summaryJson(s))}\n`);
      else process.stdout.write(`${formatSweep(s, top).join('\n')}\n`);
      if (s.sources.some((x) => x.error)) process.exitCode = 1;
    });
}

async function readSpec(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserInputError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a sweep file' : (err as Error).message}`);
  }
}

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 1024) throw new InvalidArgumentError(`expected 0 (one per core) or a whole number up to 1024, got '${value}'`);
  return Number(value);
}

function nonNegativeSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > MAX_RUN_TIMEOUT_SEC) throw new InvalidArgumentError(`expected seconds from 0 (no limit) to ${MAX_RUN_TIMEOUT_SEC} (a week), got '${value}'`);
  return n;
}

/** The JSON `--json` prints: the run's facts and the scoreboard (null for a shard). */
function summaryJson(s: SweepRunSummary) {
  return {
    sweep: s.setup.sweep,
    name: s.setup.name,
    dir: s.dir,
    shard: s.shard ? { index: s.shard.index, count: s.shard.count } : null,
    plans: s.plans,
    selected: s.selected,
    skipped: s.skipped,
    ran: s.ran,
    failed: s.failed,
    workers: s.workers,
    crashes: s.crashes,
    events: s.events,
    files: s.files,
    scoreboard: s.scoreboard,
  };
}

/** How often the runs computed their signals and how often they replayed them (runs on shared features only). */
function tapes(s: SweepRunSummary): string {
  const { recorded, replayed } = s.signalTapes;
  return recorded + replayed === 0 ? '' : ` (signals computed in ${num(recorded)} pass${recorded === 1 ? '' : 'es'}, replayed in ${num(replayed)})`;
}

function formatSweep(s: SweepRunSummary, top: number): string[] {
  const head = `Sweep ${s.setup.name}: ${num(s.plans)} runs${s.shard ? `, shard ${s.shard.index}/${s.shard.count} (${s.shard.from}): ${num(s.selected)}` : ''}; ${num(s.ran)} run now${s.skipped ? `, ${num(s.skipped)} resumed from disk` : ''}, ${num(s.failed)} failed; ${num(s.events)} events, ${s.workers} worker${s.workers === 1 ? '' : 's'}${s.crashes ? ` (${num(s.crashes)} replaced after a crash or the run time limit)` : ''}, ${s.featureTables} feature table${s.featureTables === 1 ? '' : 's'}${tapes(s)}; ${duration(s.elapsedMs)}`;
  const out = [head, ''];
  if (s.scoreboard) out.push(...formatScoreboard(s.scoreboard, s.scoreboard.rows.slice(0, top)), '');
  else out.push(`A part of a sharded sweep: merge the parts with  ofi-backtest scoreboard merge ${dirname(s.dir)} --out ${dirname(s.dir)}`, '');
  out.push(`Files: ${s.files.join(', ')}`, '', 'Inputs', ...s.sources.map((x) => `  ${sourceLine(x)}`));
  return out;
}
