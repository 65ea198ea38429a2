/**
 * The sweep file: which parameters of the configuration a sweep varies and over what values, the
 * data it runs on, the objective the runs are ranked by and how they are validated. YAML (or
 * JSON), checked by {@link SweepSpecSchema}; a bad file is refused with a one-line error naming
 * the file, the line and the field.
 *
 * A parameter is any settable value of the sections a backtest reads (`features`, `signal`,
 * `strategy_mode`, `risk`, `strategy`, `backtest`), named by its dotted path, and takes values
 * from a grid (`values`), a range with a step (`range`: inclusive, stepped in exact decimals) or
 * a seeded random draw (`random`). Grids and ranges are crossed; the random parameters are drawn
 * `samples` times and crossed with the grids (`expand.ts`).
 *
 * Validation: `split` keeps the first `train` share of the data in sample and tests on the rest;
 * `walk-forward` cuts it into `folds + 1` equal blocks and tests each block after the first on
 * the block(s) before it (rolling, or anchored at the start); `none` ranks in sample only
 * (Pardo 2008, *The Evaluation and Optimization of Trading Strategies*, ch. 11).
 *
 * @example
 * const spec = parseSweepSpec(await readFile('config/sweep.yaml', 'utf8'), 'config/sweep.yaml');
 * spec.parameters['signal.buy_threshold'] // { values: [1, 1.5, 2] }
 */
import * as z from 'zod';
import { configLeaves, ConfigSchema } from '../config.js';
import { closestPath, ConfigError, resolveLayers, setPath, type ConfigLayer } from '../core/config/resolve.js';
import { lineOfPath, parseYamlLines } from '../core/config/yaml-text.js';
import { UserInputError } from '../core/errors.js';
import { DURATION_HELP, parseDuration } from '../core/spans.js';
import { isMetricName, METRIC_NAMES } from './metrics.js';
import type { ParamValue } from './types.js';

/** Sections of the configuration a backtest reads: the ones whose values a sweep may vary. */
export const SWEEPABLE_SECTIONS = ['features', 'signal', 'strategy_mode', 'risk', 'strategy', 'backtest'] as const;

/** Most values one range may give (a typo in a step should not make a billion runs). */
export const MAX_RANGE_VALUES = 10_000;

const scalar = z.union([z.number(), z.string(), z.boolean()]);

/** One swept parameter: exactly one of `values`, `range` or `random`. */
export const ParamSpecSchema = z
  .object({
    values: z.array(scalar).min(1).optional().describe('A grid: these values, in this order.'),
    range: z
      .object({
        from: z.number().describe('First value.'),
        to: z.number().describe('Last value (inclusive when a whole number of steps from `from`).'),
        step: z.number().positive().describe('Step, > 0; values are computed in exact decimals (0.1 steps give 0.3, not 0.30000000000000004).'),
      }, { error: (iss) => (iss.code === 'invalid_type' ? 'expected { from, to, step }, e.g. range: { from: 10, to: 30, step: 5 }' : undefined) })
      .strict()
      .optional()
      .describe('An inclusive range with a step: from, from + step, … ≤ to.'),
    random: z
      .object({
        min: z.number().describe('Lower bound.'),
        max: z.number().describe('Upper bound.'),
        log: z.boolean().default(false).describe('Draw uniformly in log space (for scale parameters; min > 0).'),
        int: z.boolean().default(false).describe('Draw whole numbers in [min, max], both included.'),
      }, { error: (iss) => (iss.code === 'invalid_type' ? 'expected { min, max } (and log, int if wanted), e.g. random: { min: 0.5, max: 2 }' : undefined) })
      .strict()
      .optional()
      .describe('A seeded random draw in [min, max), `samples` draws per sweep.'),
  })
  .strict()
  .superRefine((p, ctx) => {
    const n = (p.values ? 1 : 0) + (p.range ? 1 : 0) + (p.random ? 1 : 0);
    if (n !== 1) ctx.addIssue({ code: 'custom', message: 'expected exactly one of values, range or random' });
  });

