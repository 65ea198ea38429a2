/**
 * The notebooks of `notebooks/` run headless under the Deno Jupyter kernel, as CI runs them:
 * `jupyter nbconvert --to notebook --execute` on each, exit code 0, no cell output of type
 * `error`; then what they show is checked against numbers worked here independently.
 *
 * - `ofi-quickstart.ipynb`: its per-symbol table against the bundled captures parsed here with
 *   nothing but `JSON.parse` — message counts, CVD (Σ ±qty of market prints, Binance `m: true` ⇒
 *   the aggressor sold), cumulative OFI (e_n of Cont, Kukanov & Stoikov 2014, summed over the
 *   bookTicker updates in arrival order, an update whose `u` is not above the highest seen
 *   skipped), and the first and last mid; the counts also against the sample facts the README
 *   states. Its two plots are SVG with the symbol in the title.
 * - `backtest.ipynb`: its headline metrics against what `node dist/cli/bin.js backtest --json`
 *   prints for the same sample (end value, return, fees, trades, events, config hash), and its
 *   equity chart marks one fill per CLI fill.
 *
 * Needs Jupyter's nbconvert (Debian: `apt-get install -y jupyter-nbconvert python3-nbclient`)
 * and the built package (`dist/`, which `npm test`'s pretest builds). The Deno kernel is this
 * checkout's `node_modules/.bin/deno` (a devDependency), given to Jupyter through a kernelspec
 * written to a temporary `JUPYTER_PATH` here, so nothing is installed into the user's Jupyter
 * folders and no other checkout's kernelspec is used. A missing tool fails the test, naming what
 * to install; it never skips.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const notebooksDir = join(repo, 'notebooks');
const sampleDir = join(repo, 'data/sample');
const denoBin = join(repo, 'node_modules/.bin/deno');
const NOTEBOOKS = existsSync(notebooksDir) ? readdirSync(notebooksDir).filter((n) => n.endsWith('.ipynb')).sort() : [];
/** Generous: each notebook takes a few seconds; a loaded CI machine may take many times that. */
const RUN_TIMEOUT_MS = 240_000;
/** A test that may be the first to run a notebook (and the command line). */
const TEST_TIMEOUT_MS = RUN_TIMEOUT_MS + 130_000;

// ---------------------------------------------------------------- notebook JSON

interface Output {
  output_type: 'stream' | 'display_data' | 'execute_result' | 'error';
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}
interface Cell {
  cell_type: 'code' | 'markdown' | 'raw';
  id?: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: Output[];
  metadata: Record<string, unknown>;
}
interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: { kernelspec?: { name?: string; language?: string } };
  cells: Cell[];
}

const joined = (x: string | string[] | undefined): string => (Array.isArray(x) ? x.join('') : (x ?? ''));
const outputsOf = (nb: Notebook): Output[] => nb.cells.flatMap((c) => c.outputs ?? []);
/** Every `text/markdown` output, in order. */
const markdownOutputs = (nb: Notebook): string[] => outputsOf(nb).flatMap((o) => (o.data?.['text/markdown'] !== undefined ? [joined(o.data['text/markdown'])] : []));
const svgOutputs = (nb: Notebook): string[] => outputsOf(nb).flatMap((o) => (o.data?.['image/svg+xml'] !== undefined ? [joined(o.data['image/svg+xml'])] : []));

/** The rows of the markdown table whose header starts with `head`, as objects keyed by the header. */
function tableAfter(nb: Notebook, head: string): Record<string, string>[] {
  const text = markdownOutputs(nb).find((t) => t.startsWith(head));
  expect(text, `a table with the header "${head}…" among the outputs`).toBeDefined();
  const cells = (line: string) => line.replace(/^\|\s*|\s*\|$/g, '').split(/\s*\|\s*/);
  const [header, , ...rows] = text!.split('\n');
  const keys = cells(header!);
  return rows.map((r) => Object.fromEntries(cells(r).map((v, i) => [keys[i]!, v])));
}

/** `-1,661.668` → −1661.668 */
const num = (s: string | undefined): number => Number((s ?? '').replace(/,/g, ''));
const fix = (x: number, d: number) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

// ---------------------------------------------------------------- running

let work = '';
let env: NodeJS.ProcessEnv = {};

/** stdout of a command, or null when it cannot be run. */
function probe(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch {
    return null;
  }
}

let ready: string | null = null;

/**
 * Check the tools and write the kernelspec, once. Called by each test that runs a notebook, so
 * that a missing tool fails every such test with the message (a failing `beforeAll` would leave
 * them reported as skipped).
 */
