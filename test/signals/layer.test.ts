/**
 * The signal layer stays pure (see DESIGN.md, "The layers"): no Node-only API, imports from
 * `core/`, `microstructure/` and itself only (never `io/`, `risk/` or anything later), and no
 * clock or randomness read, so the same input gives the same signals in Node, Deno and a browser.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const SIGNALS = fileURLToPath(new URL('../../src/signals/', import.meta.url));
const files = readdirSync(SIGNALS).filter((f) => f.endsWith('.ts'));
const source = (f: string) => readFileSync(path.join(SIGNALS, f), 'utf8');

describe('src/signals is a pure layer', () => {
  it('has files', () => expect(files).toEqual(expect.arrayContaining(['core-algorithm.ts', 'config.ts', 'types.ts', 'index.ts'])));

  it.each(files)('%s imports core, microstructure, zod and itself only, and nothing from node:', (f) => {
    const specs = [...source(f).matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    for (const s of specs) {
      expect(s.startsWith('node:'), `${f}: ${s}`).toBe(false);
      expect(s === 'zod' || s.startsWith('./') || s.startsWith('../core/') || s.startsWith('../microstructure/'), `${f} imports ${s}`).toBe(true);
    }
  });

  it.each(files)('%s reads no clock and no randomness', (f) => {
    const code = source(f)
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/Date\.now\(|new Date\(|performance\.now\(|Math\.random\(|process\./);
  });
});
