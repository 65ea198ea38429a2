/**
 * `ofi-backtest sweep` and `scoreboard show|merge` on the bundled sample, through the built CLI
 * (`node dist/cli/bin.js`, as a cluster would start it; `npx tsup` first — `npm test` builds in
 * its pretest):
 *
 * - the same sweep split into 3 shards, each process started with its own JOB_COMPLETION_INDEX
 *   as in a Kubernetes Indexed Job, and merged, gives scoreboard.json (and the CSV and Parquet)
 *   byte for byte as the sweep run whole;
 * - a sweep killed with SIGKILL part-way (a line cut short appended as a kill mid-write would
 *   leave it), then --resume: the same bytes, and the resumed process ran only the missing runs;
 * - `scoreboard show` prints the table, --sort re-sorts by a metric, --json prints only JSON;
 * - errors are one line and exit 2: a bad sweep file (file:line: field), an unknown metric, a
 *   shard out of range, a shard index without a count, parts of different sweeps;
 * - the examples: the Kubernetes manifest parses and its sweep file is valid, the Slurm script
 *   submits its array and the dependent merge (sbatch stubbed) and one array task runs its shard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { cli } from '../helpers/run-cli.js';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const bin = join(repo, 'dist/cli/bin.js');
let dir: string;
let spec: string;

/** 3 × 2 × 2 = 12 runs: signal thresholds and the take-profit, 10 s returns, a 70/30 split. */
const SPEC = `name: cli-small
base:
  signal: { warmup_sec: 20, cooldown_sec: 5 }
  risk: { vol_warmup: 20 }
parameters:
  signal.buy_threshold: { values: [1, 1.5, 2] }
  signal.sell_threshold: { values: [1, 2] }
  strategy.take_profit_bps: { values: [10, 20] }
objective: { metric: totalReturn }
validation: { scheme: split, train: 0.7 }
returns_interval: 10s
`;

/** Run the built CLI; resolves to its exit code and output. */
function node(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => res({ code: code ?? -1, out, err }));
  });
}

const file = (...p: string[]) => readFileSync(join(dir, ...p));
const lines = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter((l) => l.endsWith('}')).length : 0);

beforeAll(async () => {
  expect(existsSync(bin), 'build first: npx tsup').toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'sweep-cli-'));
  spec = join(dir, 'sweep.yaml');
  writeFileSync(spec, SPEC);
  // the whole sweep on one machine: the reference
  const r = await node(['sweep', spec, '--out', 'whole', '--workers', '2', '--json']);
  expect(r.code, r.err).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ofi-backtest sweep', () => {
  it('the whole sweep: --json prints only JSON; its scoreboard has every run', () => {
    const board = JSON.parse(file('whole', 'scoreboard.json').toString());
    expect(board.runs).toBe(12);
    expect(board.rows.map((r: { index: number }) => r.index).sort((a: number, b: number) => a - b)).toEqual([...Array(12).keys()]);
  });

  it('3 shards started with JOB_COMPLETION_INDEX 0, 1, 2, merged: the same scoreboard bytes as the whole sweep', async () => {
    const shards = await Promise.all([0, 1, 2].map((i) => node(['sweep', spec, '--shards', '3', '--out', 'sharded', '--workers', '1', '--json'], { JOB_COMPLETION_INDEX: String(i) })));
    shards.forEach((r, i) => {
      expect(r.code, r.err).toBe(0);
      const j = JSON.parse(r.out);
      expect(j.shard).toEqual({ index: i, count: 3 });
      expect(j.ran, 'runs with index % 3 = i').toBe(4);
      expect(j.scoreboard, 'a part has no scoreboard of its own').toBeNull();
    });
    const m = await cli('scoreboard', 'merge', join(dir, 'sharded'), '--out', join(dir, 'merged'));
    expect(m.code, m.err).toBe(0);
    expect(m.out).toMatch(/Merged 3 parts: 12 runs/);
    for (const f of ['scoreboard.json', 'scoreboard.csv', 'scoreboard.parquet', 'scoreboard.html']) {
      expect(file('merged', f).equals(file('whole', f)), `${f}: merged = whole`).toBe(true);
    }
  });

  it('killed with SIGKILL part-way, then --resume: the same bytes, and only the missing runs run again', async () => {
    const out = join(dir, 'killed');
    const runs = join(out, 'runs.jsonl');
    const p = spawn(process.execPath, [bin, 'sweep', spec, '--out', out, '--workers', '1', '--json'], { cwd: dir });
    const exited = new Promise((r) => p.on('close', r));
    while (lines(runs) < 4 && p.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    p.kill('SIGKILL');
    await exited;
    const before = lines(runs);
    expect(before, 'killed part-way (raise the sweep size if the machine is very fast)').toBeLessThan(12);
    // as a kill in the middle of a write would leave it
    appendFileSync(runs, '{"sweep":"cut sho');
    const r = await node(['sweep', spec, '--out', out, '--workers', '2', '--resume', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.skipped, 'the finished runs were not run again').toBe(before);
    expect(j.ran).toBe(12 - before);
    expect(lines(runs), 'every run once in runs.jsonl').toBe(12);
    expect(new Set(readFileSync(runs, 'utf8').trim().split('\n').map((l) => JSON.parse(l).hash)).size).toBe(12);
    for (const f of ['scoreboard.json', 'scoreboard.csv', 'scoreboard.parquet']) {
      expect(file('killed', f).equals(file('whole', f)), `${f}: resumed = whole`).toBe(true);
    }
  });

  it('without --resume an existing runs.jsonl is started afresh', async () => {
    const r = await cli('sweep', spec, '--out', join(dir, 'whole'), '--workers', '2', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).ran).toBe(12);
    expect(lines(join(dir, 'whole', 'runs.jsonl'))).toBe(12);
  });
});

