/**
 * Resolving a configuration from its layers — defaults, a file, the environment, flags —
 * with the origin of every value kept, so `ofi-backtest config` can say where each came from
 * and a bad value is refused with its field, the value, what was expected and where it was set.
 *
 * @see https://12factor.net/config (environment over files for deployments)
 */
import * as z from 'zod';
import { UserInputError } from '../errors.js';

/** Where a value came from. */
export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

/** One layer of values, as a nested object of the config's shape. */
export interface ConfigLayer {
  source: Exclude<ConfigSource, 'default'>;
  /** The file, the variable names or the flags, for messages. */
  origin: string;
  data: Record<string, unknown>;
  /** Where in the origin each dotted path was set (e.g. `cfg.yaml:12`, `DATASET_ROTATE_SEC`, `--rotate-sec`). */
  at?: Record<string, string>;
}

/** The origin of one resolved value. */
export interface ValueOrigin {
  source: ConfigSource;
  /** `cfg.yaml:12`, `DATASET_ROTATE_SEC`, `--rotate-sec`; absent for defaults. */
  at?: string;
}

/** A resolved configuration and where each value came from. */
export interface ResolvedConfig<C = unknown> {
  config: C;
  origins: Record<string, ValueOrigin>;
}

/** One leaf of the schema: a settable value. */
export interface ConfigLeaf {
  path: string;
  /** Environment variable that sets it. */
  env: string;
  kind: 'number' | 'integer' | 'boolean' | 'enum' | 'string' | 'array' | 'other';
  options?: readonly string[];
  default: unknown;
  description: string;
}

/** One refused value. */
export interface ConfigIssue {
  path: string;
  value: unknown;
  expected: string;
  at?: string;
}

/** A configuration that cannot be used; names every bad value. */
export class ConfigError extends UserInputError {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('; '), 'E_CONFIG');
    this.name = 'ConfigError';
  }
}

function formatIssue(i: ConfigIssue): string {
  const got = i.value === undefined ? '' : `, got ${JSON.stringify(i.value)}`;
  return `${i.at ? `${i.at}: ` : ''}${i.path}: ${i.expected}${got}`;
}

type AnySchema = z.ZodType;

function unwrap(s: AnySchema): { inner: AnySchema; def: unknown; description: string | undefined } {
  let cur = s;
  let dflt: unknown;
  const description = s.description;
  for (;;) {
    const d = (cur as unknown as { _zod: { def: { type: string; innerType?: AnySchema; defaultValue?: unknown } } })._zod.def;
    if ((d.type === 'default' || d.type === 'prefault') && d.innerType) {
      if (dflt === undefined) dflt = d.defaultValue;
      cur = d.innerType;
    } else if ((d.type === 'optional' || d.type === 'nullable') && d.innerType) cur = d.innerType;
    else break;
  }
  return { inner: cur, def: dflt, description };
}

function defType(s: AnySchema): string {
  return (s as unknown as { _zod: { def: { type: string } } })._zod.def.type;
}

/** Every settable value of a schema, in declaration order. */
export function schemaLeaves(schema: AnySchema, prefix = ''): ConfigLeaf[] {
  const { inner } = unwrap(schema);
  const shape = (inner as z.ZodObject).shape as Record<string, AnySchema>;
  const out: ConfigLeaf[] = [];
  for (const [key, child] of Object.entries(shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const u = unwrap(child);
    const t = defType(u.inner);
    if (t === 'object') {
      out.push(...schemaLeaves(child, path));
      continue;
    }
    let kind: ConfigLeaf['kind'] = 'other';
    let options: readonly string[] | undefined;
    if (t === 'number') kind = (u.inner as z.ZodNumber).isInt ? 'integer' : 'number';
    else if (t === 'boolean') kind = 'boolean';
    else if (t === 'string') kind = 'string';
    else if (t === 'array') kind = 'array';
    else if (t === 'enum') {
      kind = 'enum';
      options = (u.inner as z.ZodEnum).options as readonly string[];
    }
    const leaf: ConfigLeaf = { path, env: path.replace(/\./g, '_').toUpperCase(), kind, default: u.def, description: u.description ?? '' };
    if (options) leaf.options = options;
    out.push(leaf);
  }
  return out;
}

/** Set a dotted path in a nested object. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}

function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const k of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** Dotted paths of every leaf value in a nested object. */
function leafPaths(obj: unknown, prefix = ''): string[] {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return prefix ? [prefix] : [];
  return Object.entries(obj).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

function deepMerge(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && typeof cur === 'object' && cur !== null && !Array.isArray(cur)) {
      deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else into[k] = v;
  }
}

/** A text value (environment variable, flag) turned into the type its leaf wants, where it can be. */
export function coerceText(leaf: ConfigLeaf, text: string): unknown {
  const t = text.trim();
  switch (leaf.kind) {
    case 'number':
    case 'integer':
      return t !== '' && Number.isFinite(Number(t)) ? Number(t) : text;
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(t)) return true;
      if (/^(false|0|no|off)$/i.test(t)) return false;
      return text;
    case 'array':
      return t === '' ? [] : t.split(',').map((s) => s.trim());
    default:
      return text;
  }
}

