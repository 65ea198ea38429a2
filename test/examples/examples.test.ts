/**
 * Every example in examples/ runs and prints what it says. Each is bundled with esbuild
 * (imports of 'ofi-backtest' resolve to this package's own build through its exports, as they
 * would for a user) and run with node.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const examples = readdirSync(join(repo, 'examples')).filter((f) => f.endsWith('.ts'));
const outDir = mkdtempSync(join(tmpdir(), 'ofi-examples-'));

async function runExample(name: string): Promise<string> {
  const outfile = join(repo, 'examples', '.out', name.replace(/\.ts$/, '.mjs'));
  await build({ entryPoints: [join(repo, 'examples', name)], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'error' });
  return execFileSync(process.execPath, [outfile], { cwd: outDir, encoding: 'utf8', timeout: 120_000 });
}

/** What each example must print: a check that it did its job, not only that it ran. */
const expectations: Record<string, RegExp[]> = {
  'quickstart.ts': [/quotes: 30732,/, /wrote 40391 rows in 3 files; data quality OK/, /23:55–23:56: \d+ quotes, \d+ trades/],
  'custom-strategy.ts': [/events: \d{5,}, entries: [1-9]\d*, orders: [1-9]\d*, fills: [1-9]\d*/, /trades: [1-9]\d* closed, win rate [\d.]+% after fees; PnL -?\d+\.\d\d USDT before fees of [1-9]\d*\.\d\d/, /equity 10000\.00 → \d+\.\d\d \(-?[\d.]+%\), max drawdown [\d.]+%, buy and hold -?[\d.]+%/],
};

describe('examples', () => {
  it('every example has expectations here', () => {
    expect(examples.sort()).toEqual(Object.keys(expectations).sort());
  });
  for (const name of examples) {
    it(name, async () => {
      const out = await runExample(name);
      for (const re of expectations[name] ?? []) expect(out).toMatch(re);
    });
  }
});
