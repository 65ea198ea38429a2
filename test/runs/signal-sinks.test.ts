/**
 * Signal sinks: the JSONL and SQLite files of one run hold the same rows; a run killed with
 * SIGKILL leaves both readable with every flushed signal; the flush schedule; the stored
 * shapes (checked against hand-written lines and SQLite's own catalogue); throughput.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { RejectRecord } from '../../src/core/errors.js';
import { MemorySink, NullSink, SIGNAL_FIELDS, type Signal, type SignalSink } from '../../src/signals/types.js';
import {
  DualSignalSink,
  JsonlSignalSink,
  openSignalSink,
  readSignalsJsonl,
  readSignalsSqlite,
  signalFilePath,
  signalJsonLine,
  SQLITE_MISSING,
  SqliteSignalSink,
} from '../../src/runs/signal-sinks.js';
import { loadBetterSqlite } from '../../src/runs/signal-sqlite.js';
import { asStored, signalAt, signalsArb } from '../helpers/signal-arbs.js';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const work = mkdtempSync(join(tmpdir(), 'ofi-signal-sinks-'));
let dirCount = 0;
const freshDir = (): string => {
  const d = join(work, `d${dirCount++}`);
  mkdirSync(d);
  return d;
};
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** better-sqlite3 opened by the test itself, to look at the file without our reader. */
const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');

function writeAll(sink: SignalSink, signals: Signal[]): void {
  for (const s of signals) sink.write(s);
}

async function readBoth(dir: string, runId: string) {
  const rejects: RejectRecord[] = [];
  const jsonl = await readSignalsJsonl(signalFilePath(dir, runId, 'jsonl'), { onReject: (r) => rejects.push(r) });
  const sqlite = readSignalsSqlite(signalFilePath(dir, runId, 'db'), { onReject: (r) => rejects.push(r) });
  return { jsonl, sqlite, rejects };
}

describe('JSONL and SQLite hold the same rows', () => {
  it('for thousands of random signals (NaN/±Infinity/-0 numbers, empty and several reasons, null divergence)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(signalsArb('run-prop', 1000, 2500), async (signals) => {
        const dir = freshDir();
        const runId = `p${run++}`;
        const sink = openSignalSink('dual', dir, runId, { flushEvery: 97 });
        writeAll(sink, signals.map((s) => ({ ...s, run_id: runId })));
        await sink.close();
        const { jsonl, sqlite, rejects } = await readBoth(dir, runId);
        expect(rejects).toEqual([]);
        expect(jsonl.torn).toBeNull();
        expect(sqlite, 'SQLite rows = JSONL rows').toEqual(jsonl.signals);
        expect(jsonl.signals, 'rows = the signals written, as stored').toEqual(signals.map((s) => asStored({ ...s, run_id: runId })));
        // the hand-listed line is what JSON.stringify gives for the fields in SIGNAL_FIELDS order
        for (const s of signals.slice(0, 200)) expect(signalJsonLine(s)).toBe(JSON.stringify(Object.fromEntries(SIGNAL_FIELDS.map((f) => [f, s[f]]))) + '\n');
      }),
      { numRuns: 2, seed: 20240808 },
    );
  });

  it('the same signals give byte-identical JSONL files; SQLite rows equal', async () => {
    const signals = fc.sample(signalsArb('same', 2000, 2000), { numRuns: 1, seed: 7 })[0]!;
    const [a, b] = [freshDir(), freshDir()];
    for (const [dir, every] of [[a, 1000], [b, 13]] as const) {
      const sink = openSignalSink('dual', dir, 'same', { flushEvery: every });
      writeAll(sink, signals);
      await sink.close();
    }
    const bytes = (d: string) => readFileSync(signalFilePath(d, 'same', 'jsonl'));
    expect(bytes(a).equals(bytes(b)), 'flush batching does not change the bytes').toBe(true);
    expect(readSignalsSqlite(signalFilePath(a, 'same', 'db'))).toEqual(readSignalsSqlite(signalFilePath(b, 'same', 'db')));
  });
});