/** A swept parameter as the file gives it. */
export type ParamSpec = z.infer<typeof ParamSpecSchema>;

/** The validation scheme. */
export const ValidationSchema = z
  .discriminatedUnion('scheme', [
    z
      .object({
        scheme: z.literal('split'),
        train: z.number().gt(0).lt(1).default(0.7).describe('Share of the data (by time) in sample; the rest is the out-of-sample test.'),
      })
      .strict(),
    z
      .object({
        scheme: z.literal('walk-forward'),
        folds: z.number().int().min(1).max(100).default(4).describe('Folds k: the data is cut into k + 1 equal blocks by time; fold j trains on block j − 1 (or blocks 0 … j − 1 when anchored) and tests on block j.'),
        anchored: z.boolean().default(false).describe('Train on everything before the test block (anchored) instead of the one block before it (rolling).'),
      })
      .strict(),
    z.object({ scheme: z.literal('none') }).strict(),
  ])
  .describe('How the runs are validated: split (train, then test), walk-forward (rolling or anchored folds) or none (in sample only).');

/** The sweep file. */
export const SweepSpecSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'expected letters, digits, dot, dash or underscore' })
      .default('sweep')
      .describe('Name of the sweep: its folder under sweep.out_dir and the scoreboard\'s title.'),
    data: z.array(z.string().min(1)).default([]).describe('Market data files or folders; the command line\'s --data replaces them; none: the bundled sample.'),
    symbol: z.string().min(1).optional().describe('Symbol for sources that carry none (LOBSTER, dumps).'),
    base: z.record(z.string(), z.unknown()).default({}).describe('Configuration set before the parameters (any section, any depth), on top of the configuration in force.'),
    parameters: z
      .record(z.string().min(1), ParamSpecSchema)
      .default({})
      .describe('Swept parameters by dotted configuration path (signal.buy_threshold), each a grid (values), a range (from, to, step) or a random draw (min, max, log, int); in file order, the last varying fastest.'),
    samples: z.number().int().min(1).max(100_000).default(10).describe('Draws of the random parameters (ignored without one), each crossed with every grid combination.'),
    seed: z.number().int().default(1).describe('Seed of the random draws: the same seed, the same runs.'),
    objective: z
      .object({
        metric: z.string().default('sharpe').describe(`The metric the runs are ranked by: one of ${METRIC_NAMES.join(', ')}.`),
        direction: z.enum(['max', 'min']).default('max').describe('max (higher is better) or min (lower is better: maxDrawdown, totalFees …).'),
      })
      .strict()
      .prefault({})
      .describe('What the runs are ranked by: out of sample when the validation has test segments, else in sample.'),
    validation: ValidationSchema.default({ scheme: 'split', train: 0.7 }),
    returns_interval: z
      .string()
      .refine((s) => parseDuration(s) !== null, { message: `expected ${DURATION_HELP}` })
      .default('1s')
      .describe('Width of the return bins: of the sharpe, sortino and omega metrics and of the returns the deflated Sharpe ratio and PBO are computed on.'),
  })
  .strict();

/** A parsed sweep file. */
export type SweepSpec = z.infer<typeof SweepSpecSchema>;
/** A sweep file as written: any defaulted field may be left out. */
export type SweepSpecInput = z.input<typeof SweepSpecSchema>;