function setup(): void {
  if (ready === 'ok') return;
  if (ready !== null) throw new Error(ready);
  const missing: string[] = [];
  if (probe('jupyter', ['nbconvert', '--version']) === null) {
    missing.push('Jupyter nbconvert with nbclient: `apt-get install -y jupyter-nbconvert python3-nbclient` (Debian/Ubuntu), or `pip install nbconvert nbclient`');
  }
  if (probe(denoBin, ['--version']) === null) missing.push(`Deno at ${denoBin}: \`npm ci\` installs it (devDependency "deno")`);
  for (const f of ['dist/index.js', 'dist/io/index.js', 'dist/cli/bin.js']) {
    if (!existsSync(join(repo, f))) missing.push(`${f}: build the package first (\`npm run build\`; \`npm test\` builds it in pretest)`);
  }
  if (missing.length > 0) {
    ready = `The notebook tests need:\n  - ${missing.join('\n  - ')}`;
    throw new Error(ready);
  }
  // the Deno kernel, as `deno jupyter --install` would write it, but in a folder of its own and
  // pointing at this checkout's binary (resolved: .bin/deno is a link)
  work = mkdtempSync(join(tmpdir(), 'ofi-notebooks-'));
  const kernelDir = join(work, 'jupyter/kernels/deno');
  mkdirSync(kernelDir, { recursive: true });
  const argv = [realpathSync(denoBin), 'jupyter', '--kernel', '--conn', '{connection_file}'];
  writeFileSync(join(kernelDir, 'kernel.json'), JSON.stringify({ argv, display_name: 'Deno', language: 'typescript' }, null, 2));
  mkdirSync(join(work, 'runtime'));
  env = {
    ...process.env,
    JUPYTER_PATH: join(work, 'jupyter'),
    JUPYTER_RUNTIME_DIR: join(work, 'runtime'),
    JUPYTER_PLATFORM_DIRS: '1',
    DENO_NO_UPDATE_CHECK: '1',
    NO_COLOR: '1',
  };
  ready = 'ok';
}

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const executed = new Map<string, Promise<Notebook>>();

/** The notebook executed by nbconvert into the work folder (once per file), parsed. */
function execute(name: string): Promise<Notebook> {
  setup();
  let p = executed.get(name);
  if (!p) {
    p = new Promise<Notebook>((done, fail) => {
      const out = join(work, 'executed');
      const args = ['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=120', '--ExecutePreprocessor.kernel_name=deno', '--output-dir', out, join(notebooksDir, name)];
      execFile('jupyter', args, { cwd: repo, env, timeout: RUN_TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, _stdout, stderr) => {
        if (err) {
          fail(new Error(`jupyter ${args.join(' ')} failed (exit ${String((err as { code?: unknown }).code)}):\n${stderr}`));
          return;
        }
        done(JSON.parse(readFileSync(join(out, name), 'utf8')) as Notebook);
      });
    });
    executed.set(name, p);
  }
  return p;
}

// ---------------------------------------------------------------- the sample, independently

interface SampleFacts {
  symbol: string;
  file: string;
  quotes: number;
  trades: number;
  /** Diffs plus the REST snapshot. */
  depth: number;
  /** Σ +qty (aggressor bought) − qty (aggressor sold) over market prints. */
  cvd: number;
  /** Σ e_n over the bookTicker updates in arrival order, stale `u` skipped. */
  cumOfi: number;
  firstMid: number;
  lastMid: number;
}

/**
 * One bundled capture, line by line: `<receive ns> <JSON>`, combined-stream wrappers
 * (`{"stream":…,"data":…}`) and the bare REST snapshot (`{"lastUpdateId":…}`).
 *
 * e_n = 1{Pb ≥ Pb'}·qb − 1{Pb ≤ Pb'}·qb' − 1{Pa ≤ Pa'}·qa + 1{Pa ≥ Pa'}·qa' (primes: the
 * previous update), Cont, Kukanov & Stoikov (2014), "The price impact of order book events".
 */