describe('JSONL format', () => {
  const one: Signal = {
    seq: 7, ts_ms: 1723075200123, symbol: 'BTCUSDT', signal_type: 'strong_buy', confirm: true, score: 2.5,
    gating_blocked: true, gating_reasons: ['spread', 'lag'], strategy_mode: 'active', z_ofi: Number.NaN, z_cvd: -0,
    fusion_score: Number.POSITIVE_INFINITY, fusion_side: 'buy', fusion_consistency: 0.1, divergence_type: null,
    divergence_strength: 1e-7, fp: 'ab', config_hash: 'cd', run_id: 'r',
  };

  it('writes fields in SIGNAL_FIELDS order, NaN/Infinity as null, -0 as 0', () => {
    // written by hand from the field list and RFC 8259 number rules
    const line =
      '{"seq":7,"ts_ms":1723075200123,"symbol":"BTCUSDT","signal_type":"strong_buy","confirm":true,"score":2.5,' +
      '"gating_blocked":true,"gating_reasons":["spread","lag"],"strategy_mode":"active","z_ofi":null,"z_cvd":0,' +
      '"fusion_score":null,"fusion_side":"buy","fusion_consistency":0.1,"divergence_type":null,' +
      '"divergence_strength":1e-7,"fp":"ab","config_hash":"cd","run_id":"r"}\n';
    expect(signalJsonLine(one)).toBe(line);
    expect(Object.keys(JSON.parse(line))).toEqual([...SIGNAL_FIELDS]);
  });

  it('skips and reports a torn last line; refuses bad whole lines with line and field', async () => {
    const dir = freshDir();
    const sink = new JsonlSignalSink(dir, 'torn');
    for (let i = 0; i < 3; i++) sink.write(signalAt(i, 'torn'));
    sink.close();
    const path = signalFilePath(dir, 'torn', 'jsonl');
    const whole = signalJsonLine(signalAt(3, 'torn'));
    appendFileSync(path, whole.slice(0, 57));
    const rejects: RejectRecord[] = [];
    const read = await readSignalsJsonl(path, { onReject: (r) => rejects.push(r) });
    expect(read.signals.map((s) => s.seq)).toEqual([0, 1, 2]);
    expect(read.torn).toEqual({ line: 4, bytes: 57, text: whole.slice(0, 57) });
    expect(read.stats.skipped['torn-last-line']).toBe(1);
    expect(rejects).toEqual([]);

    // the same text with its newline is a whole bad line: refused, not torn
    appendFileSync(path, '\n' + whole.replace('"confirm":', '"confirm":"yes","x":') + '{not json\n');
    const again = await readSignalsJsonl(path, { onReject: (r) => rejects.push(r) });
    expect(again.torn).toBeNull();
    expect(again.signals.map((s) => s.seq)).toEqual([0, 1, 2]);
    expect(rejects.map((r) => [r.line, r.reason, r.field])).toEqual([
      [4, 'bad-json', undefined],
      [5, 'bad-row', 'confirm'],
      [6, 'bad-json', undefined],
    ]);
  });

  it('a sink reopening a torn file cuts the torn line off, then appends', async () => {
    const dir = freshDir();
    const path = signalFilePath(dir, 'reopen', 'jsonl');
    writeFileSync(path, signalJsonLine(signalAt(0, 'reopen')) + signalJsonLine(signalAt(1, 'reopen')).slice(0, 100));
    const sink = new JsonlSignalSink(dir, 'reopen');
    expect(sink.tornBytesDropped).toBe(100);
    sink.write(signalAt(1, 'reopen'));
    sink.close();
    const read = await readSignalsJsonl(path);
    expect(read.torn).toBeNull();
    expect(read.signals).toEqual([0, 1].map((i) => asStored(signalAt(i, 'reopen'))));
    // a last line cut just before its newline is whole: it is kept and terminated
    writeFileSync(path, signalJsonLine(signalAt(0, 'reopen')).trimEnd());
    const keep = new JsonlSignalSink(dir, 'reopen');
    expect(keep.tornBytesDropped).toBe(0);
    keep.write(signalAt(1, 'reopen'));
    keep.close();
    expect((await readSignalsJsonl(path)).signals.map((s) => s.seq)).toEqual([0, 1]);
  });
});

