/**
 * The Node side of a sweep, piece by piece: the worker pool (jobs, crashes contained and the
 * worker replaced with what was broadcast, shared memory not copied, a worker file that cannot
 * start), runs.jsonl (a line cut short by a kill dropped and cut off the file), the shard
 * resolution (flags and the schedulers' environment variables), and runSweep on the bundled
 * sample: workers 1 and 2 give the same scoreboard bytes, the feature cache on and off give the
 * same records, one failing run is recorded with its error while the others go on, a sweep
 * worker that dies mid-sweep is replaced by one that gets the sweep and runs the rest.
 *
 * runSweep's worker module is dist/runs/sweep-worker.js: these tests need the build (`npx tsup`,
 * which `npm test` runs in its pretest).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WorkerPool, type PoolJob } from '../../src/runs/sweep-pool.js';
import { readRuns, recordLine, RunsWriter } from '../../src/runs/sweep-store.js';
import { partDirName, resolveShard } from '../../src/runs/sweep-shard.js';
import { mergeScoreboard, runPlans, runSweep, sweepWorkerUrl } from '../../src/runs/sweep-run.js';
import { DataReader } from '../../src/runs/backtest-data.js';
import { expandSweep } from '../../src/sweep/expand.js';
import { evaluatePlans, sweepSetup } from '../../src/sweep/evaluate.js';
import { scoreboardCsv } from '../../src/runs/sweep-files.js';
import { sweepSpec } from '../../src/sweep/spec.js';
import { defaultConfig } from '../../src/config.js';
import { samplePaths } from '../../src/io/sample.js';
import type { RunRecord } from '../../src/sweep/types.js';
import { cli } from '../helpers/run-cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sweep-run-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A worker answering `{ v }` with `2v + k` (k broadcast), crashing on `crash`, writing into shared memory. */
const TOY_WORKER = `
import { parentPort, workerData } from 'node:worker_threads';
let k = 0;
const cells = new Int32Array(workerData.sab);
parentPort.on('message', (m) => {
  if (m.t === 'set') { k = m.k; return; }
  if (m.t === 'crash') throw new Error('boom in job ' + m.v);
  if (m.t === 'exit') process.exit(3);
  if (m.t === 'hang') for (;;);
  Atomics.add(cells, 0, 1);
  parentPort.postMessage({ t: 'result', v: 2 * m.v + k });
});
parentPort.postMessage({ t: 'ready' });
`;

function toyPool(jobs: { t: string; v: number }[], size: number, url: URL, sab = new SharedArrayBuffer(4), jobTimeoutMs?: number) {
  const results = new Map<number, number>();
  const crashed = new Map<number, string>();
  const queue = [...jobs];
  const pool = new WorkerPool({
    url,
    size,
    workerData: { sab },
    ...(jobTimeoutMs ? { jobTimeoutMs } : {}),
    next: (): PoolJob | null => {
      const j = queue.shift();
      if (!j) return null;
      return { message: j, onResult: (m) => results.set(j.v, (m as { v: number }).v), onCrash: (e) => crashed.set(j.v, e.message) };
    },
  });
  return { pool, results, crashed, sab };
}

/**
 * The real sweep worker behind a module that runs `fault` (JavaScript) in place of sending plan
 * `plan`'s record, once (a marker file remembers): the worker started in its place runs normally.
 * The module patches postMessage before the worker module is evaluated, so that module's own
 * message listener is the only one and misses no message.
 */
function faultyWorker(name: string, plan: number, fault: string): URL {
  const marker = join(dir, `${name}.done`);
  const patch = join(dir, `${name}-patch.mjs`);
  writeFileSync(
    patch,
    [
      "import { existsSync, writeFileSync } from 'node:fs';",
      "import { parentPort } from 'node:worker_threads';",
      'const post = parentPort.postMessage.bind(parentPort);',
      `parentPort.postMessage = (m, t) => { if (m?.t === 'run' && m.i === ${plan} && !existsSync(${JSON.stringify(marker)})) { writeFileSync(${JSON.stringify(marker)}, ''); ${fault} } return post(m, t); };`,
    ].join('\n'),
  );
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, `import ${JSON.stringify(pathToFileURL(patch).href)};\nimport ${JSON.stringify(sweepWorkerUrl().href)};\n`);
  return pathToFileURL(file);
}

