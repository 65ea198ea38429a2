/**
 * A parameter sweep from files to a scoreboard: what `ofi-backtest sweep` runs.
 *
 * 1. The data is read once into one event table in shared memory (`SharedArrayBuffer`s): from
 *    the files through the `DataReader`, or, for datasets, through the Arrow IPC cache (the
 *    next sweep over the same slice decodes no Parquet). Its identity is a hash of its content,
 *    so shards on other machines reading the same data agree on the sweep's hash.
 * 2. The sweep is expanded into its plans; a shard keeps those with `index % n === i`; with
 *    `resume`, plans whose hash is already in `runs.jsonl` are skipped.
 * 3. A pool of worker threads (`sweep-pool.ts`, `sweep-worker.ts`), started before step 1 so that
 *    the workers load their code while the data is read ({@link SweepWorkers}), receives the
 *    table and the plans once, in one message to each worker. With the feature cache on, each
 *    distinct features section's stage-1 table is computed once, by the workers in parallel,
 *    into shared memory, and handed to every worker (no copy); the runs of a features section
 *    start as soon as its table is there. Off, each run computes its own features.
 * 4. Each finished run's record is appended to `runs.jsonl` as it arrives (`sweep-store.ts`), in
 *    any order; a run that fails is a record with its error; a worker that crashes fails the
 *    plan in hand and is replaced, and so does one that outlasts the time limit of a run
 *    (`runTimeoutMs`, off by default).
 * 5. The scoreboard is built from the records as read back from `runs.jsonl`, sorted by index,
 *    so it is byte-identical whatever the number of workers, the order the runs finished in,
 *    the shards and the resumes. A whole sweep writes `scoreboard.{json,csv,parquet,html}`; a
 *    shard writes its part (`OUT/part-i-of-n/`: `runs.jsonl`, `sweep.json`) for
 *    {@link mergeScoreboard}.
 *
 * Every folder has `sweep.json`: the resolved sweep, its setup (what `buildScoreboard` needs),
 * the data's identity and the hash of every plan, so a merge checks that its parts belong to one
 * sweep and that none is missing.
 *
 * The worker module is `dist/runs/sweep-worker.js`, found beside the running bundle (`dist/`,
 * `dist/cli/`, `dist/io/`); code running from `src/` (tests through vitest) uses the built one
 * in `dist/`, so build first (`npx tsup`; `npm test` does in its pretest).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Table } from 'apache-arrow';
import { UserInputError } from '../core/errors.js';
import type { EventKind } from '../core/events.js';
import type { SourceSummary } from '../io/convert.js';
import { openDataset } from '../io/dataset.js';
import { expandInputs } from '../io/detect.js';
import { IpcCache } from '../io/ipc-cache.js';
import { newReadStats } from '../io/source.js';
import { eventTableFromTables, type EventTable } from '../backtest/data-reader.js';
import type { FeatureTable } from '../backtest/features-stage.js';
import type { Config } from '../config.js';
import { expandSweep } from '../sweep/expand.js';
import { marketData, sharedFeaturesOf, sweepSetup, type MarketData } from '../sweep/evaluate.js';
import { buildScoreboard, mergeRecords } from '../sweep/scoreboard.js';
import type { SweepSpec } from '../sweep/spec.js';
import type { RunPlan, RunRecord, Scoreboard, SweepSetup } from '../sweep/types.js';
import { DataReader } from './backtest-data.js';
import { writeScoreboardFiles } from './sweep-files.js';
import { JobTimeout, WorkerPool, type NextJob, type PoolJob } from './sweep-pool.js';
import type { SweepProgress } from './sweep-progress.js';
import { partDirName, type Shard } from './sweep-shard.js';
import { readRuns, RunsWriter } from './sweep-store.js';
import type { RunReply, SweepWorkerData } from './sweep-worker.js';
import { bundledWorkerUrl } from './worker-url.js';

/** Start of the error of a run whose worker died under it (not the run's own failure): `--resume` runs it again. */
export const CRASHED = 'worker crashed: ';

/** Start of the error of a run stopped at the sweep's time limit for one run (`runTimeoutMs`): `--resume` runs it again (with a longer limit, say). */
export const TIMED_OUT = 'run timed out: ';