/** The environment layer of a schema: every variable that names a leaf (`DATASET_ROTATE_SEC` → dataset.rotate_sec). */
export function envLayerOf(schema: AnySchema, env: Record<string, string | undefined>): ConfigLayer {
  const data: Record<string, unknown> = {};
  const at: Record<string, string> = {};
  for (const leaf of schemaLeaves(schema)) {
    if (leaf.kind === 'other') continue; // maps and records are set in files, not one variable
    const v = env[leaf.env];
    if (v === undefined) continue;
    setPath(data, leaf.path, coerceText(leaf, v));
    at[leaf.path] = leaf.env;
  }
  return { source: 'env', origin: 'environment', data, at };
}

/** A flag layer from dotted paths (`{ 'dataset.rotate_sec': 60 }`) and the flag names that set them. */
export function flagLayer(values: Record<string, unknown>, names: Record<string, string> = {}): ConfigLayer {
  const data: Record<string, unknown> = {};
  const at: Record<string, string> = {};
  for (const [path, v] of Object.entries(values)) {
    if (v === undefined) continue;
    setPath(data, path, v);
    at[path] = names[path] ?? `--${path}`;
  }
  return { source: 'flag', origin: 'command line', data, at };
}

function expectedText(issue: z.core.$ZodIssue): string {
  const i = issue as z.core.$ZodIssue & { expected?: string; minimum?: unknown; maximum?: unknown; values?: unknown[]; keys?: string[]; inclusive?: boolean; origin?: string };
  switch (i.code) {
    case 'invalid_type':
      return `expected ${i.expected === 'int' ? 'an integer' : `a ${i.expected}`}`;
    case 'too_small':
      return `expected ${i.origin === 'array' ? 'at least' : 'a number'} ${i.inclusive ? '≥' : '>'} ${String(i.minimum)}`;
    case 'too_big':
      return `expected a number ${i.inclusive ? '≤' : '<'} ${String(i.maximum)}`;
    case 'invalid_key': {
      const inner = (i as { issues?: { message: string }[] }).issues?.[0]?.message;
      return `invalid key${inner ? `: ${inner}` : ''}`;
    }
    case 'invalid_value':
      return `expected one of ${(i.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return i.message;
  }
}

/**
 * Resolve layers over a schema's defaults (later layers win) and validate. Throws a
 * {@link ConfigError} naming every bad value, unknown key included, with where it was set.
 *
 * @example
 * resolveLayers(ConfigSchema, [envLayerOf(ConfigSchema, { DATASET_ROTATE_SEC: '60' })]).config.dataset.rotate_sec // 60
 */
export function resolveLayers<S extends z.ZodType>(schema: S, layers: readonly ConfigLayer[] = []): ResolvedConfig<z.infer<S>> {
  const merged: Record<string, unknown> = {};
  const origins: Record<string, ValueOrigin> = {};
  for (const layer of layers) {
    deepMerge(merged, structuredClone(layer.data));
    for (const path of leafPaths(layer.data)) {
      const at = layer.at?.[path];
      origins[path] = at ? { source: layer.source, at } : { source: layer.source };
    }
  }
  const parsed = schema.safeParse(merged);
  const leaves = schemaLeaves(schema);
  if (!parsed.success) {
    const issues: ConfigIssue[] = [];
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const path = [...issue.path.map(String), key].join('.');
          // keys that exist at the same depth under the same parent
          const depth = path.split('.').length;
          const parent = issue.path.length ? `${issue.path.join('.')}.` : '';
          const known = [...new Set(leaves.map((l) => l.path.split('.').slice(0, depth).join('.')))].filter((p) => p.startsWith(parent));
          const near = closest(path, known);
          issues.push({ path, value: getPath(merged, path), expected: `unknown key${near ? ` (did you mean ${near}?)` : ''}`, ...atOf(origins, path) });
        }
        continue;
      }
      const path = issue.path.map(String).join('.');
      issues.push({ path, value: getPath(merged, path), expected: expectedText(issue), ...atOf(origins, path) });
    }
    throw new ConfigError(issues);
  }
  for (const leaf of leaves) if (!origins[leaf.path]) origins[leaf.path] = { source: 'default' };
  return { config: parsed.data, origins };
}

function atOf(origins: Record<string, ValueOrigin>, path: string): { at?: string } {
  const o = origins[path] ?? Object.entries(origins).find(([p]) => p.startsWith(`${path}.`))?.[1];
  if (!o) return {};
  return { at: o.at ?? o.source };
}

/** The known path nearest to a mistyped one (edit distance ≤ 3), if any. */
function closest(path: string, known: string[]): string | null {
  return closestPath(path, known, 3);
}

/**
 * The known path nearest to `path` by Levenshtein edit distance, at most `maxDistance` away
 * (the first of equals), or null: the "did you mean" of configuration and sweep-file errors.
 */
export function closestPath(path: string, known: readonly string[], maxDistance = Infinity): string | null {
  let best: string | null = null;
  let bestD = maxDistance + 1;
  for (const k of known) {
    const d = editDistance(path, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}