describe('WorkerPool', () => {
  it('runs every job once; a crash fails its job alone and the replacement worker gets the broadcasts', async () => {
    const file = join(dir, 'toy-worker.mjs');
    writeFileSync(file, TOY_WORKER);
    const jobs = Array.from({ length: 12 }, (_, v) => ({ t: v === 4 ? 'crash' : v === 9 ? 'exit' : 'job', v }));
    const { pool, results, crashed, sab } = toyPool(jobs, 2, pathToFileURL(file));
    pool.broadcast({ t: 'set', k: 100 });
    await pool.done;
    expect([...crashed.keys()].sort((a, b) => a - b), 'the two crashing jobs and only they').toEqual([4, 9]);
    expect(crashed.get(4)).toMatch(/boom in job 4/);
    expect(crashed.get(9)).toMatch(/code 3/);
    expect(pool.crashes).toBe(2);
    // every other job answered by a worker that knew k = 100, replacements included
    for (let v = 0; v < 12; v++) if (v !== 4 && v !== 9) expect(results.get(v), `job ${v}`).toBe(2 * v + 100);
    expect(new Int32Array(sab)[0], 'the workers wrote into the shared buffer the main thread holds (not a copy)').toBe(10);
  });

  it('a job not answered within jobTimeoutMs fails alone with a JobTimeout; its worker is stopped and replaced, and the replacement gets the broadcasts', async () => {
    const file = join(dir, 'toy-worker.mjs');
    writeFileSync(file, TOY_WORKER);
    const jobs = Array.from({ length: 10 }, (_, v) => ({ t: v === 3 ? 'hang' : 'job', v }));
    const { pool, results, crashed, sab } = toyPool(jobs, 2, pathToFileURL(file), new SharedArrayBuffer(4), 400);
    pool.broadcast({ t: 'set', k: 100 });
    const t0 = performance.now();
    await pool.done;
    expect(performance.now() - t0, 'the hanging job held the pool until its limit').toBeGreaterThanOrEqual(390);
    expect([...crashed.entries()]).toEqual([[3, 'not finished after 400 ms: its worker was stopped']]);
    expect(pool.crashes).toBe(1);
    for (let v = 0; v < 10; v++) if (v !== 3) expect(results.get(v), `job ${v}`).toBe(2 * v + 100);
    expect(new Int32Array(sab)[0]).toBe(9);
  });

  it('a worker file that cannot start fails the pool instead of respawning', async () => {
    const file = join(dir, 'broken-worker.mjs');
    writeFileSync(file, "throw new Error('cannot load');\n");
    const { pool } = toyPool([{ t: 'job', v: 1 }], 2, pathToFileURL(file));
    await expect(pool.done).rejects.toThrow(/could not start.*cannot load/);
  });

  it('a worker given its inputs that never says it is ready fails the pool after the start timeout; one not given them yet waits', async () => {
    const file = join(dir, 'silent-worker.mjs');
    writeFileSync(file, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => undefined);\n");
    const url = pathToFileURL(file);
    const given = new WorkerPool({ url, size: 2, workerData: { x: 1 }, startTimeoutMs: 300, next: () => null });
    const t0 = performance.now();
    await expect(given.done).rejects.toThrow(/a sweep worker did not start \(.*silent-worker\.mjs\): not ready 300 ms after it was given its inputs/);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    // a sweep's pool: no workerData, the inputs come by broadcast once the data is read
    const waiting = new WorkerPool({ url, size: 1, workerData: null, startTimeoutMs: 300, next: () => null });
    let failed = false;
    waiting.done.catch(() => (failed = true));
    await new Promise((r) => setTimeout(r, 600));
    expect(failed, 'no clock before its inputs').toBe(false);
    waiting.broadcast({ t: 'init' });
    await expect(waiting.done).rejects.toThrow(/did not start/);
  });

  it('no job at all: done once the workers are up', async () => {
    const file = join(dir, 'toy-worker.mjs');
    writeFileSync(file, TOY_WORKER);
    const { pool, results } = toyPool([], 2, pathToFileURL(file));
    await pool.done;
    expect(results.size).toBe(0);
  });
});