function sampleFacts(file: string): SampleFacts {
  const f: SampleFacts = { symbol: '', file, quotes: 0, trades: 0, depth: 0, cvd: 0, cumOfi: 0, firstMid: NaN, lastMid: NaN };
  let prev: { pb: number; qb: number; pa: number; qa: number } | null = null;
  let maxU = -Infinity;
  for (const line of gunzipSync(readFileSync(join(sampleDir, file))).toString('utf8').split('\n')) {
    if (!line) continue;
    const msg = JSON.parse(line.slice(line.indexOf(' ') + 1)) as { data?: Record<string, unknown>; lastUpdateId?: number };
    if (msg.lastUpdateId !== undefined) {
      f.depth++;
      continue;
    }
    const d = msg.data!;
    f.symbol ||= String(d.s);
    if (d.e === 'depthUpdate') f.depth++;
    else if (d.e === 'trade') {
      f.trades++;
      if (d.X === 'MARKET') f.cvd += (d.m ? -1 : 1) * Number(d.q);
    } else if (d.e === 'bookTicker') {
      f.quotes++;
      const q = { pb: Number(d.b), qb: Number(d.B), pa: Number(d.a), qa: Number(d.A) };
      const mid = (q.pb + q.pa) / 2;
      if (f.quotes === 1) f.firstMid = mid;
      f.lastMid = mid;
      const u = Number(d.u);
      if (u <= maxU) continue; // stale: adds no flow
      maxU = u;
      if (prev) {
        f.cumOfi +=
          (q.pb >= prev.pb ? q.qb : 0) - (q.pb <= prev.pb ? prev.qb : 0) - (q.pa <= prev.pa ? q.qa : 0) + (q.pa >= prev.pa ? prev.qa : 0);
      }
      prev = q;
    } else throw new Error(`${file}: unexpected event type ${String(d.e)}`);
  }
  return f;
}

// ---------------------------------------------------------------- tests

describe('notebooks/', () => {
  it('holds the notebooks, committed without outputs, in nbformat 4 for the Deno kernel', () => {
    expect(NOTEBOOKS, 'notebooks/*.ipynb').toEqual(expect.arrayContaining(['backtest.ipynb', 'ofi-quickstart.ipynb']));
    for (const name of NOTEBOOKS) {
      const nb = JSON.parse(readFileSync(join(notebooksDir, name), 'utf8')) as Notebook;
      expect(nb.nbformat, name).toBe(4);
      expect(nb.metadata.kernelspec?.name, `${name}: kernelspec`).toBe('deno');
      for (const c of nb.cells) {
        if (c.cell_type !== 'code') continue;
        expect(c.outputs, `${name}, cell ${c.id}: outputs cleared`).toEqual([]);
        expect(c.execution_count ?? null, `${name}, cell ${c.id}: execution count cleared`).toBeNull();
      }
    }
  });

  it.each(NOTEBOOKS)('%s runs under nbconvert with no error output', async (name) => {
    const nb = await execute(name);
    const errors = outputsOf(nb).filter((o) => o.output_type === 'error');
    expect(errors.map((e) => `${e.ename}: ${e.evalue}\n${(e.traceback ?? []).join('\n')}`), `${name}: error outputs`).toEqual([]);
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    expect(code.length, `${name}: code cells`).toBeGreaterThan(0);
    for (const c of code) expect(c.execution_count, `${name}, cell ${c.id}: executed`).toBeTypeOf('number');
  }, TEST_TIMEOUT_MS);
});

