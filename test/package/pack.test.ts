/**
 * The published shape: the packed tarball, installed in an empty folder as a user would,
 * runs its bin on the bundled sample, and its entries load from ESM and CommonJS with types.
 * Slow (it installs the dependencies from the registry), so it runs once, in one file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
let dir: string;
let app: string;

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ofi-pack-'));
  // `npm test` builds first (pretest), so dist/ is current here
  const packed = JSON.parse(sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], repo)) as { filename: string }[];
  const tarball = join(dir, packed[0]!.filename);
  app = join(dir, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  sh('npm', ['install', '--no-package-lock', tarball], app);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the packed package', () => {
  it('ships the build, the sample with its attribution, and the default config; not the sources or tests', () => {
    const pkg = join(app, 'node_modules', 'ofi-backtest');
    expect(existsSync(join(pkg, 'dist/index.js'))).toBe(true);
    expect(existsSync(join(pkg, 'dist/index.cjs'))).toBe(true);
    expect(existsSync(join(pkg, 'dist/index.d.ts'))).toBe(true);
    expect(existsSync(join(pkg, 'dist/io/index.d.ts'))).toBe(true);
    expect(existsSync(join(pkg, 'config/defaults.yaml'))).toBe(true);
    expect(readdirSync(join(pkg, 'data/sample')).sort()).toEqual(['README.md', 'btcusdt_20240808.gz', 'ethusdt_20240808.gz']);
    expect(existsSync(join(pkg, 'src'))).toBe(false);
    expect(existsSync(join(pkg, 'test'))).toBe(false);
  });

  it('ships the license texts of every package bundled into its command line and worker threads', async () => {
    const { bundledPackages } = (await import(join(repo, 'scripts/third-party-licenses.mjs'))) as { bundledPackages: (code: string) => string[] };
    const pkg = join(app, 'node_modules', 'ofi-backtest', 'dist');
    const notice = readFileSync(join(pkg, 'THIRD-PARTY-LICENSES.md'), 'utf8');
    const bundles = [join(pkg, 'cli/bin.js'), join(pkg, 'runs/sweep-worker.js'), join(pkg, 'runs/read-worker.js')];
    const names = new Set(bundles.flatMap((b) => bundledPackages(readFileSync(b, 'utf8'))).map((d) => d.replace(/^.*node_modules\//, '')));
    // the packages the command line needs most are bundled, not loaded from node_modules
    for (const n of ['apache-arrow', 'zod', 'commander', 'yaml']) expect(names.has(n)).toBe(true);
    for (const n of names) {
      const version = (JSON.parse(readFileSync(join(repo, 'node_modules', n, 'package.json'), 'utf8')) as { version: string }).version;
      expect(notice).toContain(`## ${n} ${version} (`);
    }
    // Apache-2.0 asks for the NOTICE file too
    expect(notice).toContain('### NOTICE.txt');
  });

  it('npx ofi-backtest convert runs on the embedded sample with no input', () => {
    const out = sh('npx', ['ofi-backtest', 'convert', '--out', 'ds', '--json'], app);
    const s = JSON.parse(out);
    expect(s.sources).toHaveLength(2);
    expect(s.totalRows).toBeGreaterThan(70_000);
    expect(s.dq.ok).toBe(true);
  });

  it('npx ofi-backtest sweep runs the default sweep on the embedded sample on worker threads (the README\'s first command)', () => {
    const out = JSON.parse(sh('npx', ['ofi-backtest', 'sweep', '--workers', '2', '--out', 'sw', '--json'], app));
    expect([out.plans, out.ran, out.failed, out.workers]).toEqual([36, 36, 0, 2]);
    expect(out.scoreboard.rows[0].rank).toBe(1);
    expect(existsSync(join(app, 'sw', 'scoreboard.html'))).toBe(true);
  }, 120_000);

  it('loads from ESM and CommonJS, root and io entries', () => {
    const esm = sh('node', ['--input-type=module', '-e', "import * as o from 'ofi-backtest'; import * as io from 'ofi-backtest/io'; console.log(typeof o.OfiCalculator, typeof io.readCapture)"], app);
    expect(esm.trim()).toBe('function function');
    const cjs = sh('node', ['-e', "const o = require('ofi-backtest'); const io = require('ofi-backtest/io'); console.log(typeof o.rollingZScore, typeof io.convertSources, typeof o.buildScoreboard, typeof io.runSweep)"], app);
    expect(cjs.trim()).toBe('function function function function');
  });
});