const rec = (index: number, hash: string): RunRecord => ({ sweep: 's1', index, hash, params: { 'signal.buy_threshold': 1.5 }, is: { sharpe: -0, totalReturn: 0.1 }, oos: null, segments: [], returns: [0.001, -0.002], events: 10, error: null });

describe('runs.jsonl', () => {
  it('a last line cut short (a kill mid-write) is dropped and, repairing, cut off; the next append starts a clean line', () => {
    const p = join(dir, 'runs-cut.jsonl');
    const w = new RunsWriter(p, { fresh: true });
    w.append(rec(0, 'a'));
    w.append(rec(1, 'b'));
    w.close();
    const whole = readFileSync(p, 'utf8');
    const third = recordLine(rec(2, 'c'));
    appendFileSync(p, third.slice(0, 25));
    const r = readRuns(p);
    expect(r.records.map((x) => x.hash)).toEqual(['a', 'b']);
    expect(r.truncatedBytes).toBe(25);
    expect(readFileSync(p, 'utf8').length, 'not repaired without repair').toBe(whole.length + 25);
    readRuns(p, { repair: true });
    expect(readFileSync(p, 'utf8')).toBe(whole);
    const w2 = new RunsWriter(p);
    w2.append(rec(2, 'c'));
    w2.close();
    expect(readRuns(p).records.map((x) => x.hash)).toEqual(['a', 'b', 'c']);
  });

  it('a record read back equals the record written (−0 written as 0)', () => {
    const r = rec(3, 'd');
    expect(JSON.parse(recordLine(r))).toEqual({ ...r, is: { sharpe: 0, totalReturn: 0.1 } });
    expect(recordLine(r).endsWith('\n') && recordLine(r).indexOf('\n') === recordLine(r).length - 1, 'one line').toBe(true);
  });

  it('a line that does not parse elsewhere is skipped and counted', () => {
    const p = join(dir, 'runs-bad.jsonl');
    writeFileSync(p, `${recordLine(rec(0, 'a'))}{"not a record":1}\nnot json\n${recordLine(rec(1, 'b'))}`);
    const r = readRuns(p);
    expect(r.records.map((x) => x.hash)).toEqual(['a', 'b']);
    expect(r.badLines).toBe(2);
  });
});

describe('resolveShard', () => {
  it('--shard i/n, and the index from each scheduler', () => {
    expect(resolveShard({ shard: '1/3' })).toEqual({ index: 1, count: 3, from: '--shard' });
    expect(resolveShard({ shards: 3, env: { JOB_COMPLETION_INDEX: '2' } })).toEqual({ index: 2, count: 3, from: 'JOB_COMPLETION_INDEX' });
    expect(resolveShard({ env: { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '4', SLURM_ARRAY_TASK_COUNT: '3' } }), 'Slurm ids made 0-based, count from Slurm').toEqual({ index: 1, count: 3, from: 'SLURM_ARRAY_TASK_ID' });
    expect(resolveShard({ shards: 4, env: { AWS_BATCH_JOB_ARRAY_INDEX: '0' } })).toEqual({ index: 0, count: 4, from: 'AWS_BATCH_JOB_ARRAY_INDEX' });
    expect(resolveShard({ env: {} })).toBeNull();
    expect(partDirName({ index: 0, count: 3 })).toBe('part-0-of-3');
  });

  it('one-line errors: out of range, malformed, no count, no index', () => {
    expect(() => resolveShard({ shard: '3/3' })).toThrow(/--shard: shard 3 is out of range for 3 shards \(0 to 2\)/);
    expect(() => resolveShard({ shard: '1-3' })).toThrow(/expected i\/n/);
    expect(() => resolveShard({ env: { JOB_COMPLETION_INDEX: '1' } })).toThrow(/JOB_COMPLETION_INDEX=1 is set but not the number of shards: give --shards N/);
    expect(() => resolveShard({ shards: 3, env: {} })).toThrow(/no shard index/);
    expect(() => resolveShard({ shards: 2, env: { JOB_COMPLETION_INDEX: '2' } })).toThrow(/out of range/);
    expect(() => resolveShard({ shard: '1/3', shards: 4 })).toThrow(/disagree/);
  });
});

