/**
 * The layering of ../shared/DESIGN.md, checked on the imports: each layer imports only the
 * layers before it, and the pure layers (core, microstructure, signals, risk, backtest, sweep) no Node API.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = resolve(fileURLToPath(new URL('../src', import.meta.url)));

/** What each folder may import (besides itself). `runs/` is the Node side of the pure layers. */
const ALLOWED: Record<string, string[]> = {
  core: [],
  io: ['core'],
  microstructure: ['core'],
  signals: ['core', 'microstructure'],
  risk: ['core', 'microstructure'],
  backtest: ['core', 'microstructure', 'signals', 'risk'],
  // the sweep names parameters by the whole configuration's paths: it reads the root src/config.ts ('config.js')
  sweep: ['core', 'microstructure', 'signals', 'risk', 'backtest', 'config.js'],
  // reporting renders results it is given (no files): the Node jobs of runs/ write its pages
  reporting: ['core', 'microstructure', 'signals', 'risk', 'backtest', 'sweep'],
  runs: ['core', 'io', 'microstructure', 'signals', 'risk', 'backtest', 'sweep', 'reporting', 'config.js'],
  live: ['core', 'io', 'microstructure', 'signals', 'risk', 'backtest', 'sweep', 'runs', 'reporting'],
};
const PURE = new Set(['core', 'microstructure', 'signals', 'risk', 'backtest', 'sweep']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('layers', () => {
  for (const [layer, allowed] of Object.entries(ALLOWED)) {
    it(`${layer}/ imports only ${allowed.length ? allowed.join(', ') : 'itself'}${PURE.has(layer) ? ', and no Node API' : ''}`, () => {
      let dir: string;
      try {
        dir = join(src, layer);
        statSync(dir);
      } catch {
        return; // a layer not built yet
      }
      const problems: string[] = [];
      for (const f of files(dir)) {
        const text = readFileSync(f, 'utf8');
        for (const m of text.matchAll(/^(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
          const spec = m[1]!;
          if (spec.startsWith('.')) {
            const target = relative(src, resolve(join(f, '..'), spec)).split('/')[0]!;
            if (target !== layer && !allowed.includes(target)) problems.push(`${relative(src, f)} imports ${spec}`);
          } else if (PURE.has(layer) && (spec.startsWith('node:') || ['fs', 'path', 'os', 'child_process', 'worker_threads'].includes(spec))) {
            problems.push(`${relative(src, f)} imports ${spec}`);
          }
        }
      }
      expect(problems).toEqual([]);
    });
  }
});