/** Decimal places of a number as JavaScript writes it (`0.1` → 1, `1e-7` → 7). */
function decimals(x: number): number {
  const s = String(x);
  const e = s.indexOf('e-');
  if (e >= 0) {
    const mant = s.slice(0, e);
    const dot = mant.indexOf('.');
    return Number(s.slice(e + 2)) + (dot < 0 ? 0 : mant.length - dot - 1);
  }
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/**
 * The values of an inclusive range, stepped in exact decimals: each is `(F + i·S) / 10^d` with
 * `F`, `S` the start and step scaled to integers, so it is the double nearest the decimal value
 * (a correctly rounded division of exact integers) — `0.1 … 0.3` gives `0.3`, never
 * `0.30000000000000004`. Values up to `to` (inclusive when a whole number of steps away).
 *
 * @example rangeValues({ from: 0.1, to: 0.5, step: 0.1 }) // [0.1, 0.2, 0.3, 0.4, 0.5]
 */
export function rangeValues(r: { from: number; to: number; step: number }): number[] {
  if (!(r.step > 0) || !Number.isFinite(r.from) || !Number.isFinite(r.to)) throw new RangeError(`range ${r.from}..${r.to} step ${r.step}: expected finite bounds and step > 0`);
  if (r.to < r.from) return [];
  const d = Math.min(20, Math.max(decimals(r.from), decimals(r.to), decimals(r.step)));
  const scale = 10 ** d;
  const F = Math.round(r.from * scale);
  const S = Math.round(r.step * scale);
  const T = Math.round(r.to * scale);
  if (!Number.isSafeInteger(F) || !Number.isSafeInteger(T) || !(S >= 1)) throw new RangeError(`range ${r.from}..${r.to} step ${r.step}: too many decimal places`);
  const n = Math.floor((T - F) / S) + 1;
  if (n > MAX_RANGE_VALUES) throw new RangeError(`range ${r.from}..${r.to} step ${r.step}: ${n} values, more than ${MAX_RANGE_VALUES}`);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((F + i * S) / scale);
  return out;
}

/** The schema of one value of the configuration by its dotted path (its own rules, not its section's), or null. */
function leafSchema(path: string): z.ZodType | null {
  const unwrap = (s: z.ZodType): z.ZodType => {
    let cur = s;
    for (;;) {
      const d = (cur as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def;
      if ((d.type === 'default' || d.type === 'prefault' || d.type === 'optional' || d.type === 'nullable') && d.innerType) cur = d.innerType;
      else return cur;
    }
  };
  let cur: z.ZodType = ConfigSchema;
  for (const key of path.split('.')) {
    const shape = (unwrap(cur) as unknown as { shape?: Record<string, z.ZodType> }).shape;
    if (!shape || !(key in shape)) return null;
    cur = shape[key]!;
  }
  return cur;
}

/** The swept values a parameter may take, as far as they are known before drawing (a random one's bounds). */
function valuesToCheck(p: ParamSpec): ParamValue[] {
  if (p.values) return p.values;
  if (p.range) return rangeValues(p.range);
  const r = p.random!;
  return r.int ? [Math.ceil(r.min), Math.floor(r.max)] : [r.min, r.max];
}

/** A layer of the sweep file's `base`, each value placed at its line. */
export function baseLayer(spec: SweepSpec, file: string, lines: Record<string, number> = {}): ConfigLayer {
  const at: Record<string, string> = {};
  const walk = (obj: unknown, path: string): void => {
    if (typeof obj === 'object' && obj !== null && !Array.isArray(obj)) {
      for (const [k, v] of Object.entries(obj)) walk(v, path ? `${path}.${k}` : k);
      return;
    }
    const l = lineOfPath(lines, `base.${path}`);
    at[path] = l === null ? `${file} base` : `${file}:${l}`;
  };
  walk(spec.base, '');
  return { source: 'file', origin: `${file} base`, data: structuredClone(spec.base) as Record<string, unknown>, at };
}

/**
 * Check a parsed sweep's meaning: parameter paths exist and may be swept, ranges and random
 * bounds make sense, the objective names a metric, the base is a valid configuration, and every
 * grid or range value (and a random parameter's bounds) passes its own field's rules. `lines`
 * (from the file) put the line into messages. Throws a {@link UserInputError} naming the file,
 * the line and the field of every problem (joined by `; `, as a `ConfigError` does).
 */
export function checkSweepSpec(spec: SweepSpec, file: string, lines: Record<string, number> = {}): void {
  const where = (path: string) => {
    const l = lineOfPath(lines, path);
    return l === null ? file : `${file}:${l}`;
  };
  // every problem is reported, not just the first: a sweep file is fixed in one go
  const problems: string[] = [];
  const fail = (path: string, msg: string): void => {
    problems.push(`${where(path)}: ${path}: ${msg}`);
  };
  if (!isMetricName(spec.objective.metric)) {
    const near = closestPath(spec.objective.metric, METRIC_NAMES);
    fail('objective.metric', `unknown metric '${spec.objective.metric}'${near ? ` (did you mean ${near}?)` : ''}; one of ${METRIC_NAMES.join(', ')}`);
  }
  const leaves = configLeaves().filter((l) => (SWEEPABLE_SECTIONS as readonly string[]).includes(l.path.split('.')[0]!));
  const known = leaves.map((l) => l.path);
  const base = baseLayer(spec, file, lines);
  let baseOk = true;
  try {
    resolveLayers(ConfigSchema, [base]);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    baseOk = false;
    for (const i of err.issues) fail(`base.${i.path}`, `${i.expected}${i.value === undefined ? '' : `, got ${JSON.stringify(i.value)}`}`);
  }
  for (const [path, p] of Object.entries(spec.parameters)) {
    const at = `parameters.${path}`;
    const leaf = leaves.find((l) => l.path === path);
    if (!leaf) {
      const section = path.split('.')[0]!;
      const other = configLeaves().some((l) => l.path === path);
      if (other) fail(at, `the ${section} section does not change a backtest; sweepable sections: ${SWEEPABLE_SECTIONS.join(', ')}`);
      else fail(at, `unknown parameter${known.length ? ` (closest: ${closestPath(path, known)})` : ''}`);
      continue;
    }
    if (leaf.kind === 'array' || leaf.kind === 'other') {
      fail(at, `a ${leaf.kind === 'array' ? 'list' : 'mapping'} value cannot be swept (only numbers, booleans and names)`);
      continue;
    }
    const before = problems.length;
    if (p.range) {
      if (p.range.to < p.range.from) fail(`${at}.range.to`, `expected to ≥ from (${p.range.from}), got ${p.range.to}`);
      else {
        try {
          rangeValues(p.range);
        } catch (err) {
          fail(`${at}.range`, (err as Error).message);
        }
      }
    }
    if (p.random) {
      const r = p.random;
      if (!(r.max > r.min)) fail(`${at}.random.max`, `expected max > min (${r.min}), got ${r.max}`);
      if (r.log && !(r.min > 0)) fail(`${at}.random.min`, `a log draw needs min > 0, got ${r.min}`);
      if (r.int && !(Math.floor(r.max) >= Math.ceil(r.min))) fail(`${at}.random`, `no whole number in [${r.min}, ${r.max}]`);
      if (leaf.kind === 'integer' && !r.int) fail(`${at}.random.int`, `${path} takes whole numbers: draw with int: true`);
    }
    // the values of a valid range or draw are checked (what a value is refused for is read off
    // the base when the base itself is valid, else off the defaults)
    if (problems.length > before) continue;
    // each value on its own, against its own rules (type, bounds, names); rules between fields
    // (strong_buy_threshold ≥ buy_threshold) depend on the other parameters and are checked
    // per combination when the sweep is expanded
    valuesToCheck(p).forEach((v, i) => {
      const data: Record<string, unknown> = {};
      setPath(data, path, v);
      const own = leafSchema(path);
      if (!own || own.safeParse(v).success) return;
      let expected = 'refused';
      try {
        resolveLayers(ConfigSchema, baseOk ? [base, { source: 'file', origin: file, data }] : [{ source: 'file', origin: file, data }]);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        expected = (err.issues.find((x) => x.path === path) ?? err.issues[0]!).expected;
      }
      const vpath = p.values ? `${at}.values.${i}` : p.range ? `${at}.range` : `${at}.random`;
      fail(vpath, `value ${JSON.stringify(v)} of ${path}: ${expected}`);
    });
  }
  if (problems.length > 0) throw new UserInputError(problems.join('; '), 'E_SWEEP');
}

function issueText(issue: z.core.$ZodIssue): { path: string; text: string } {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    return { path: path ? `${path}.${key}` : key, text: `unknown key${issue.keys.length > 1 ? `s ${issue.keys.join(', ')}` : ''}` };
  }
  if (issue.code === 'invalid_union' && path === 'validation') return { path: 'validation.scheme', text: 'expected one of "split", "walk-forward", "none"' };
  const missing = /^Invalid input: expected (\w+), received undefined$/.exec(issue.message);
  if (missing) return { path, text: `missing (expected ${/^[aeiou]/.test(missing[1]!) ? 'an' : 'a'} ${missing[1]})` };
  return { path, text: issue.message };
}

/**
 * Parse and check a sweep file's text; `file` names it in messages. Throws a
 * one-line {@link UserInputError} naming every problem (`file:line: field: what was expected`, joined by `; `).
 *
 * @example
 * parseSweepSpec('parameters:\n  signal.buy_treshold: { values: [1, 2] }\n', 'sweep.yaml')
 * // throws "sweep.yaml:2: parameters.signal.buy_treshold: unknown parameter (closest: signal.buy_threshold)"
 */
export function parseSweepSpec(text: string, file: string): SweepSpec {
  const { data, lines } = parseYamlLines(text, file, 'E_SWEEP');
  const d = data ?? {};
  if (typeof d !== 'object' || Array.isArray(d)) throw new UserInputError(`${file}: a sweep file must be a mapping (name, parameters, objective, validation …)`, 'E_SWEEP');
  return parseAndCheck(d, file, lines);
}

/** The schema's parse and {@link checkSweepSpec}'s meaning, every problem of the schema named as the check names its own. */
function parseAndCheck(input: unknown, file: string, lines: Record<string, number> = {}): SweepSpec {
  const parsed = SweepSpecSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const { path, text } = issueText(issue);
      const l = lineOfPath(lines, path);
      return `${l === null ? file : `${file}:${l}`}: ${path || '(top)'}: ${text}`;
    });
    throw new UserInputError(problems.join('; '), 'E_SWEEP');
  }
  checkSweepSpec(parsed.data, file, lines);
  return parsed.data;
}