/** The starts of the errors that were not the run's own doing ({@link CRASHED}, {@link TIMED_OUT}): `--resume` runs those again. */
const NOT_ITS_OWN = [CRASHED, TIMED_OUT] as const;

/** Options of {@link runSweep}. */
export interface SweepRunOptions {
  spec: SweepSpec;
  /** The configuration in force (the spec's `base` and parameters go on top of it). */
  baseConfig: Config;
  /** Market data files or folders. */
  inputs: readonly string[];
  /** The sweep's folder; a shard writes into `out/part-i-of-n/`. */
  out: string;
  /** Worker threads (0 or absent: one per core, `os.availableParallelism()`). */
  workers?: number;
  shard?: Shard | null;
  /** Skip the plans already recorded in `runs.jsonl`, save those whose worker crashed (else the file is started afresh). */
  resume?: boolean;
  /** Share across runs what does not depend on their parameters (default true): stage-1 features, signals per signal configuration (`SignalTapes`), the venue's books (`DepthTrack`) and feed times. */
  featureCache?: boolean;
  /** Time limit of one run (or one features job) on a worker, ms (0 or absent: none); see {@link RunPlansOptions.runTimeoutMs}. */
  runTimeoutMs?: number;
  /** Symbol for sources that carry none. */
  symbol?: string;
  /** Called with the counts once before the first run and after each run. */
  onProgress?: (p: SweepProgress) => void;
  /** The worker module (default: found beside this module, see the module comment). */
  workerUrl?: URL;
  /** Folder of the Arrow IPC cache for dataset inputs (default `out/.ipc-cache`). */
  cacheDir?: string;
}

/** What {@link runSweep} returns. */
export interface SweepRunSummary {
  /** Folder written (the part's folder for a shard). */
  dir: string;
  setup: SweepSetup;
  shard: Shard | null;
  /** Plans of the whole sweep, of this shard, found done on disk, run now, failed now. */
  plans: number;
  selected: number;
  skipped: number;
  ran: number;
  failed: number;
  /** Workers started, workers replaced (after a crash or a job over its time limit), distinct feature tables computed. */
  workers: number;
  crashes: number;
  featureTables: number;
  /** Passes that ran the signal layer and recorded its signals, passes that replayed them (see {@link RunPlansResult}). */
  signalTapes: { recorded: number; replayed: number };
  /** Runs that read the market made once for all the workers (see {@link RunPlansResult}). */
  marketRuns: number;
  /** Events in the table every run replays. */
  events: number;
  /** The scoreboard (null for a shard: its part is merged later). */
  scoreboard: Scoreboard | null;
  files: string[];
  sources: SourceSummary[];
  elapsedMs: number;
}

/** The JSON of `sweep.json`. */
export interface SweepManifest {
  sweep: string;
  name: string;
  spec: SweepSpec;
  setup: SweepSetup;
  data: { inputs: string[]; id: string; events: number };
  shard: { index: number; count: number } | null;
  /** Every plan of the whole sweep: index and hash. */
  plans: { index: number; hash: string }[];
}

/** The worker module: an explicit URL, else `runs/sweep-worker.js` beside the running bundle or in `dist/`. */
export function sweepWorkerUrl(): URL {
  return bundledWorkerUrl('sweep-worker');
}

/**
 * Run a sweep (see the module comment).
 *
 * @example
 * const s = await runSweep({ spec: defaultSweepSpec(), baseConfig: defaultConfig(), inputs: samplePaths(), out: 'sweeps/default', workers: 2 });
 * s.scoreboard?.rows[0]; // the best run
 */
export async function runSweep(options: SweepRunOptions): Promise<SweepRunSummary> {
  const t0 = performance.now();
  const shard = options.shard ?? null;
  const dir = shard ? join(options.out, partDirName(shard)) : options.out;
  const workerUrl = options.workerUrl ?? sweepWorkerUrl();
  await mkdir(dir, { recursive: true });
  const plans = expandSweep(options.spec, options.baseConfig);
  const selected = shard ? plans.filter((p) => p.index % shard.count === shard.index) : plans;
  // the workers load their code while this thread reads the data
  const want = options.workers && options.workers > 0 ? options.workers : availableParallelism();
  const pool = new SweepWorkers(workerUrl, Math.max(1, Math.min(want, selected.length)), { runTimeoutMs: options.runTimeoutMs });
  try {
    return await sweepOn(pool, plans, selected, dir, t0, options);
  } finally {
    await pool.terminate();
  }
}