describe('ofi-quickstart.ipynb', () => {
  const facts = ['btcusdt_20240808.gz', 'ethusdt_20240808.gz'].map(sampleFacts);

  it('parses the sample as the README states it (independent reference)', () => {
    // README, "The bundled sample": BTCUSDT 30,732 quotes, 6,231 trades, 3,428 depth; ETHUSDT 27,972, 6,066, 3,447
    expect(facts.map((f) => [f.symbol, f.quotes, f.trades, f.depth])).toEqual([
      ['BTCUSDT', 30_732, 6_231, 3_428],
      ['ETHUSDT', 27_972, 6_066, 3_447],
    ]);
  });

  it('shows, per symbol, the event counts, cumulative OFI, CVD and mids of the captures', async () => {
    const nb = await execute('ofi-quickstart.ipynb');
    const counts = tableAfter(nb, '| symbol | file | quotes | trades | depth messages');
    expect(counts.map((r) => [r.symbol, r.file, num(r.quotes), num(r.trades), num(r['depth messages'])])).toEqual(
      facts.map((f) => [f.symbol, f.file, f.quotes, f.trades, f.depth]),
    );
    const flows = tableAfter(nb, '| symbol | updates |');
    expect(flows.map((r) => [r.symbol, r['mid first'], r['mid last']])).toEqual(facts.map((f) => [f.symbol, fix(f.firstMid, 3), fix(f.lastMid, 3)]));

    const summary = tableAfter(nb, '| symbol | quotes | trades | cumulative OFI | CVD (base)');
    expect(summary.map((r) => r.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    for (const [i, f] of facts.entries()) {
      const r = summary[i]!;
      expect(num(r.quotes), `${f.symbol} quotes`).toBe(f.quotes);
      expect(num(r.trades), `${f.symbol} trades`).toBe(f.trades);
      // shown with 3 decimals: within half a unit of the last digit, plus summation rounding
      expect(Math.abs(num(r['cumulative OFI']) - f.cumOfi), `${f.symbol} cumulative OFI ${r['cumulative OFI']} vs ${f.cumOfi}`).toBeLessThan(0.0005 + 1e-9);
      expect(Math.abs(num(r['CVD (base)']) - f.cvd), `${f.symbol} CVD ${r['CVD (base)']} vs ${f.cvd}`).toBeLessThan(0.0005 + 1e-9);
      const bps = (1e4 * (f.lastMid - f.firstMid)) / f.firstMid;
      expect(r['mid change (bps)'], `${f.symbol} mid change`).toBe(fix(bps, 2));
      // the fused score: rows once both z-scores are warm, at most one per quote and trade
      const fusedRows = num(r['fused rows']);
      expect(fusedRows, `${f.symbol} fused rows`).toBeGreaterThan(0);
      expect(fusedRows, `${f.symbol} fused rows`).toBeLessThanOrEqual(f.quotes + f.trades);
      const [buy, sell] = (r['rows buy / sell'] ?? '').split('/').map(num);
      expect(buy! + sell!, `${f.symbol} rows past the threshold`).toBeLessThanOrEqual(fusedRows);
      expect(Number.isFinite(num(r['last score'])), `${f.symbol} last score ${r['last score']}`).toBe(true);
    }
  }, TEST_TIMEOUT_MS);

  it('draws mid price against cumulative OFI for each symbol as SVG', async () => {
    const nb = await execute('ofi-quickstart.ipynb');
    const svgs = svgOutputs(nb);
    expect(svgs.length).toBe(2);
    for (const [i, svg] of svgs.entries()) {
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"') && svg.endsWith('</svg>'), 'one SVG element').toBe(true);
      expect(svg).toContain(`${facts[i]!.symbol}: mid price and cumulative OFI`);
      expect(svg.match(/<path d="M/g)?.length, 'two lines: mid and cumulative OFI').toBe(2);
    }
  }, TEST_TIMEOUT_MS);
});

describe('backtest.ipynb', () => {
  interface CliMetrics {
    endValue: number;
    totalReturn: number;
    totalFees: number;
    totalTrades: number;
    closedTrades: number;
    openTrades: number;
    fills: number;
    run: { configHash: string; events: number };
  }
  let cliResult: CliMetrics | null = null;

  /** `ofi-backtest backtest --json` on the sample, in a clean environment: the command reads BACKTEST_… variables, the notebook does not. */
  function cliMetrics(): CliMetrics {
    setup();
    cliResult ??= JSON.parse(execFileSync(process.execPath, ['dist/cli/bin.js', 'backtest', '--json'], { cwd: repo, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 120_000 })) as CliMetrics;
    return cliResult;
  }

  it('shows the headline metrics the command line gives for the sample', async () => {
    const nb = await execute('backtest.ipynb');
    const cli = cliMetrics();
    const rows = Object.fromEntries(tableAfter(nb, '| metric | value |').map((r) => [r.metric, r.value]));
    expect(rows['End value'], 'end value').toBe(fix(cli.endValue, 2));
    expect(rows['Total return'], 'total return').toBe(`${(100 * cli.totalReturn).toFixed(3)}%`);
    expect(rows['Total fees'], 'fees').toBe(fix(cli.totalFees, 2));
    expect(rows['Trades (closed / open)'], 'trades').toBe(`${cli.totalTrades} (${cli.closedTrades} / ${cli.openTrades})`);
    const settings = Object.fromEntries(tableAfter(nb, '| setting | value |').map((r) => [r.setting, r.value]));
    expect(settings['config hash'], 'the same configuration as the command').toBe(cli.run.configHash);
    expect(markdownOutputs(nb).some((t) => t.includes(`${cli.run.events.toLocaleString('en-US')} events`)), `${cli.run.events} events`).toBe(true);
    const trips = tableAfter(nb, '| # | symbol | direction |');
    expect(trips.length, 'one row per round trip').toBe(cli.totalTrades);
  }, TEST_TIMEOUT_MS);

  it('draws the equity curve as SVG with one mark per fill', async () => {
    const nb = await execute('backtest.ipynb');
    const cli = cliMetrics();
    const svgs = svgOutputs(nb);
    expect(svgs.length).toBe(1);
    const svg = svgs[0]!;
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"') && svg.endsWith('</svg>'), 'one SVG element').toBe(true);
    expect(svg).toContain('Equity of the default strategy');
    expect(svg.match(/<polygon /g)?.length, 'fills marked').toBe(cli.fills);
  }, TEST_TIMEOUT_MS);
});