describe('ofi-backtest scoreboard show', () => {
  it('prints the table best first, with the DSR and PBO lines', async () => {
    const r = await cli('scoreboard', 'show', join(dir, 'whole'), '--top', '3');
    expect(r.code, r.err).toBe(0);
    const board = JSON.parse(file('whole', 'scoreboard.json').toString());
    expect(r.out).toMatch(/Sweep cli-small \([0-9a-f]+\): 12 runs, 0 failed; objective max totalReturn out of sample; train\/test split/);
    const rows = r.out.split('\n').filter((l) => /^\s+\d+\s/.test(l));
    expect(rows).toHaveLength(3);
    rows.forEach((l, i) => expect(l.trim().split(/\s+/)[0]).toBe(String(i + 1)));
    expect(rows[0]).toContain(board.rows[0].hash.slice(0, 12));
    expect(r.out).toMatch(/^Deflated Sharpe ratio/m);
    expect(r.out).toMatch(/^Probability of backtest overfitting/m);
  });

  it('--sort a metric, --json only JSON', async () => {
    const r = await cli('scoreboard', 'show', join(dir, 'whole'), '--sort', 'totalTrades:asc', '--top', '12', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    const trades = j.rows.map((x: { oos: { totalTrades: number } }) => x.oos.totalTrades);
    expect(trades).toEqual([...trades].sort((a: number, b: number) => a - b));
    expect(j.rows).toHaveLength(12);
  });
});

describe('one-line errors, exit 2', () => {
  const oneLine = (r: { code: number; err: string }, re: RegExp) => {
    expect(r.code, r.err).toBe(2);
    expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
    expect(r.err).toMatch(re);
  };

  it('a bad sweep file names the file, the line and the field', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nparameters:\n  signal.buy_treshold: { values: [1, 2] }\n');
    oneLine(await cli('sweep', bad, '--out', join(dir, 'bad')), /bad\.yaml:3: parameters\.signal\.buy_treshold: unknown parameter \(closest: signal\.buy_threshold\)/);
    oneLine(await cli('sweep', join(dir, 'nope.yaml')), /nope\.yaml: no such file/);
  });

  it('an unknown metric, a shard out of range, an index without a count', async () => {
    oneLine(await cli('scoreboard', 'show', join(dir, 'whole'), '--sort', 'sharp'), /--sort: unknown metric 'sharp'; the scoreboard has totalReturn, sharpe/);
    oneLine(await cli('sweep', spec, '--shard', '3/3', '--out', join(dir, 'x')), /--shard: shard 3 is out of range for 3 shards \(0 to 2\)/);
    oneLine(await cli('sweep', spec, '--run-timeout', '-1', '--out', join(dir, 'x')), /--run-timeout.*expected seconds from 0 \(no limit\) to 604800 \(a week\), got '-1'/);
    const prev = process.env.JOB_COMPLETION_INDEX;
    process.env.JOB_COMPLETION_INDEX = '1';
    try {
      oneLine(await cli('sweep', spec, '--out', join(dir, 'x')), /JOB_COMPLETION_INDEX=1 is set but not the number of shards: give --shards N/);
    } finally {
      if (prev === undefined) delete process.env.JOB_COMPLETION_INDEX;
      else process.env.JOB_COMPLETION_INDEX = prev;
    }
  });

  it('parts of different sweeps are not merged', async () => {
    const other = join(dir, 'other.yaml');
    writeFileSync(other, SPEC.replace('values: [10, 20]', 'values: [10, 30]'));
    const r = await node(['sweep', other, '--shard', '1/3', '--out', 'other', '--workers', '1', '--json']);
    expect(r.code, r.err).toBe(0);
    oneLine(await cli('scoreboard', 'merge', join(dir, 'sharded', 'part-0-of-3'), join(dir, 'other', 'part-1-of-3'), '--out', join(dir, 'mixed')), /a part of another sweep .*cannot be merged/);
  });
});