/** {@link runSweep} from the data on, with its workers started. */
async function sweepOn(pool: SweepWorkers, plans: RunPlan[], selected: RunPlan[], dir: string, t0: number, options: SweepRunOptions): Promise<SweepRunSummary> {
  const shard = options.shard ?? null;
  const { table, sources } = await loadSweepTable(options.inputs, { ...(options.symbol ? { symbol: options.symbol } : {}), cacheDir: options.cacheDir ?? join(options.out, '.ipc-cache') });
  if (table.length === 0) throw new UserInputError(`no market events in ${options.inputs.join(', ')}`);
  const dataId = tableId(table);
  // the setup as sweep.json holds it, so a merge of parts builds the same scoreboard
  const setup = JSON.parse(JSON.stringify(sweepSetup(options.spec, plans, table, dataId))) as SweepSetup;

  const runsPath = join(dir, 'runs.jsonl');
  const done = new Set<string>();
  if (options.resume) {
    const read = readRuns(runsPath, { repair: true });
    const other = read.records.find((r) => r.sweep !== setup.sweep);
    if (other) throw new UserInputError(`${runsPath}: holds runs of another sweep (${other.sweep}, this one is ${setup.sweep}): the sweep file or the data changed; use another --out or drop --resume`);
    // a run that failed by itself would fail again; one whose worker crashed (out of memory,
    // killed) or that was stopped at the time limit gets another go
    for (const { error, hash } of read.records) if (error === null || !NOT_ITS_OWN.some((p) => error.startsWith(p))) done.add(hash);
  }
  const manifest: SweepManifest = {
    sweep: setup.sweep,
    name: setup.name,
    spec: options.spec,
    setup,
    data: { inputs: options.inputs.map((p) => resolve(p)), id: dataId, events: table.length },
    shard: shard ? { index: shard.index, count: shard.count } : null,
    plans: plans.map((p) => ({ index: p.index, hash: p.hash })),
  };
  await writeAtomic(join(dir, 'sweep.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const todo = selected.filter((p) => !done.has(p.hash));
  const writer = new RunsWriter(runsPath, { fresh: !options.resume });
  const progress: SweepProgress = { done: 0, total: todo.length, failed: 0, skipped: selected.length - todo.length };
  options.onProgress?.({ ...progress });
  let workers = 0;
  let crashes = 0;
  let featureTables = 0;
  let signalTapes = { recorded: 0, replayed: 0 };
  let marketRuns = 0;
  try {
    if (todo.length > 0) {
      workers = Math.min(pool.size, todo.length);
      const r = await runPlans(todo, table, setup, {
        featureCache: options.featureCache ?? true,
        started: pool,
        onRecord: (rec) => {
          writer.append(rec);
          progress.done++;
          if (rec.error !== null) progress.failed++;
          options.onProgress?.({ ...progress });
        },
      });
      crashes = r.crashes;
      featureTables = r.featureTables;
      signalTapes = r.signalTapes;
      marketRuns = r.marketRuns;
    }
  } finally {
    writer.close();
  }

  const files = [runsPath, join(dir, 'sweep.json')];
  let scoreboard: Scoreboard | null = null;
  if (!shard) {
    const hashes = new Set(plans.map((p) => p.hash));
    const records = readRuns(runsPath).records.filter((r) => r.sweep === setup.sweep && hashes.has(r.hash));
    const board = buildScoreboard(setup, mergeRecords([records]));
    files.push(...(await writeScoreboardFiles(board, dir)));
    scoreboard = board;
  }
  return {
    dir,
    setup,
    shard,
    plans: plans.length,
    selected: selected.length,
    skipped: selected.length - todo.length,
    ran: progress.done,
    failed: progress.failed,
    workers,
    crashes,
    featureTables,
    signalTapes,
    marketRuns,
    events: table.length,
    scoreboard,
    files,
    sources,
    elapsedMs: performance.now() - t0,
  };
}

/**
 * Options of {@link runPlans}: the workers to start (`workers` of `workerUrl`), or workers
 * already started (`started`, {@link SweepWorkers}: e.g. while the data was read).
 */
export type RunPlansOptions = {
  featureCache: boolean;
  /** Each finished run, in the order they finish. */
  onRecord: (record: RunRecord) => void;
} & (
  | {
      workers: number;
      workerUrl: URL;
      /**
       * Time limit of one job on a worker, ms (0 or absent: none): a run not finished in time is
       * recorded as failed ({@link TIMED_OUT}) and its worker replaced, so one run caught in a
       * pathological case cannot hold a sweep for ever. A features job has the same limit (its
       * runs then compute their own features). Workers already `started` have theirs
       * ({@link SweepWorkers}).
       */
      runTimeoutMs?: number;
    }
  | { started: SweepWorkers }
);

/**
 * The worker threads of a sweep (`sweep-pool.ts`, `sweep-worker.ts`), started ahead of its data:
 * each loads its code (about a third of a second) while the thread that started them reads the
 * files; {@link runPlans} then hands them the table, the plans and the jobs ({@link begin}).
 *
 * @example
 * const pool = new SweepWorkers(sweepWorkerUrl(), 2);
 * const { table } = await loadSweepTable(inputs, { cacheDir });
 * await runPlans(plans, table, setup, { started: pool, featureCache: true, onRecord });
 */
export class SweepWorkers {
  private next: NextJob | null = null;
  private readonly pool: WorkerPool;

  /** `size` workers of the module at `url`; `runTimeoutMs`: the time limit of one job (see {@link RunPlansOptions}). */
  constructor(
    url: URL,
    readonly size: number,
    options: { runTimeoutMs?: number } = {},
  ) {
    // the pool takes 0 or none as no limit
    this.pool = new WorkerPool({ url, size, workerData: null, next: (w) => (this.next ? this.next(w) : 'wait'), jobTimeoutMs: options.runTimeoutMs });
  }

  /** Workers started in place of crashed ones. */
  get crashes(): number {
    return this.pool.crashes;
  }

  /**
   * Give every worker (and every one started later in place of a crashed one) the sweep's data,
   * then the jobs `next` gives; resolves when no job is left (see `WorkerPool.done`). Once only.
   */
  begin(data: SweepWorkerData, next: NextJob): Promise<void> {
    if (this.next) throw new Error('SweepWorkers.begin: the workers already have a sweep');
    this.next = next;
    this.pool.broadcast({ t: 'init', ...data });
    return this.pool.done;
  }

  /** Give one more message to every worker, now and later (see `WorkerPool.broadcast`). */
  broadcast(message: unknown): void {
    this.pool.broadcast(message);
  }

  /** Stop the workers (a sweep that fails before or during its runs). */
  terminate(): Promise<void> {
    return this.pool.terminate();
  }
}

/** What {@link runPlans} did besides the records. */
export interface RunPlansResult {
  /** Workers replaced after a crash or a job over its time limit. */
  crashes: number;
  /** Feature tables computed and shared. */
  featureTables: number;
  /** Passes over the data that ran the signal layer and recorded its signals, and passes that replayed them (`SignalTapes`; runs on shared features only). */
  signalTapes: { recorded: number; replayed: number };
  /** Runs that read the market made once for all the workers (the venue's books from the table's depth track, the feed times; `marketData`). */
  marketRuns: number;
}

/**
 * Run plans on a pool of worker threads over one shared table (step 3 of the module comment);
 * every plan gives exactly one record to `onRecord`. Runs of one signal configuration go to the
 * worker that ran it last while it has any ({@link SignalQueues}). With `featureCache`, each
 * features section's table is computed once and shared (the first by this thread while the
 * workers it starts load their code; by a worker otherwise), and so are the table's depth track
 * and feed times (`marketData`, in shared memory: made by this thread after those features, or
 * by the first worker free in a `market` job while the others start their runs, which keep
 * their own books until it is shared).
 */
export async function runPlans(plans: readonly RunPlan[], table: EventTable, setup: SweepSetup, options: RunPlansOptions): Promise<RunPlansResult> {
  // runs grouped by features section, in the order the sections first appear, then by signal configuration
  const groups = new Map<string, SignalQueues>();
  plans.forEach((p, i) => {
    let g = groups.get(p.featureKey);
    if (!g) groups.set(p.featureKey, (g = new SignalQueues()));
    g.add(p.signalKey, i);
  });
  const featureJobs: string[] = options.featureCache ? [...groups.keys()] : [];
  /** Features sections whose runs may start: their table is shared, or they compute their own. */
  const ready: string[] = options.featureCache ? [] : [...groups.keys()];
  const inline = new Set<string>(options.featureCache ? [] : groups.keys());
  let featureTables = 0;
  const tapes = { recorded: 0, replayed: 0 };
  let marketRuns = 0;
  const own = !('started' in options);
  const pool = 'started' in options ? options.started : new SweepWorkers(options.workerUrl, options.workers, { runTimeoutMs: options.runTimeoutMs });

  const failed = (p: RunPlan, message: string): RunRecord => ({ sweep: setup.sweep, index: p.index, hash: p.hash, params: p.params, is: null, oos: null, segments: [], returns: [], events: 0, error: message });

  /** A features section's table is shared with every worker; null: its runs compute their own (and record why if that fails too). Its runs may start. */
  const shareFeatures = (key: string, f: FeatureTable | null): void => {
    if (f) {
      featureTables++;
      pool.broadcast({ t: 'add-features', key, features: f });
    } else inline.add(key);
    ready.push(key);
  };
  const featureJob = (key: string): PoolJob => ({
    message: { t: 'features', i: groups.get(key)!.first },
    onResult: (m) => shareFeatures(key, (m as { features: FeatureTable | null }).features),
    onCrash: () => shareFeatures(key, null),
  });
  const runJob = (i: number, key: string): PoolJob => ({
    message: { t: 'run', i, inline: inline.has(key) },
    onResult: (m) => {
      const r = m as RunReply;
      tapes.recorded += r.tapes.recorded;
      tapes.replayed += r.tapes.replayed;
      if (r.market) marketRuns++;
      options.onRecord(r.record);
    },
    onCrash: (err) => options.onRecord(failed(plans[i]!, err instanceof JobTimeout ? `${TIMED_OUT}${err.message}` : `${CRASHED}${err.message}`)),
  });

  /** The market every run on shared features reads (the table's depth track and feed times, in shared memory). */
  const shareMarket = (market: MarketData): void => pool.broadcast({ t: 'add-market', market });
  // with shared features, what their runs share besides them is made once: by this thread, after
  // the first features section, while the workers it starts load their code (the data is in
  // memory: a notebook, the bench); else by the first worker free after the features jobs (the
  // command line, whose pool loaded while it read the data). If it fails, the runs keep their
  // own books.
  let marketJob: PoolJob | null = null;
  if (own && featureJobs.length > 0) {
    const key = featureJobs.shift()!;
    shareFeatures(key, sharedFeaturesOf(plans[groups.get(key)!.first]!, table).features);
    try {
      shareMarket(marketData(table));
    } catch {
      // the runs meet (and record) what failed here
    }
  } else if (options.featureCache) {
    marketJob = { message: { t: 'market' }, onResult: (m) => shareMarket((m as { market: MarketData }).market), onCrash: () => {} };
  }
  // each worker's latest signal configuration: its next runs keep to it (their signals replay its tape)
  const held: string[] = [];
  const next = (w: number): PoolJob | 'wait' | null => {
    const key = featureJobs.shift();
    if (key !== undefined) return featureJob(key);
    if (marketJob !== null && groups.size > 0) {
      const j = marketJob;
      marketJob = null;
      return j;
    }
    while (ready.length > 0) {
      const k = ready[0]!;
      const g = groups.get(k)!;
      const i = g.take(held, w);
      if (i !== undefined) return runJob(i, k);
      ready.shift();
      groups.delete(k);
    }
    return groups.size > 0 ? 'wait' : null;
  };

  try {
    await pool.begin({ table: table.data(), plans: [...plans], setup }, next);
  } finally {
    if (own) await pool.terminate();
  }
  return { crashes: pool.crashes, featureTables, signalTapes: tapes, marketRuns };
}

/**
 * The runs of one features section by signal configuration (`RunPlan.signalKey`), each in plan
 * order, the configurations in the order they first appear. A worker is given runs of the
 * configuration it ran last while there are any, so the signal layer runs once per configuration
 * and worker (the worker's `SignalTapes` replay it for the others); then the first configuration
 * no other worker holds; then any.
 */
class SignalQueues {
  private readonly queues = new Map<string, number[]>();
  /** The first plan added (the features job's plan). */
  first = -1;

  add(key: string, plan: number): void {
    if (this.first < 0) this.first = plan;
    const q = this.queues.get(key);
    if (q) q.push(plan);
    else this.queues.set(key, [plan]);
  }

  /** The next plan for worker `w`, given the configuration each worker holds (`held`, updated); undefined when none is left. */
  take(held: string[], w: number): number | undefined {
    const mine = held[w];
    const q = mine === undefined ? undefined : this.queues.get(mine);
    if (q) return this.shift(mine!, q);
    let shared: string | undefined;
    for (const k of this.queues.keys()) {
      if (!held.includes(k)) {
        held[w] = k;
        return this.shift(k, this.queues.get(k)!);
      }
      shared ??= k;
    }
    if (shared === undefined) return undefined;
    held[w] = shared;
    return this.shift(shared, this.queues.get(shared)!);
  }

  private shift(key: string, q: number[]): number {
    const i = q.shift()!;
    if (q.length === 0) this.queues.delete(key);
    return i;
  }
}

/**
 * The event table of a sweep, in shared memory: datasets through the Arrow IPC cache (when
 * every input is one), anything else through the `DataReader`.
 */
export async function loadSweepTable(inputs: readonly string[], options: { symbol?: string; cacheDir: string }): Promise<{ table: EventTable; sources: SourceSummary[] }> {
  const expanded = await expandInputs(inputs);
  if (expanded.every((x) => x.format === 'dataset')) {
    const cache = new IpcCache(options.cacheDir);
    const sets: Partial<Record<EventKind, Table>>[] = [];
    const releases: (() => void)[] = [];
    for (const x of expanded) {
      const c = await cache.tables((await openDataset(x.path)).slice({}));
      sets.push(c.tables);
      releases.push(c.release);
    }
    const table = eventTableFromTables(sets, { shared: true });
    for (const r of releases) r();
    const sources: SourceSummary[] = expanded.map((x, i) => {
      const s = { path: x.path, format: x.format, ...newReadStats() };
      for (const [k, t] of Object.entries(sets[i]!)) s.events[k as EventKind] = t?.numRows ?? 0;
      return s;
    });
    return { table, sources };
  }
  const reader = await DataReader.open(inputs, { shared: true, ...(options.symbol ? { symbol: options.symbol } : {}) });
  const table = await reader.table();
  return { table, sources: reader.report.sources };
}

/**
 * A content hash of an event table: its symbols, its merged order (kind, symbol, time of every
 * event) and the prices and sizes of its quotes and trades. Paths and file times play no part,
 * so the same data read on another machine has the same id.
 */
export function tableId(t: EventTable): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ symbols: t.symbols, printKinds: t.printKinds, length: t.length, counts: t.counts }));
  const c = t.counts;
  const add = (a: ArrayBufferView & { subarray(a: number, b: number): ArrayBufferView }, n: number) => h.update(a.subarray(0, n) as Uint8Array);
  add(t.kind, t.length);
  add(t.sym, t.length);
  add(t.ts, t.length);
  for (const a of [t.quote.bidPrice, t.quote.bidQty, t.quote.askPrice, t.quote.askQty]) add(a, c.quote);
  for (const a of [t.trade.price, t.trade.qty]) add(a, c.trade);
  return h.digest('hex').slice(0, 16);
}