/** A small sweep on the bundled sample: 2 × 3 signal thresholds, split 70/30 on 10 s returns. */
function smallSpec(extra: Record<string, unknown> = {}) {
  return sweepSpec({
    name: 'small',
    parameters: { 'signal.buy_threshold': { values: [1, 2] }, 'signal.sell_threshold': { values: [1, 1.5, 2] }, ...extra },
    objective: { metric: 'totalReturn' },
    validation: { scheme: 'split', train: 0.7 },
    returns_interval: '10s',
  } as never);
}

describe('runSweep on the bundled sample', () => {
  it('finds its worker module (dist/ when running from src/)', () => {
    expect(existsSync(sweepWorkerUrl()), 'build first: npx tsup').toBe(true);
  });

  it('workers 1 and 2 give the same scoreboard bytes; feature cache off gives the same records', async () => {
    const base = { spec: smallSpec(), baseConfig: defaultConfig(), inputs: samplePaths() };
    const one = await runSweep({ ...base, out: join(dir, 'w1'), workers: 1 });
    const two = await runSweep({ ...base, out: join(dir, 'w2'), workers: 2 });
    const off = await runSweep({ ...base, out: join(dir, 'off'), workers: 2, featureCache: false });
    expect(one.plans).toBe(6);
    expect(one.ran).toBe(6);
    expect(one.failed).toBe(0);
    expect(one.featureTables, 'one features section: one table').toBe(1);
    expect(off.featureTables).toBe(0);
    // six signal configurations, a pass each: nothing to replay
    expect(one.signalTapes).toEqual({ recorded: 6, replayed: 0 });
    expect(off.signalTapes, 'features in every run: no tapes').toEqual({ recorded: 0, replayed: 0 });
    // one worker makes the market before its first run (of two, one makes it while the other runs: how many runs come before it is shared varies)
    expect(one.marketRuns, 'every run reads the market the worker made').toBe(6);
    expect(off.marketRuns).toBe(0);
    const bytes = (d: string, f: string) => readFileSync(join(d, f));
    for (const f of ['scoreboard.json', 'scoreboard.csv', 'scoreboard.parquet', 'scoreboard.html']) {
      expect(bytes(two.dir, f).equals(bytes(one.dir, f)), `${f}: 2 workers = 1 worker`).toBe(true);
      expect(bytes(off.dir, f).equals(bytes(one.dir, f)), `${f}: cache off = cache on`).toBe(true);
    }
    const board = one.scoreboard!;
    expect(board.rows.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5, 6]);
    // the ranking is by the objective out of sample, best first (checked from the rows themselves)
    const oos = board.rows.map((r) => r.objectiveOos!);
    expect([...oos].sort((a, b) => b - a)).toEqual(oos);
    expect(readRuns(join(one.dir, 'runs.jsonl')).records).toHaveLength(6);
    // the CSV has one row per run and a column per parameter
    const csv = scoreboardCsv(board).trim().split('\n');
    expect(csv).toHaveLength(7);
    expect(csv[0]).toMatch(/^rank,index,hash,signal\.buy_threshold,signal\.sell_threshold,is_totalReturn,/);
    // the Parquet file read back by an independent reader: the same rows as the board
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      const rows = (await con.runAndReadAll(`select rank, index, hash, "signal.sell_threshold", oos_totalReturn, error from '${join(one.dir, 'scoreboard.parquet')}'`)).getRows();
      expect(rows).toEqual(board.rows.map((r) => [r.rank, r.index, r.hash, r.params['signal.sell_threshold'], r.oos!.totalReturn, null]));
    } finally {
      con.closeSync();
    }
  });

  it('runs of one signal configuration go to the worker that ran it: the signal layer runs about once per configuration, whatever the plan order', async () => {
    // the strategy parameter first: in plan order the three signal configurations take turns
    const spec = sweepSpec({
      name: 'interleaved',
      base: { signal: { warmup_sec: 20, cooldown_sec: 5 } },
      parameters: { 'strategy.stop_loss_bps': { values: [0, 5, 10, 20] }, 'signal.buy_threshold': { values: [0.5, 1, 1.5] } },
      objective: { metric: 'totalReturn' },
      validation: { scheme: 'split', train: 0.7 },
      returns_interval: '10s',
    } as never);
    const base = { spec, baseConfig: defaultConfig(), inputs: samplePaths() };
    const two = await runSweep({ ...base, out: join(dir, 'aff2'), workers: 2 });
    const one = await runSweep({ ...base, out: join(dir, 'aff1'), workers: 1 });
    expect(two.plans).toBe(12);
    // taken in plan order, each worker would compute every configuration it meets: up to 6
    expect(two.signalTapes.recorded, 'at most one configuration computed by both workers').toBeLessThanOrEqual(4);
    expect(two.signalTapes.recorded + two.signalTapes.replayed).toBe(12);
    expect(one.signalTapes).toEqual({ recorded: 3, replayed: 9 });
    for (const f of ['scoreboard.json', 'scoreboard.csv']) expect(readFileSync(join(two.dir, f)).equals(readFileSync(join(one.dir, f))), f).toBe(true);
  });

  it('--resume runs again what is missing and what a worker crash failed, not what failed by itself', async () => {
    const base = { spec: smallSpec(), baseConfig: defaultConfig(), inputs: samplePaths(), workers: 2 };
    const out = join(dir, 'w1');
    const runs = join(out, 'runs.jsonl');
    const recs = readRuns(runs).records.sort((a, b) => a.index - b.index);
    const failedAlone = (r: RunRecord, error: string): RunRecord => ({ ...r, is: null, oos: null, segments: [], returns: [], error });
    // run 0's worker died under it, run 1 never finished, run 2 failed by itself
    writeFileSync(runs, [failedAlone(recs[0]!, 'worker crashed: worker exited with code 134'), failedAlone(recs[2]!, 'its own error'), ...recs.slice(3)].map(recordLine).join(''));
    const s = await runSweep({ ...base, out, resume: true });
    expect(s.skipped).toBe(4);
    expect(s.ran, 'runs 0 and 1 again').toBe(2);
    const board = s.scoreboard!;
    const whole = JSON.parse(readFileSync(join(dir, 'w2', 'scoreboard.json'), 'utf8')) as { rows: { index: number; objectiveOos: number }[] };
    const oos = (rows: { index: number; objectiveOos: number | null }[], i: number) => rows.find((r) => r.index === i)!.objectiveOos;
    expect(board.rows.find((r) => r.index === 2)!.error, 'run 2 was not run again').toBe('its own error');
    for (const i of [0, 1, 3, 4, 5]) expect(oos(board.rows, i), `run ${i}`).toBe(oos(whole.rows, i));
    // put the true record of run 2 back: the same bytes as the sweep run whole (the crash record superseded)
    appendFileSync(runs, recordLine(recs[2]!));
    await runSweep({ ...base, out, resume: true });
    expect(readFileSync(join(out, 'scoreboard.json')).equals(readFileSync(join(dir, 'w2', 'scoreboard.json')))).toBe(true);
  });

  it('a sweep worker that dies mid-sweep fails its run alone; the worker started in its place gets the sweep and runs the rest; --resume completes the board', async () => {
    // the real worker, ending its thread as plan 3's record is sent, once
    const workerUrl = faultyWorker('crash-on-plan-3', 3, 'process.exit(7);');
    // one worker: every run after the crash is the replacement's
    const base = { spec: smallSpec(), baseConfig: defaultConfig(), inputs: samplePaths(), workers: 1, workerUrl };
    const out = join(dir, 'crash');
    const s = await runSweep({ ...base, out });
    expect(s.crashes).toBe(1);
    expect([s.ran, s.failed]).toEqual([6, 1]);
    const recs = readRuns(join(out, 'runs.jsonl')).records;
    expect(recs.filter((r) => r.error !== null).map((r) => [r.index, r.error])).toEqual([[3, expect.stringMatching(/^worker crashed: .*code 7/)]]);
    const whole = JSON.parse(readFileSync(join(dir, 'w2', 'scoreboard.json'), 'utf8')) as { rows: { index: number; objectiveOos: number }[] };
    for (const i of [0, 1, 2, 4, 5]) expect(s.scoreboard!.rows.find((r) => r.index === i)!.objectiveOos, `run ${i}`).toBe(whole.rows.find((r) => r.index === i)!.objectiveOos);
    const again = await runSweep({ ...base, out, resume: true });
    expect([again.skipped, again.ran, again.crashes]).toEqual([5, 1, 0]);
    expect(readFileSync(join(out, 'scoreboard.json')).equals(readFileSync(join(dir, 'w2', 'scoreboard.json'))), 'the board of the sweep run whole').toBe(true);
  });

  it('a run that outlasts runTimeoutMs is recorded as timed out and its worker replaced; the other runs go on; --resume runs it again', async () => {
    // the real worker, spinning for ever instead of sending plan 4's record, once
    const workerUrl = faultyWorker('hang-on-plan-4', 4, 'for (;;);');
    const base = { spec: smallSpec(), baseConfig: defaultConfig(), inputs: samplePaths(), workers: 2, workerUrl, runTimeoutMs: 4000 };
    const out = join(dir, 'hang');
    const s = await runSweep({ ...base, out });
    expect([s.ran, s.failed, s.crashes]).toEqual([6, 1, 1]);
    const recs = readRuns(join(out, 'runs.jsonl')).records;
    expect(recs.filter((r) => r.error !== null).map((r) => [r.index, r.error])).toEqual([[4, 'run timed out: not finished after 4 s: its worker was stopped']]);
    const again = await runSweep({ ...base, out, resume: true });
    expect([again.skipped, again.ran, again.failed, again.crashes]).toEqual([5, 1, 0, 0]);
    expect(readFileSync(join(out, 'scoreboard.json')).equals(readFileSync(join(dir, 'w2', 'scoreboard.json'))), 'the board of the sweep run whole').toBe(true);
  });

  it('a dataset read through the Arrow IPC cache: the same data id and scoreboard bytes as the captures it was made from', async () => {
    const ds = join(dir, 'dataset');
    const c = await cli('convert', ...samplePaths(), '--out', ds);
    expect(c.code, c.err).toBe(0);
    const out = join(dir, 'from-dataset');
    const first = await runSweep({ spec: smallSpec(), baseConfig: defaultConfig(), inputs: [ds], out, workers: 2 });
    expect(readdirSync(join(out, '.ipc-cache')).length, 'the slice is cached').toBe(1);
    const again = await runSweep({ spec: smallSpec(), baseConfig: defaultConfig(), inputs: [ds], out, workers: 2 });
    expect(again.setup.sweep).toBe(first.setup.sweep);
    expect(first.events).toBe(77_876);
    expect(readFileSync(join(out, 'scoreboard.json')).equals(readFileSync(join(dir, 'w2', 'scoreboard.json'))), 'dataset = captures').toBe(true);
  });

  it('runPlans starting its own workers: this thread computes the first features section while they load, a worker the next; the records of the plans run in this thread', async () => {
    const table = await (await DataReader.open(samplePaths())).table();
    // the first section ('1ev') cannot be built here: its runs compute their own and record why
    const spec = sweepSpec({ name: 'own-pool', parameters: { 'features.zscore_window': { values: ['1ev', '30s', '60s'] }, 'signal.buy_threshold': { values: [1, 2] } }, objective: { metric: 'totalReturn' }, returns_interval: '10s' } as never);
    const plans = expandSweep(spec, defaultConfig());
    const setup = sweepSetup(spec, plans, table, 'sample');
    const records: RunRecord[] = [];
    const r = await runPlans(plans, table, setup, { workers: 2, workerUrl: sweepWorkerUrl(), featureCache: true, onRecord: (x) => records.push(x) });
    expect(r.featureTables, 'the two sections that can be built, shared').toBe(2);
    expect(r.marketRuns, 'the market made here, read by every run on shared features').toBe(4);
    records.sort((a, b) => a.index - b.index);
    expect(records.filter((x) => x.error !== null).length).toBe(2);
    expect(JSON.stringify(records)).toBe(JSON.stringify(evaluatePlans(plans, table, setup, { shareFeatures: false })));
  });

  it('a failing run is recorded with its error; the others go on', async () => {
    // a z-score window of 1 event passes the schema (a valid span) but cannot hold the 30 points the
    // z-score needs: its features section cannot be built, so its run fails when it starts
    const spec = sweepSpec({ name: 'failing', parameters: { 'features.zscore_window': { values: ['30s', '1ev', '60s'] } }, objective: { metric: 'totalReturn' }, returns_interval: '10s' } as never);
    const s = await runSweep({ spec, baseConfig: defaultConfig(), inputs: samplePaths(), out: join(dir, 'fail'), workers: 2 });
    expect(s.ran).toBe(3);
    expect(s.failed).toBe(1);
    expect(s.featureTables, 'two of the three features sections computed and shared').toBe(2);
    const board = s.scoreboard!;
    const bad = board.rows.find((r) => r.params['features.zscore_window'] === '1ev')!;
    expect(bad.error).toMatch(/a window of 1 events cannot hold the 30 points/);
    expect(bad.rank, 'a failed run is unranked').toBeNull();
    expect(board.rows[board.rows.length - 1], 'and listed last').toBe(bad);
    for (const r of board.rows.filter((x) => x !== bad)) {
      expect(r.error).toBeNull();
      expect(Number.isFinite(r.objectiveOos), `run ${r.index} has its metrics`).toBe(true);
    }
    expect(board.failed).toBe(1);
  });
});

describe('mergeScoreboard', () => {
  it('refuses parts of different sweeps and missing shards', async () => {
    const base = { baseConfig: defaultConfig(), inputs: samplePaths(), workers: 2 };
    const out = join(dir, 'shards');
    await runSweep({ ...base, spec: smallSpec(), out, shard: { index: 0, count: 2, from: '--shard' } });
    await expect(mergeScoreboard([out], join(dir, 'merged-missing'))).rejects.toThrow(/3 of 6 runs of sweep small are missing .*shards of 2 without a run: 1/);
    const other = join(dir, 'other');
    await runSweep({ ...base, spec: smallSpec({ 'risk.max_leverage': { values: [1] } }), out: other, shard: { index: 1, count: 2, from: '--shard' } });
    await expect(mergeScoreboard([join(out, 'part-0-of-2'), join(other, 'part-1-of-2')], join(dir, 'merged-mixed'))).rejects.toThrow(/a part of another sweep/);
  });
});