describe('SQLite format', () => {
  it('typed columns, WAL while open, the (symbol, ts_ms) index, 0/1 booleans and JSON reasons', () => {
    const dir = freshDir();
    const sink = new SqliteSignalSink(dir, 'schema', { flushEvery: 2 });
    const path = signalFilePath(dir, 'schema', 'db');
    const s = { ...signalAt(0, 'schema'), confirm: true, gating_blocked: false, gating_reasons: ['spread', 'mode'], score: Number.NaN };
    sink.write(s);
    sink.write(signalAt(1, 'schema'));
    const live = new Database(path, { readonly: true });
    expect(live.pragma('journal_mode', { simple: true }), 'WAL while the run writes').toBe('wal');
    const cols = live.prepare('PRAGMA table_info(signals)').all() as { name: string; type: string }[];
    expect(cols.map((c) => c.name)).toEqual([...SIGNAL_FIELDS]);
    const types = Object.fromEntries(cols.map((c) => [c.name, c.type]));
    expect([types.seq, types.ts_ms, types.confirm, types.gating_blocked]).toEqual(['INTEGER', 'INTEGER', 'INTEGER', 'INTEGER']);
    expect([types.score, types.z_ofi, types.gating_reasons, types.symbol]).toEqual(['REAL', 'REAL', 'TEXT', 'TEXT']);
    const idx = live.prepare("SELECT name FROM pragma_index_info('signals_symbol_ts')").all() as { name: string }[];
    expect(idx.map((r) => r.name)).toEqual(['symbol', 'ts_ms']);
    const row = live.prepare('SELECT confirm, gating_blocked, gating_reasons, score, typeof(ts_ms) AS t FROM signals WHERE seq = 0').get();
    expect(row).toEqual({ confirm: 1, gating_blocked: 0, gating_reasons: '["spread","mode"]', score: null, t: 'integer' });
    live.close();
    sink.close();
    const done = new Database(path, { readonly: true });
    expect(done.pragma('journal_mode', { simple: true }), 'a closed run is one self-contained file').toBe('delete');
    done.close();
  });

  it('a missing better-sqlite3 gives the install hint', () => {
    expect(() => loadBetterSqlite('better-sqlite3-not-installed')).toThrow(SQLITE_MISSING);
  });

  it('reads in seq order; appends by default, starts afresh with truncate', () => {
    const dir = freshDir();
    const path = signalFilePath(dir, 'order', 'db');
    const a = new SqliteSignalSink(dir, 'order');
    for (const i of [2, 0, 1]) a.write(signalAt(i, 'order'));
    a.close();
    expect(readSignalsSqlite(path).map((s) => s.seq)).toEqual([0, 1, 2]);
    const b = new SqliteSignalSink(dir, 'order');
    b.write(signalAt(3, 'order'));
    b.close();
    expect(readSignalsSqlite(path).map((s) => s.seq)).toEqual([0, 1, 2, 3]);
    const c = new SqliteSignalSink(dir, 'order', { truncate: true });
    c.write(signalAt(9, 'order'));
    c.close();
    expect(readSignalsSqlite(path).map((s) => s.seq)).toEqual([9]);
  });
});

