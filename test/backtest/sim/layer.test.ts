/**
 * The simulator stays pure (DESIGN.md, "The layers"; it must also run inside the live mock broker
 * and under Deno): no Node-only API, no file I/O, imports only from `core/`, `microstructure/`,
 * `signals/`, the backtest vocabulary (`types.ts`, `config.ts`), zod and itself, and no clock or
 * `Math.random` (every draw comes from a seeded generator).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const SIM = fileURLToPath(new URL('../../../src/backtest/sim/', import.meta.url));
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
const files = walk(SIM).map((f) => path.relative(SIM, f));
const source = (f: string) => readFileSync(path.join(SIM, f), 'utf8');

describe('src/backtest/sim is pure', () => {
  it('has its files', () => expect(files).toEqual(expect.arrayContaining(['simulator.ts', 'index.ts', 'models/latency.ts', 'models/queue.ts', 'models/fill.ts', 'models/fees.ts', 'models/funding.ts'])));

  it.each(files)('%s imports no Node API and nothing outside core, microstructure, signals, the backtest vocabulary and itself', (f) => {
    const specs = [...source(f).matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    for (const s of specs) {
      expect(s.startsWith('node:'), `${f}: ${s}`).toBe(false);
      if (!s.startsWith('.')) {
        expect(s, `${f} imports a package`).toBe('zod');
        continue;
      }
      const target = path.relative(path.join(SIM, '..', '..'), path.resolve(path.dirname(path.join(SIM, f)), s));
      const ok = target.startsWith('backtest/sim/') || ['backtest/types.js', 'backtest/config.js'].includes(target) || /^(core|microstructure|signals)\//.test(target);
      expect(ok, `${f} imports ${s} (${target})`).toBe(true);
    }
  });

  it.each(files)('%s reads no clock and no unseeded randomness', (f) => {
    const code = source(f)
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/Date\.now\(|new Date\(|performance\.now\(|Math\.random\(|process\./);
  });
});
