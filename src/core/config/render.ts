/**
 * The configuration as YAML with the reason for every value as a comment: what
 * `config/defaults.yaml` holds and `ofi-backtest config --print` shows.
 */
import { stringify } from 'yaml';
import type * as z from 'zod';
import { schemaLeaves, type ValueOrigin } from './resolve.js';

function wrap(text: string, width: number, indent: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(`${indent}# ${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(`${indent}# ${line}`);
  return out;
}

function scalar(v: unknown): string {
  return stringify(v, { lineWidth: 0, collectionStyle: 'flow' }).trimEnd();
}

/**
 * YAML of a configuration (the defaults when none is given), each value preceded by its reason
 * and, given origins, followed by where it came from.
 */
export function renderSchemaYaml(schema: z.ZodType, config?: unknown, origins?: Record<string, ValueOrigin>, header = true): string {
  const lines: string[] = [];
  const leaves = schemaLeaves(schema);
  if (header) {
    lines.push('# ofi-backtest configuration: every value, its default, and why.');
    lines.push('# A value can also be set by an environment variable (the path upper-cased with _,');
    lines.push('# e.g. DATASET_ROTATE_SEC) or a command-line flag; later sources win.');
  }
  let section = '';
  for (const leaf of leaves) {
    const parts = leaf.path.split('.');
    const top = parts[0]!;
    if (top !== section) {
      lines.push('');
      if (parts.length > 1) lines.push(`${top}:`); // a top-level value (the symbols map) is its own key
      section = top;
    }
    const depth = parts.length - 1;
    const indent = '  '.repeat(depth);
    // nested groups below a section (a.b.c) open their own key once
    for (let d = 1; d < parts.length - 1; d++) {
      const group = `${parts.slice(0, d + 1).join('.')}.`;
      const first = leaves.find((l) => l.path.startsWith(group));
      if (first?.path === leaf.path) lines.push(`${'  '.repeat(d)}${parts[d]}:`);
    }
    lines.push(...wrap(leaf.description, 88, indent));
    const value = config ? leaf.path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], config) : leaf.default;
    const origin = origins?.[leaf.path];
    const note = origin && origin.source !== 'default' ? `  # from ${origin.source}${origin.at ? ` ${origin.at}` : ''}` : '';
    const key = parts[parts.length - 1];
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      // a map (the per-symbol rules): a block under its key, flow style per entry
      lines.push(`${indent}${key}:${note}`);
      for (const [k, v] of Object.entries(value)) lines.push(`${indent}  ${k}: ${scalar(v)}`);
    } else lines.push(`${indent}${key}: ${scalar(value)}${note}`);
  }
  return `${lines.join('\n')}\n`;
}