/** Options of {@link mergeScoreboard}. */
export interface MergeScoreboardOptions {
  /** Write a scoreboard even when runs of the sweep are missing. */
  partial?: boolean;
}

/** What {@link mergeScoreboard} returns. */
export interface MergeScoreboardSummary {
  dir: string;
  parts: string[];
  scoreboard: Scoreboard;
  runs: number;
  missing: number;
  files: string[];
}

/**
 * Join the parts of a sharded sweep (folders with `runs.jsonl` and `sweep.json`, or a folder
 * holding `part-*` folders) into one scoreboard in `out`, the same bytes as the sweep run whole.
 * Refuses parts of different sweeps and, unless `partial`, a sweep with runs missing.
 *
 * @example
 * await mergeScoreboard(['/results'], '/results'); // /results/part-0-of-3 … → /results/scoreboard.json …
 */
export async function mergeScoreboard(parts: readonly string[], out: string, options: MergeScoreboardOptions = {}): Promise<MergeScoreboardSummary> {
  const dirs = await partDirs(parts);
  const manifests: SweepManifest[] = [];
  for (const d of dirs) {
    const p = join(d, 'sweep.json');
    let m: SweepManifest;
    try {
      m = JSON.parse(await readFile(p, 'utf8')) as SweepManifest;
    } catch (err) {
      throw new UserInputError(`${p}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found (is this a sweep folder?)' : `not a sweep manifest: ${(err as Error).message}`}`);
    }
    if (typeof m?.sweep !== 'string' || !m.setup || !Array.isArray(m.plans)) throw new UserInputError(`${p}: not a sweep manifest (no sweep, setup or plans)`);
    manifests.push(m);
  }
  const first = manifests[0]!;
  manifests.forEach((m, i) => {
    if (m.sweep !== first.sweep) throw new UserInputError(`${dirs[i]}: a part of another sweep (${m.name} ${m.sweep}, not ${first.name} ${first.sweep}): parts of different sweeps cannot be merged`);
  });
  const lists = dirs.map((d) => readRuns(join(d, 'runs.jsonl')).records.filter((r) => r.sweep === first.sweep));
  const records = mergeRecords(lists);
  const have = new Set(records.map((r) => r.hash));
  const missingPlans = first.plans.filter((p) => !have.has(p.hash));
  if (missingPlans.length > 0 && !options.partial) {
    const counts = [...new Set(manifests.map((m) => m.shard?.count).filter((x): x is number => x !== undefined))];
    const shardNote = counts.length === 1 ? ` (shards of ${counts[0]} without a run: ${[...new Set(missingPlans.map((p) => p.index % counts[0]!))].sort((a, b) => a - b).join(', ')})` : '';
    throw new UserInputError(`${missingPlans.length} of ${first.plans.length} runs of sweep ${first.name} are missing from ${dirs.join(', ')}${shardNote}: run the missing shards (--resume finishes a part), or merge with --partial`);
  }
  const scoreboard = buildScoreboard(first.setup, records);
  await mkdir(out, { recursive: true });
  const manifest: SweepManifest = { ...first, shard: null };
  await writeAtomic(join(out, 'sweep.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const files = [join(out, 'sweep.json'), ...(await writeScoreboardFiles(scoreboard, out))];
  return { dir: out, parts: dirs, scoreboard, runs: records.length, missing: missingPlans.length, files };
}

/** The part folders named: a folder with `sweep.json`, or a folder holding `part-*` folders. */
async function partDirs(parts: readonly string[]): Promise<string[]> {
  if (parts.length === 0) throw new UserInputError('scoreboard merge: no parts given');
  const out: string[] = [];
  const { readdir, stat } = await import('node:fs/promises');
  for (const p of parts) {
    let st;
    try {
      st = await stat(p);
    } catch {
      throw new UserInputError(`${p}: no such folder`);
    }
    if (!st.isDirectory()) throw new UserInputError(`${p}: not a folder (expected a sweep part with runs.jsonl and sweep.json)`);
    if (existsSync(join(p, 'runs.jsonl')) && existsSync(join(p, 'sweep.json'))) {
      out.push(p);
      continue;
    }
    const subs = (await readdir(p)).filter((n) => /^part-\d+-of-\d+$/.test(n)).sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]));
    if (subs.length === 0) throw new UserInputError(`${p}: no runs.jsonl and sweep.json, and no part-i-of-n folders`);
    out.push(...subs.map((n) => join(p, n)));
  }
  return [...new Set(out.map((d) => resolve(d)))];
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}