describe('flush schedule and factory', () => {
  const lines = (path: string) => readFileSync(path, 'utf8').split('\n').length - 1;

  it('flushes every N signals, reporting the last seq', () => {
    const dir = freshDir();
    const seen: number[] = [];
    const sink = new JsonlSignalSink(dir, 'n', { flushEvery: 4, flushMs: 0, onFlush: (i) => seen.push(i.lastSeq) });
    const path = sink.path;
    for (let i = 0; i < 3; i++) sink.write(signalAt(i, 'n'));
    expect(lines(path), 'nothing before the batch is full').toBe(0);
    sink.write(signalAt(3, 'n'));
    expect(lines(path)).toBe(4);
    for (let i = 4; i < 10; i++) sink.write(signalAt(i, 'n'));
    expect(lines(path)).toBe(8);
    sink.close();
    expect(lines(path)).toBe(10);
    expect(seen).toEqual([3, 7, 9]);
  });

  it('flushes by age: on a later write in a busy loop, and by timer when writes stop', async () => {
    const dir = freshDir();
    const sink = new JsonlSignalSink(dir, 't', { flushEvery: 1000, flushMs: 30 });
    sink.write(signalAt(0, 't'));
    const until = Date.now() + 40;
    while (Date.now() < until); // a synchronous loop: no timer can fire
    sink.write(signalAt(1, 't'));
    expect(lines(sink.path), 'the second write found the first one 30 ms old').toBe(2);
    sink.write(signalAt(2, 't'));
    expect(lines(sink.path)).toBe(2);
    await new Promise((r) => setTimeout(r, 80));
    expect(lines(sink.path), 'the timer flushed the idle tail').toBe(3);
    sink.close();
  });

  it('dual flushes first then second at the same signals; factory kinds and refusals', async () => {
    const order: string[] = [];
    const spy = (name: string): SignalSink & { got: number } => ({
      got: 0,
      write() {
        this.got++;
      },
      flush() {
        order.push(`${name}:${this.got}`);
      },
      close() {
        order.push(`${name}:close`);
      },
    });
    const dual = new DualSignalSink(spy('a'), spy('b'), { flushEvery: 2, flushMs: 0 });
    for (let i = 0; i < 5; i++) dual.write(signalAt(i, 'x'));
    await dual.close();
    expect(order).toEqual(['a:2', 'b:2', 'a:4', 'b:4', 'a:5', 'b:5', 'a:close', 'b:close']);
    expect(openSignalSink('null', join(work, 'never'), 'x')).toBeInstanceOf(NullSink);
    expect(() => openSignalSink('csv' as 'null', work, 'x')).toThrow(/signal sink "csv" is not known; expected one of jsonl, sqlite, dual, null/);
    expect(() => openSignalSink('jsonl', work, '../up')).toThrow(/run id "..\/up" cannot name a file/);
    const mem = new MemorySink();
    mem.write(signalAt(0, 'x'));
    expect(mem.signals).toHaveLength(1);
  });
});

