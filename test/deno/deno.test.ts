/**
 * The pure layers run under Deno: `run-features.mjs` imports the BUILT package's root entry
 * (`dist/index.js`) in Deno, offline (`--no-remote --cached-only`, an empty Deno cache, the npm
 * dependencies resolved from this repository's node_modules with `--node-modules-dir=manual`),
 * with read permission for its one input file and nothing else, and computes a small feature
 * set on the first 800 best bid/ask updates of a real BTCUSDT capture and the trades between
 * them (about 950 events). Node computes the same on the sources; the two must agree to 1e-12.
 * The build is made first when `dist/index.js` is missing or older than a source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lib from '../../src/index.js';
import { readCapture } from '../../src/io/capture.js';
import { dataPath } from '../helpers/data.js';
import { smallFeatures, type SmallInput, type SmallOutput } from './small-features.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const dist = join(repo, 'dist/index.js');
const deno = join(repo, 'node_modules/.bin/deno');
const QUOTES = 800;

/** Newest modification time of the files under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

let tmp: string;
let inputFile: string;
let input: SmallInput;

beforeAll(async () => {
  const sourcesTime = Math.max(newest(join(repo, 'src')), statSync(join(repo, 'tsup.config.ts')).mtimeMs);
  if (!existsSync(dist) || statSync(dist).mtimeMs < sourcesTime) {
    execFileSync('npx', ['tsup'], { cwd: repo, stdio: 'pipe', timeout: 120_000 });
  }
  // the first QUOTES best bid/ask updates of the capture and the trades of the same span
  const q: SmallInput['quotes'] = { ts: [], bidPrice: [], bidQty: [], askPrice: [], askQty: [], updateId: [] };
  const t: SmallInput['trades'] = { ts: [], price: [], qty: [], side: [], market: [] };
  for await (const { kind, batch } of readCapture(dataPath('binance-ws/usdm/btcusdt_20240808.gz'))) {
    if (kind === 'quote') {
      const c = lib.quoteColumns(batch);
      for (let i = 0; i < c.ts.length && q.ts.length < QUOTES; i++) {
        q.ts.push(c.ts[i]!);
        q.bidPrice.push(c.bidPrice[i]!);
        q.bidQty.push(c.bidQty[i]!);
        q.askPrice.push(c.askPrice[i]!);
        q.askQty.push(c.askQty[i]!);
        q.updateId.push(c.updateId![i]!);
      }
    } else if (kind === 'trade') {
      const c = lib.tradeColumns(batch);
      for (let i = 0; i < c.ts.length; i++) {
        t.ts.push(c.ts[i]!);
        t.price.push(c.price[i]!);
        t.qty.push(c.qty[i]!);
        t.side.push(c.side[i]!);
        t.market.push(c.market[i]!);
      }
    }
  }
  const end = q.ts[q.ts.length - 1]!;
  const nt = t.ts.findIndex((x) => x > end);
  if (nt >= 0) for (const k of Object.keys(t) as (keyof SmallInput['trades'])[]) t[k].length = nt;
  input = { quotes: q, trades: t };
  tmp = mkdtempSync(join(tmpdir(), 'ofi-deno-'));
  inputFile = join(tmp, 'events.json');
  writeFileSync(inputFile, JSON.stringify(input));
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Run the Deno script offline on the input file; returns its parsed output. */
function runDeno(): SmallOutput & { runtime: string } {
  const out = execFileSync(
    deno,
    ['run', '--no-remote', '--cached-only', '--no-prompt', '--node-modules-dir=manual', `--allow-read=${inputFile}`, join(here, 'run-features.mjs'), inputFile],
    { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env: { ...process.env, DENO_DIR: join(tmp, 'deno-cache'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' } },
  );
  return JSON.parse(out);
}

/** Largest |a − b| over two arrays (JSON `null` is NaN), and how many places only one is NaN. */
function compare(a: readonly (number | null)[], b: readonly number[]): { maxAbs: number; nanMismatch: number } {
  let maxAbs = 0;
  let nanMismatch = 0;
  for (let i = 0; i < b.length; i++) {
    const x = a[i] ?? NaN;
    const y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) nanMismatch++;
    } else maxAbs = Math.max(maxAbs, Math.abs(x - y));
  }
  return { maxAbs, nanMismatch };
}

describe('the pure layers under Deno', () => {
  it('the built root entry imports no Node module: only relative chunks and npm dependencies', () => {
    const deps = Object.keys(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).dependencies);
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']|\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
        else bare.add(spec);
      }
    };
    visit(dist);
    const node = [...bare].filter((s) => s.startsWith('node:') || builtinModules.includes(s));
    expect(node, 'a Node built-in in the pure entry would not run in Deno or a browser').toEqual([]);
    expect([...bare].filter((s) => !deps.includes(s)), 'bare imports of the pure entry are declared dependencies').toEqual([]);
  });

  it('computes OFI, z-score, CVD and fusion on real events as Node does, to 1e-12', () => {
    expect(input.quotes.ts.length).toBe(QUOTES);
    expect(input.trades.ts.length, 'the span holds trades too').toBeGreaterThan(50);
    const d = runDeno();
    expect(d.runtime).toMatch(/^deno 2\./);
    const n = smallFeatures(lib, input);
    expect(d.fp).toBe(n.fp);
    for (const k of ['ofi', 'z', 'cvdBase', 'cvdQuote', 'zOfi', 'zCvd', 'score', 'side', 'consistency', 'divergenceKnownTs', 'streamScore'] as const) {
      const c = compare(d[k], n[k]);
      expect(d[k].length, k).toBe(n[k].length);
      expect(c.nanMismatch, `${k}: NaN in one runtime only`).toBe(0);
      expect(c.maxAbs, `${k}: Deno and Node differ`).toBeLessThanOrEqual(1e-12);
    }
    // the computation did something: warm z-scores and fused scores, streaming equal to columnar
    expect(n.z.filter((x) => !Number.isNaN(x)).length).toBeGreaterThan(QUOTES / 2);
    expect(n.score.filter((x) => !Number.isNaN(x)).length).toBeGreaterThan(QUOTES / 4);
    expect(compare(n.streamScore, n.score).maxAbs).toBeLessThanOrEqual(1e-12);
  });

  it('is refused a file it was not allowed to read', () => {
    const probe = join(tmp, 'probe.mjs');
    writeFileSync(probe, `try { await Deno.readTextFile(${JSON.stringify(join(repo, 'package.json'))}); console.log('read'); } catch (e) { console.log(e.name); }\n`);
    const out = execFileSync(deno, ['run', '--no-remote', '--no-prompt', `--allow-read=${inputFile}`, probe], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, DENO_DIR: join(tmp, 'deno-cache'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    });
    expect(out.trim()).toBe('NotCapable');
  });
});