/**
 * A sweep given as an object (from code, not a file), parsed and checked like a file.
 *
 * @example sweepSpec({ parameters: { 'signal.buy_threshold': { values: [1, 2] } } }).validation // { scheme: 'split', train: 0.7 }
 */
export function sweepSpec(input: SweepSpecInput, origin = 'sweep'): SweepSpec {
  return parseAndCheck(input, origin);
}

/**
 * The sweep `ofi-backtest sweep` runs with no file, over the bundled sample (180 s of BTCUSDT and
 * ETHUSDT): `config/sweep.yaml` holds the same, commented, to copy. The base shortens the
 * warm-ups (the signal layer's 60 s and the volatility's 120 one-second steps would leave the
 * first two thirds of the sample untraded) and the cooldown, so both segments of the 60/40
 * split trade; the grid crosses the buy threshold, the time stop and the take-profit, and two
 * random draws of the volatility target: 36 runs.
 */
export function defaultSweepSpec(): SweepSpec {
  return sweepSpec(
    {
      name: 'default',
      base: { signal: { warmup_sec: 20, cooldown_sec: 5 }, risk: { vol_warmup: 20 } },
      parameters: {
        'signal.buy_threshold': { values: [1, 1.5, 2] },
        'strategy.time_stop_sec': { range: { from: 10, to: 30, step: 10 } },
        'strategy.stop_loss_bps': { values: [5, 15] },
        'risk.target_vol': { random: { min: 0.1, max: 0.4 } },
      },
      samples: 2,
      seed: 7,
      objective: { metric: 'sharpe', direction: 'max' },
      validation: { scheme: 'split', train: 0.6 },
      returns_interval: '1s',
    },
    'default sweep',
  );
}
