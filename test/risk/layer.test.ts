/**
 * The risk layer stays pure (see DESIGN.md, "The layers"): no Node-only API, imports from
 * `core/` and itself only, and no clock or randomness read, so it runs unchanged in Deno and a
 * browser and `checkRisk` is deterministic.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const RISK = fileURLToPath(new URL('../../src/risk/', import.meta.url));
const files = readdirSync(RISK).filter((f) => f.endsWith('.ts'));
const source = (f: string) => readFileSync(path.join(RISK, f), 'utf8');

describe('src/risk is a pure layer', () => {
  it('has files', () => expect(files.length).toBeGreaterThanOrEqual(6));

  it.each(files)('%s imports core, itself and zod only, and nothing from node:', (f) => {
    const specs = [...source(f).matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    for (const s of specs) {
      expect(s.startsWith('node:'), `${f}: ${s}`).toBe(false);
      expect(s.startsWith('./') || s.startsWith('../core/') || s === 'zod', `${f} imports ${s}`).toBe(true);
    }
  });

  it.each(files)('%s reads no clock and no randomness', (f) => {
    const code = source(f)
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/Date\.now\(|new Date\(\)|performance\.now\(|Math\.random\(|process\./);
  });
});