describe('examples', () => {
  it('k8s-sweep-job.yaml: an Indexed Job of 3 pods running the shards, its sweep file valid', () => {
    const text = readFileSync(join(repo, 'examples/k8s-sweep-job.yaml'), 'utf8');
    const docs = parseAllDocuments(text);
    for (const d of docs) expect(d.errors, 'parses').toEqual([]);
    const [cm, job] = docs.map((d) => d.toJS());
    expect(job.kind).toBe('Job');
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.completions).toBe(3);
    expect(job.spec.parallelism).toBe(3);
    const c = job.spec.template.spec.containers[0];
    expect(c.command).toEqual(['npx', '--yes', 'ofi-backtest', 'sweep', 'sweep.yaml', '--shards', '3', '--out', '/results', '--resume']);
    expect(c.volumeMounts.map((v: { mountPath: string }) => v.mountPath)).toContain('/results');
    expect(cm.kind).toBe('ConfigMap');
    const s = parseSweepSpec(cm.data['sweep.yaml'], 'k8s-sweep-job.yaml sweep.yaml');
    expect(Object.keys(s.parameters).length).toBeGreaterThan(0);
    expect(text, 'the merge step is documented').toMatch(/scoreboard merge \/results --out \/results/);
  });

  it('slurm-sweep.sh: submits the array and a merge after it; an array task runs its shard', () => {
    const script = join(repo, 'examples/slurm-sweep.sh');
    const text = readFileSync(script, 'utf8');
    expect(text).toMatch(/^#SBATCH --array=0-2$/m);
    expect(spawnSync('bash', ['-n', script]).status, 'bash syntax').toBe(0);
    // submission, with sbatch stubbed: the array, then the merge depending on it
    const stub = join(dir, 'stub');
    rmSync(stub, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', stub]);
    writeFileSync(join(stub, 'sbatch'), `#!/bin/bash\necho "$@" >> ${join(dir, 'sbatch.log')}\necho 4242\n`);
    chmodSync(join(stub, 'sbatch'), 0o755);
    const env = { ...process.env, PATH: `${stub}:${process.env.PATH}`, SLURM_JOB_ID: '' };
    const sub = spawnSync('bash', [script, spec, join(dir, 'slurm')], { env, encoding: 'utf8', timeout: 30_000 });
    expect(sub.status, sub.stderr).toBe(0);
    const calls = readFileSync(join(dir, 'sbatch.log'), 'utf8').trim().split('\n');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toContain(`${script} ${spec} ${join(dir, 'slurm')}`);
    expect(calls[1]).toMatch(/--dependency=afterok:4242 .*scoreboard merge '.*slurm' --out '.*slurm'/);
    // one array task (index 5 of an array 4-6): shard 1 of 3
    const task = spawnSync('bash', [script, spec, join(dir, 'slurm')], {
      env: { ...process.env, SLURM_JOB_ID: '4242', SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '4', SLURM_ARRAY_TASK_COUNT: '3', SLURM_CPUS_PER_TASK: '1', OFI: `${process.execPath} ${bin}` },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(task.status, task.stderr).toBe(0);
    expect(task.stdout).toMatch(/shard 1\/3 \(SLURM_ARRAY_TASK_ID\): 4/);
    expect(existsSync(join(dir, 'slurm', 'part-1-of-3', 'runs.jsonl'))).toBe(true);
    expect(lines(join(dir, 'slurm', 'part-1-of-3', 'runs.jsonl'))).toBe(4);
  });
});
