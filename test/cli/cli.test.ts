import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/main.js';
import { samplePaths } from '../../src/cli/format.js';
import { readQuarantine } from '../../src/io/quarantine.js';
import { openDataset } from '../../src/io/dataset.js';
import { dataPath } from '../helpers/data.js';

/** Run the CLI in-process, capturing what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  const before = process.exitCode;
  try {
    const code = await run(argv);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
    process.exitCode = before;
  }
}

/** Lines of a gzip capture whose JSON has `"e":"<type>"`, counted from the raw text. */
function countRaw(path: string): Record<string, number> {
  const text = gunzipSync(readFileSync(path)).toString('utf8');
  const counts: Record<string, number> = { lines: 0, trade: 0, quote: 0, depth: 0 };
  for (const line of text.split('\n')) {
    if (!line) continue;
    counts.lines!++;
    if (line.includes('"e":"trade"')) counts.trade!++;
    else if (line.includes('"e":"bookTicker"')) counts.quote!++;
    else if (line.includes('"e":"depthUpdate"') || line.includes('"lastUpdateId"')) counts.depth!++;
  }
  return counts;
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ofi-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ofi-backtest convert', () => {
  it('converts the bundled sample with no input given, and the summary matches an independent count', async () => {
    const out = join(tmp, 'sample');
    const r = await cli('convert', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    const raw = samplePaths().map(countRaw);
    expect(s.sources).toHaveLength(2);
    s.sources.forEach((src: { lines: number; events: Record<string, number>; rejected: number }, i: number) => {
      expect(src.lines).toBe(raw[i]!.lines);
      expect(src.events.trade).toBe(raw[i]!.trade);
      expect(src.events.quote).toBe(raw[i]!.quote);
      expect(src.events.depth).toBe(raw[i]!.depth);
      expect(src.rejected).toBe(0);
    });
    const total = raw.reduce((a, c) => a + c.lines!, 0);
    expect(s.totalRows).toBe(total);
    expect(s.quarantine.count).toBe(0);
    expect(existsSync(join(out, '_quarantine.jsonl')), 'a clean run leaves no quarantine file').toBe(false);
    expect(s.dq.ok).toBe(true);
    expect(JSON.parse(readFileSync(join(out, '_dq.json'), 'utf8')).ok).toBe(true);
    // the dataset reads back whole
    const tables = await (await openDataset(out)).slice({}).toTables();
    expect(tables.trade.numRows + tables.quote.numRows + tables.depth.numRows).toBe(total);
  });

  it('prints a human summary with partitions, quarantine and data quality', async () => {
    const r = await cli('convert', samplePaths()[0]!, '--out', join(tmp, 'human'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Converted 1 of 1 source into .* \(parquet\)/);
    expect(r.out).toMatch(/trade\s+BTCUSDT\s+2024-08-08\s+[\d,]+\s+1/);
    expect(r.out).toContain('Quarantine: no lines refused');
    expect(r.out).toMatch(/Data quality: OK/);
  });

  it('splits the cross-midnight recording into two date partitions with an unbroken pu chain', async () => {
    const out = join(tmp, 'midnight');
    const r = await cli('convert', dataPath('binance-ws/usdm/btcusdt_20240718.gz'), dataPath('binance-ws/usdm/btcusdt_20240719.gz'), '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(readdirSync(join(out, 'depth', 'symbol=BTCUSDT')).sort()).toEqual(['date=2024-07-18', 'date=2024-07-19']);
    expect(s.dq.counts.depthChain, 'pu continues across the two files').toBe(0);
    expect(s.dq.counts.tradeIdGap, 'trade ids continue across the two files').toBe(0);
  });

  it('quarantines exactly the broken lines of a damaged capture and converts the rest', async () => {
    const lines = gunzipSync(readFileSync(samplePaths()[0]!)).toString('utf8').split('\n').filter(Boolean);
    const broken = [...lines];
    const tradeAt = lines.findIndex((l, i) => i > 20 && l.includes('"e":"trade"'));
    const quoteAt = lines.findIndex((l, i) => i > 30 && l.includes('"e":"bookTicker"'));
    broken[9] = broken[9]!.slice(0, 40); // JSON cut short
    broken[tradeAt] = broken[tradeAt]!.replace(/"p":"[^"]*",/, ''); // a trade loses its price
    broken[quoteAt] = broken[quoteAt]!.replace(/"b":"[\d.]+"/, '"b":"abc"'); // a quote's bid is not a number
    const changed = [9, tradeAt, quoteAt].sort((a, b) => a - b);
    expect(changed.every((i) => broken[i] !== lines[i]), 'every damage took').toBe(true);
    const file = join(tmp, 'damaged.gz');
    writeFileSync(file, gzipSync(broken.join('\n') + '\n'));
    const out = join(tmp, 'damaged');
    const r = await cli('convert', file, '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    const q = await readQuarantine(out);
    expect(q.map((x) => x.line)).toEqual(changed.map((i) => i + 1));
    expect(q.every((x) => x.file === file)).toBe(true);
    const byLine = new Map(q.map((x) => [x.line, x]));
    expect(byLine.get(10)!.reason).toBe('bad-json');
    expect(byLine.get(tradeAt + 1)).toMatchObject({ reason: 'missing-field', field: 'data.p' });
    expect(byLine.get(quoteAt + 1)).toMatchObject({ reason: 'bad-number', field: 'data.b' });
    expect(s.totalRows).toBe(lines.length - changed.length);
  });

  it('writes JSONL and rotates parts by rows', async () => {
    const out = join(tmp, 'rot');
    const r = await cli('convert', samplePaths()[0]!, '--out', out, '--format', 'jsonl', '--rotate-rows', '10000', '--json');
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    const quoteRows = s.partitions.find((p: { kind: string }) => p.kind === 'quote').rows;
    const quoteFiles = s.files.filter((f: { kind: string }) => f.kind === 'quote');
    expect(quoteFiles).toHaveLength(Math.ceil(quoteRows / 10000));
    expect(quoteFiles.every((f: { path: string }) => f.path.endsWith('.jsonl'))).toBe(true);
  });
});

describe('ofi-backtest dq', () => {
  it('reports on LOBSTER without treating order ids as trade ids', async () => {
    const r = await cli('dq', dataPath('lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip'), '--json');
    expect(r.code, r.err).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.checks.tradeIdGap.count).toBe(0);
    expect(rep.checks.crossedBook.count).toBe(0);
    expect(rep.totals.byKind.trade).toBeGreaterThan(0);
  });
});

describe('ofi-backtest config', () => {
  it('prints every value with where it came from', async () => {
    const file = join(tmp, 'cfg.yaml');
    writeFileSync(file, 'dataset:\n  format: jsonl\n');
    process.env.DQ_EXAMPLES = '9';
    try {
      const r = await cli('config', '--config', file);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/format: jsonl {2}# from file .*cfg\.yaml:2/);
      expect(r.out).toMatch(/examples: 9 {2}# from env DQ_EXAMPLES/);
      expect(r.out).toMatch(/rotate_sec: 3600\n/);
    } finally {
      delete process.env.DQ_EXAMPLES;
    }
  });

  it('refuses a bad value in one line naming file, line, field, value and what was expected', async () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, 'dataset:\n  rotate_rows: 0\n');
    const r = await cli('convert', '--config', file, '--out', join(tmp, 'never'));
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(`ofi-backtest: ${file}:2: dataset.rotate_rows: expected a number > 0, got 0`);
    expect(existsSync(join(tmp, 'never')), 'nothing written').toBe(false);
  });

  it('a config file sets convert options, and a flag overrides it', async () => {
    const file = join(tmp, 'cfg-jsonl.yaml');
    writeFileSync(file, 'dataset:\n  format: jsonl\n  rotate_rows: 100000\n');
    const out = join(tmp, 'from-config');
    const r = await cli('convert', samplePaths()[0]!, '--out', out, '--config', file, '--rotate-rows', '20000', '--json');
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.format).toBe('jsonl');
    const quotes = s.partitions.find((p: { kind: string }) => p.kind === 'quote');
    expect(quotes.files, 'the flag (20,000) wins over the file (100,000)').toBe(Math.ceil(quotes.rows / 20000));
  });
});

describe('errors a user can fix: one line naming it, exit code 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['a missing file', ['convert', '/no/such/file.gz', '--out', '/tmp/x'], /\/no\/such\/file\.gz: no such file or directory/],
    ['an unknown format', ['dq', dataPath('lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1/LOBSTER_SampleFiles_ReadMe.txt')], /ReadMe\.txt: unknown format/],
    ['an unknown flag', ['convert', '--bogus'], /unknown option '--bogus'/],
    ['a bad flag value', ['convert', '--rotate-rows', 'abc'], /--rotate-rows.*expected a positive integer, got 'abc'/],
    ['a bad choice', ['convert', '--format', 'csv'], /--format.*csv.*parquet, jsonl/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['a missing config file', ['config', '--config', '/no/such/cfg.yaml'], /\/no\/such\/cfg\.yaml: no such file or directory/],
  ];
  for (const [what, argv, message] of cases) {
    it(what, async () => {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n'), 'one line').toHaveLength(1);
      expect(r.err).toMatch(/^ofi-backtest: /);
    });
  }
});