describe('a run killed with SIGKILL', () => {
  let script = '';
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    script = join(repo, '.tmp', `signal-writer-${process.pid}.mjs`);
    await build({ entryPoints: [join(repo, 'test/helpers/signal-writer.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: script, logLevel: 'error' });
  });
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(script, { force: true });
  });

  it('ofi-backtest/io loads where better-sqlite3 is missing; the SQLite sink then says how to install it', async () => {
    // the io entry, bundled as the package ships it (dependencies left to node_modules), run
    // in a node whose require cannot find better-sqlite3
    const entry = join(repo, '.tmp', `io-entry-${process.pid}.mjs`);
    const hide = join(repo, '.tmp', `hide-sqlite-${process.pid}.cjs`);
    const probe = join(repo, '.tmp', `probe-sqlite-${process.pid}.mjs`);
    await build({ entryPoints: [join(repo, 'src/node.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: entry, logLevel: 'error' });
    // a static import would go through the ESM resolver, which the hook below does not cover
    expect(readFileSync(entry, 'utf8')).not.toMatch(/^\s*import[^;]*["']better-sqlite3["']/m);
    writeFileSync(
      hide,
      `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'better-sqlite3') throw Object.assign(new Error("Cannot find module 'better-sqlite3'"), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, ...rest);
};
`,
    );
    writeFileSync(
      probe,
      `const io = await import(${JSON.stringify(entry)});
console.log(typeof io.openSignalSink, typeof io.readSignalsJsonl);
const jsonl = io.openSignalSink('jsonl', process.argv[2], 'probe'); jsonl.close();
try { io.openSignalSink('sqlite', process.argv[2], 'probe'); console.log('opened'); } catch (e) { console.log(e.message); }
`,
    );
    try {
      const out = execFileSync(process.execPath, ['--require', hide, probe, freshDir()], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
      expect(out).toBe(`function function\n${SQLITE_MISSING}\n`);
    } finally {
      for (const f of [entry, hide, probe]) rmSync(f, { force: true });
    }
  });

  interface Kill {
    /** Kill on the n-th completed flush, flush start (`begin`), or point between the JSONL write and the SQLite commit. */
    at: 'flushed' | 'begin' | 'between';
    n: number;
    every: number;
    flushMs: number;
  }

  /** Spawn the writer and kill it as `k` says; the seqs it reported as flushed. */
  async function run(dir: string, runId: string, k: Kill): Promise<number[]> {
    const mode = { flushed: [], begin: ['announce'], between: ['pause'] }[k.at];
    const args = [script, dir, runId, String(k.every), String(k.flushMs), ...mode];
    const isSeq = (l: string) => /^\d+$/.test(l);
    const child = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
    const lines = () => out.split('\n').slice(0, -1); // whole lines only: the last may be on its way
    await new Promise<void>((res, rej) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d;
        if (lines().filter((l) => (k.at === 'flushed' ? isSeq(l) : l === k.at)).length >= k.n) {
          child.kill('SIGKILL');
          res();
        }
      });
      child.on('exit', () => rej(new Error(`writer exited before it was killed: ${err}`)));
    });
    expect(await exited).toBe('SIGKILL');
    return lines().filter(isSeq).map(Number);
  }

  const kills: Kill[] = [
    { at: 'flushed', n: 3, every: 2000, flushMs: 0 },
    { at: 'flushed', n: 12, every: 2000, flushMs: 5 },
    // a big batch, killed as its flush starts: the kill may land inside the JSONL write (a torn line)
    { at: 'begin', n: 2, every: 10_000, flushMs: 0 },
    // killed after the JSONL write, before the SQLite commit: the open transaction is rolled back
    { at: 'between', n: 2, every: 2000, flushMs: 0 },
  ];
  for (const [i, k] of kills.entries()) {
    it(`killed at ${{ flushed: 'completed flush', begin: 'flush start', between: 'the point between the two writes of a flush' }[k.at]} no. ${k.n} (batches of ${k.every}${k.flushMs ? ` or ${k.flushMs} ms` : ''}): both readable prefixes, JSONL ≥ SQLite ≥ last reported, at most one batch apart`, async () => {
      const dir = freshDir();
      const runId = `kill${i}`;
      const reported = await run(dir, runId, k);
      const lastReported = reported.at(-1) ?? -1;
      const { jsonl, sqlite, rejects } = await readBoth(dir, runId);
      expect(rejects, 'nothing refused: at most a torn last line, skipped').toEqual([]);
      const j = jsonl.signals.length - 1;
      const s = sqlite.length - 1;
      // each file is exactly signals 0..k as the writer made them
      expect(jsonl.signals).toEqual(Array.from({ length: j + 1 }, (_, seq) => asStored(signalAt(seq, runId))));
      expect(sqlite).toEqual(jsonl.signals.slice(0, s + 1));
      // the guarantee
      expect(s, 'SQLite holds every reported flush').toBeGreaterThanOrEqual(lastReported);
      expect(j, 'JSONL is flushed first, so never behind SQLite').toBeGreaterThanOrEqual(s);
      expect(j - s, 'at most the batch in flight apart').toBeLessThanOrEqual(k.every);
      if (k.at === 'between') {
        expect([s, j], 'the JSONL file has the batch; SQLite rolled it back whole').toEqual([k.every * (k.n - 1) - 1, k.every * k.n - 1]);
        expect(jsonl.torn).toBeNull();
      }
      console.log(
        `SIGKILL at ${k.at} #${k.n}: last reported seq ${lastReported}, SQLite 0..${s}, JSONL 0..${j}` +
          (jsonl.torn ? `, torn last line (${jsonl.torn.bytes} bytes) skipped` : ''),
      );

      // the run resumes under the same id: the JSONL sink mends a torn tail, both append
      const resume = openSignalSink('dual', dir, runId);
      for (let seq = j + 1; seq <= j + 10; seq++) resume.write(signalAt(seq, runId));
      await resume.close();
      const after = await readBoth(dir, runId);
      expect(after.jsonl.torn).toBeNull();
      expect(after.rejects).toEqual([]);
      expect(after.jsonl.signals.length).toBe(j + 11);
    });
  }
});

describe('throughput', () => {
  it('signals per second of each sink (reported, not asserted)', async () => {
    const n = 30_000;
    const signals = Array.from({ length: n }, (_, i) => signalAt(i, 'bench'));
    const rows: string[] = [];
    for (const kind of ['null', 'jsonl', 'sqlite', 'dual'] as const) {
      const dir = freshDir();
      const t0 = performance.now();
      const sink = openSignalSink(kind, dir, 'bench');
      writeAll(sink, signals);
      await sink.close();
      const ms = performance.now() - t0;
      rows.push(`${kind.padEnd(6)} ${Math.round(n / (ms / 1000)).toLocaleString('en-US').padStart(12)} signals/s  (${n} in ${ms.toFixed(0)} ms, default flush)`);
    }
    console.log(`signal sink throughput:\n${rows.join('\n')}`);
  });
});
