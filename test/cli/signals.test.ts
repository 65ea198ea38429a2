/**
 * `ofi-backtest signals` end to end: the bundled sample into a dual sink (the JSONL and SQLite
 * files hold the same rows), feature rows piped into `--input -` of a child process (the same
 * signals as the file they came from, refused lines named), `--watch` on a folder where a
 * feature file is written in two halves and a capture is renamed into place, SIGTERM ending a
 * watch, SIGNAL_SINK_KIND, --symbols, --print and the one-line errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { readSignalsJsonl, readSignalsSqlite, signalFilePath } from '../../src/runs/signal-sinks.js';
import { samplePaths } from '../../src/io/sample.js';
import { SIGNAL_FIELDS } from '../../src/signals/types.js';
import { cli } from '../helpers/run-cli.js';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const work = mkdtempSync(join(tmpdir(), 'ofi-signals-cli-'));
const bin = join(repo, '.tmp', `signals-cli-${process.pid}.mjs`);
const [btcSample, ethSample] = samplePaths();
/** Feature rows of the BTCUSDT sample (one per update), and how many. */
const features = join(work, 'btc-features.jsonl');
let featureText = '';
let featureRows = 0;

let n = 0;
const fresh = (name = 'd'): string => {
  const d = join(work, `${name}${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

beforeAll(async () => {
  mkdirSync(join(repo, '.tmp'), { recursive: true });
  await build({ entryPoints: [join(repo, 'src/cli/bin.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: bin, logLevel: 'error' });
  const r = await cli('features', btcSample!, '-o', features);
  expect(r.code, r.err).toBe(0);
  featureText = readFileSync(features, 'utf8');
  featureRows = featureText.split('\n').length - 1;
  expect(featureRows).toBeGreaterThan(30_000);
}, 60_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(bin, { force: true });
});

/** Run the bundled CLI as a child; resolves to its exit code, stdout and stderr. */
function child(args: string[], stdin?: string, env: Record<string, string> = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [bin, ...args], { cwd: work, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d));
    c.stderr.on('data', (d: Buffer) => (err += d));
    c.on('exit', (code, signal) => res({ code, signal, out, err }));
    if (stdin !== undefined) c.stdin.end(stdin);
    else c.stdin.end();
  });
}

const jsonLines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);

describe('signals command', () => {
  it('the bundled sample into a dual sink: JSONL and SQLite hold the same rows, a few signals a minute per symbol', async () => {
    const out = fresh();
    const r = await cli('signals', '--sink', 'dual', '--out', out, '--run-id', 'sample', '--json');
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.files).toEqual([signalFilePath(out, 'sample', 'jsonl'), signalFilePath(out, 'sample', 'db')]);
    const fromJsonl = await readSignalsJsonl(summary.files[0]);
    const fromDb = readSignalsSqlite(summary.files[1]);
    expect(fromJsonl.torn).toBeNull();
    expect(fromJsonl.signals.length).toBe(summary.signals);
    expect(fromDb).toEqual(fromJsonl.signals);
    expect(summary.symbols.map((s: { symbol: string }) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    for (const s of summary.symbols) {
      expect(s.perMinute).toBeGreaterThan(1);
      expect(s.perMinute).toBeLessThan(60);
    }
    expect(fromJsonl.signals.every((s) => s.run_id === 'sample' && s.config_hash === summary.configHash)).toBe(true);
    // the same run again: the same file, byte for byte
    const again = fresh();
    expect((await cli('signals', '--sink', 'jsonl', '--out', again, '--run-id', 'sample')).code).toBe(0);
    expect(readFileSync(signalFilePath(again, 'sample', 'jsonl'), 'utf8')).toBe(readFileSync(summary.files[0], 'utf8'));
  }, 60_000);

  it('--input - reads feature rows piped in: the signals of the same file given by name; refused lines named', async () => {
    const byName = fresh();
    const a = await cli('signals', '--input', features, '--out', byName, '--run-id', 'p', '--json');
    expect(a.code, a.err).toBe(0);
    const expected = readFileSync(signalFilePath(byName, 'p', 'jsonl'), 'utf8');
    expect(JSON.parse(a.out).signals).toBeGreaterThan(3);

    const piped = fresh();
    const lines = featureText.split('\n');
    // a line that is not JSON and a row without its kind, in the middle
    const bad = [...lines.slice(0, 20_000), '{"symbol":"BTCUSDT","ts":', '{"symbol":"BTCUSDT","ts":1,"z_ofi":1,"z_cvd":1,"score":1,"consistency":1}', ...lines.slice(20_000)].join('\n');
    const b = await child(['signals', '--input', '-', '--out', piped, '--run-id', 'p', '--json'], bad);
    expect(b.code, b.err).toBe(0);
    expect(readFileSync(signalFilePath(piped, 'p', 'jsonl'), 'utf8')).toBe(expected);
    const summary = JSON.parse(b.out);
    expect(summary.sources).toMatchObject([{ path: '-', format: 'features', rejected: 2, rows: featureRows }]);
    expect(summary.quarantine.first.map((x: { line: number; reason: string; field?: string }) => [x.line, x.reason, x.field ?? null])).toEqual([
      [20_001, 'bad-json', null],
      [20_002, 'bad-row', 'kind'],
    ]);
    expect(existsSync(join(piped, '_quarantine.jsonl')), 'refused lines kept beside the signals').toBe(true);
  }, 60_000);

  it('--watch: a feature file written in two halves (cut mid-line) gives the signals of the whole file', async () => {
    const expected = fresh();
    expect((await cli('signals', '--input', features, '--out', expected, '--run-id', 'w')).code).toBe(0);
    const dir = fresh('watch');
    const out = fresh();
    const cfg = join(work, `fast-${n}.yaml`);
    writeFileSync(cfg, 'signal:\n  watch_poll_ms: 50\n  watch_stable_ms: 300\n');
    const cut = Math.floor(featureText.length / 2) + 7; // inside a line
    expect(featureText[cut - 1]).not.toBe('\n');
    writeFileSync(join(dir, 'part.jsonl'), featureText.slice(0, cut));
    const running = cli('signals', '--config', cfg, '--input', dir, '--watch', '--idle-exit', '1', '--out', out, '--run-id', 'w', '--json');
    await new Promise((r) => setTimeout(r, 400));
    appendFileSync(join(dir, 'part.jsonl'), featureText.slice(cut));
    const r = await running;
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.watched).toBe(true);
    expect(summary.sources).toMatchObject([{ format: 'features', rows: featureRows, rejected: 0 }]);
    expect(summary.sources[0].tornBytes).toBeUndefined();
    expect(readFileSync(signalFilePath(out, 'w', 'jsonl'), 'utf8')).toBe(readFileSync(signalFilePath(expected, 'w', 'jsonl'), 'utf8'));
  }, 60_000);

  it('--watch: a capture renamed into place is read once whole; temporary names are not read; an unfinished last line is reported, not refused', async () => {
    const dir = fresh('watch');
    const out = fresh();
    const cfg = join(work, `fast-${n}.yaml`);
    writeFileSync(cfg, 'signal:\n  watch_poll_ms: 50\n  watch_stable_ms: 300\n');
    copyFileSync(ethSample!, join(dir, 'eth.gz.tmp-123'));
    writeFileSync(join(dir, 'torn.jsonl'), featureText.slice(0, 5000));
    const running = cli('signals', '--config', cfg, '--input', dir, '--watch', '--idle-exit', '1', '--out', out, '--run-id', 'r', '--json');
    await new Promise((r) => setTimeout(r, 300));
    renameSync(join(dir, 'eth.gz.tmp-123'), join(dir, 'eth.gz'));
    const r = await running;
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out);
    const byFormat = Object.fromEntries(summary.sources.map((s: { format: string }) => [s.format, s]));
    expect(summary.sources).toHaveLength(2);
    expect(byFormat.capture.path).toBe(join(dir, 'eth.gz'));
    expect(byFormat.capture.error).toBeUndefined();
    const completeLines = featureText.slice(0, 5000).split('\n').length - 1;
    expect(byFormat.features).toMatchObject({ rows: completeLines, rejected: 0, tornBytes: Buffer.byteLength(featureText.slice(0, 5000).split('\n').pop()!) });
    const eth = summary.symbols.find((s: { symbol: string }) => s.symbol === 'ETHUSDT');
    expect(eth.signals).toBeGreaterThan(3);
    // the ETHUSDT signals are those of the capture read directly
    const direct = fresh();
    expect((await cli('signals', '--input', ethSample!, '--out', direct, '--run-id', 'r')).code).toBe(0);
    const strip = (lines: string[]) => lines.map((l) => JSON.stringify({ ...JSON.parse(l), seq: 0 }));
    const watched = jsonLines(signalFilePath(out, 'r', 'jsonl')).filter((l) => l.includes('"ETHUSDT"'));
    expect(strip(watched)).toEqual(strip(jsonLines(signalFilePath(direct, 'r', 'jsonl'))));
  }, 60_000);

  it('--watch: gzip feature rows are read whole once stable, as feature rows', async () => {
    const expected = fresh();
    expect((await cli('signals', '--input', features, '--out', expected, '--run-id', 'g')).code).toBe(0);
    const dir = fresh('watch');
    const out = fresh();
    const cfg = join(work, `fast-${n}.yaml`);
    writeFileSync(cfg, 'signal:\n  watch_poll_ms: 50\n  watch_stable_ms: 200\n');
    writeFileSync(join(dir, 'f.jsonl.gz'), gzipSync(featureText));
    const r = await cli('signals', '--config', cfg, '--input', dir, '--watch', '--idle-exit', '0.5', '--out', out, '--run-id', 'g', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).sources).toMatchObject([{ format: 'features', rows: featureRows, rejected: 0 }]);
    expect(readFileSync(signalFilePath(out, 'g', 'jsonl'), 'utf8')).toBe(readFileSync(signalFilePath(expected, 'g', 'jsonl'), 'utf8'));
  }, 60_000);

  it('SIGTERM ends a watch cleanly: summary printed, every signal on disk', async () => {
    const dir = fresh('watch');
    const out = fresh();
    copyFileSync(features, join(dir, 'f.jsonl'));
    const c = spawn(process.execPath, [bin, 'signals', '--input', dir, '--watch', '--out', out, '--run-id', 't', '--json'], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d));
    const exited = new Promise<number | null>((res) => c.on('exit', (code) => res(code)));
    // wait until the file has been read (the sink flushes within a second)
    const file = signalFilePath(out, 't', 'jsonl');
    for (let i = 0; i < 100 && !(existsSync(file) && readFileSync(file, 'utf8').length > 0); i++) await new Promise((r) => setTimeout(r, 100));
    c.kill('SIGTERM');
    expect(await exited).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.signals).toBeGreaterThan(3);
    expect(jsonLines(file)).toHaveLength(summary.signals);
  }, 60_000);

  it('SIGNAL_SINK_KIND chooses the sink; --symbols filters; --print --json prints the sink\'s lines', async () => {
    const out = fresh();
    const r = await child(['signals', '--input', features, '--out', out, '--run-id', 'e', '--print', '--json'], undefined, { SIGNAL_SINK_KIND: 'sqlite' });
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(out).filter((f) => f.startsWith('signals_'))).toEqual(['signals_e.db']);
    const lines = r.out.trim().split('\n');
    const summary = JSON.parse(lines.pop()!);
    expect(summary.sink).toBe('sqlite');
    const printed = lines.map((l) => JSON.parse(l));
    expect(printed).toHaveLength(summary.signals);
    expect(Object.keys(printed[0])).toEqual([...SIGNAL_FIELDS]);
    expect(readSignalsSqlite(signalFilePath(out, 'e', 'db')).map((s) => s.seq)).toEqual(printed.map((s) => s.seq));
    const none = await cli('signals', '--input', features, '--sink', 'null', '--symbols', 'ETHUSDT', '--json');
    expect(JSON.parse(none.out)).toMatchObject({ signals: 0, symbols: [] });
  }, 60_000);

  it('mistakes end in one line and exit code 2', async () => {
    for (const args of [
      ['signals', '--input', join(work, 'nope.jsonl'), '--sink', 'null'],
      ['signals', '--sink', 'kafka'],
      ['signals', '--idle-exit', '3', '--sink', 'null'],
      ['signals', '--input', features, '--watch', '--sink', 'null'],
    ]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
