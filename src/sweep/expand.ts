/**
 * A sweep file expanded into its run plans: frozen, validated configurations, each with a
 * stable hash (../shared/CONVENTIONS.md point 12: a sweep is frozen configurations in and a
 * scoreboard out; a shard, a resumed run and a merge agree on the hashes).
 *
 * Order, fixed by the file alone: the cartesian product of the grid and range parameters in
 * file order, the last varying fastest; for each grid point, the `samples` random draws in draw
 * order (the same draws for every grid point, so the random parameters are crossed with the
 * grids). With no random parameter there is one draw (nothing drawn). A plan's `index` is its
 * place in that list after duplicates (plans whose configurations hash the same) are dropped,
 * the first kept.
 *
 * Random draws come from the backtest's seeded generator (`SeededRandom`, mulberry32), one
 * stream per sweep, parameters drawn in file order within a sample; a drawn real number is
 * rounded to 12 significant digits so that its text, its hash and the value read back from
 * JSON agree.
 */
import { SeededRandom } from '../backtest/sim/models/random.js';
import { ConfigSchema, type Config } from '../config.js';
import { ConfigError, resolveLayers, setPath, type ConfigLayer } from '../core/config/resolve.js';
import { UserInputError } from '../core/errors.js';
import { fingerprint } from '../microstructure/fingerprint.js';
import { signalRules } from '../signals/config.js';
import { baseLayer, rangeValues, type ParamSpec, type SweepSpec } from './spec.js';
import type { ParamValue, RunPlan } from './types.js';

/** Most plans one sweep may expand to. */
export const MAX_PLANS = 1_000_000;

/** The sections of a configuration that change a run's results: what a plan's hash covers. */
export const RUN_SECTIONS = ['features', 'signal', 'strategy_mode', 'risk', 'strategy', 'backtest', 'symbols'] as const;

/**
 * The part of a configuration a backtest reads ({@link RUN_SECTIONS}). The other sections
 * (where datasets are written, how many workers a sweep has …) change nothing a run computes,
 * so they stay out of its hash: two shards started with different `sweep.workers` agree.
 */
export function runSections(config: Config): Pick<Config, (typeof RUN_SECTIONS)[number]> {
  const out = {} as Record<string, unknown>;
  for (const k of RUN_SECTIONS) out[k] = config[k];
  return out as Pick<Config, (typeof RUN_SECTIONS)[number]>;
}

/**
 * The sections the signal layer reads (`CoreAlgorithm` with its features and strategy modes):
 * runs whose {@link signalKey} is equal emit the same signals on the same data, whatever their
 * risk, strategy, simulator and symbols sections.
 */
export const SIGNAL_SECTIONS = ['features', 'signal', 'strategy_mode'] as const;

/**
 * The fingerprint of a configuration's {@link SIGNAL_SECTIONS}, the signal section without its
 * output keys (as {@link planHash}): the key a sweep's signal tapes go by (`SignalTapes`).
 *
 * @example signalKey(a) === signalKey(b) // a and b differ in risk, strategy, backtest or symbols only
 */
export function signalKey(config: Config): string {
  const out: Record<string, unknown> = {};
  for (const k of SIGNAL_SECTIONS) out[k] = k === 'signal' ? signalRules(config.signal) : config[k];
  return fingerprint(out);
}

/**
 * A run configuration's hash: the fingerprint of its {@link runSections} (64-bit FNV-1a over
 * canonical JSON, `microstructure/fingerprint.ts`), the signal section without its output keys
 * (where a signals command writes, `SIGNAL_OUTPUT_KEYS`): the same in any process, under any
 * key order, and for any value that cannot change a run.
 */
export function planHash(config: Config): string {
  return fingerprint({ ...runSections(config), signal: signalRules(config.signal) });
}

/** One draw of a random parameter. */
function draw(rng: SeededRandom, r: NonNullable<ParamSpec['random']>): number {
  const u = rng.next();
  if (r.int) {
    const lo = Math.ceil(r.min);
    const hi = Math.floor(r.max);
    return Math.min(hi, lo + Math.floor(u * (hi - lo + 1)));
  }
  const x = r.log ? Math.exp(Math.log(r.min) + u * (Math.log(r.max) - Math.log(r.min))) : r.min + u * (r.max - r.min);
  return Number(x.toPrecision(12));
}

function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x)) deepFreeze(v);
  }
  return x;
}

/**
 * The parameter sets of a sweep, in plan order (see the module comment), before resolving.
 *
 * @example
 * parameterSets(sweepSpec({ parameters: { 'a.x': { values: [1, 2] }, 'a.y': { values: [3, 4] } } }))
 * // [{ 'a.x': 1, 'a.y': 3 }, { 'a.x': 1, 'a.y': 4 }, { 'a.x': 2, 'a.y': 3 }, { 'a.x': 2, 'a.y': 4 }]
 */
export function parameterSets(spec: SweepSpec): Record<string, ParamValue>[] {
  const entries = Object.entries(spec.parameters);
  const grid = entries.filter(([, p]) => !p.random).map(([k, p]) => [k, p.values ?? rangeValues(p.range!)] as const);
  const random = entries.filter(([, p]) => p.random);
  let total = grid.reduce((n, [, v]) => n * v.length, 1);
  const samples = random.length > 0 ? spec.samples : 1;
  total *= samples;
  if (total > MAX_PLANS) throw new UserInputError(`sweep ${spec.name}: ${total} runs, more than ${MAX_PLANS}`, 'E_SWEEP');
  const rng = new SeededRandom(spec.seed);
  const draws: Record<string, number>[] = [];
  for (let s = 0; s < samples; s++) {
    const d: Record<string, number> = {};
    for (const [k, p] of random) d[k] = draw(rng, p.random!);
    draws.push(d);
  }
  const out: Record<string, ParamValue>[] = [];
  const idx = grid.map(() => 0);
  const gridCount = total / samples;
  for (let g = 0; g < gridCount; g++) {
    for (const d of draws) {
      const params: Record<string, ParamValue> = {};
      // file order, grid and random parameters mixed as written
      for (const [k] of entries) {
        const gi = grid.findIndex(([gk]) => gk === k);
        params[k] = gi >= 0 ? grid[gi]![1][idx[gi]!]! : d[k]!;
      }
      out.push(params);
    }
    // the last grid parameter varies fastest
    for (let j = grid.length - 1; j >= 0; j--) {
      if (++idx[j]! < grid[j]![1].length) break;
      idx[j] = 0;
    }
  }
  return out;
}

/**
 * The run plans of a sweep over a base configuration (the configuration in force: defaults,
 * file, environment, flags): for each parameter set, `base` ← the sweep's `base` ← the
 * parameters, resolved and validated by `ConfigSchema`, frozen; `hash` = {@link planHash};
 * `featureKey` = the fingerprint of the `features` section; `signalKey` = {@link signalKey}. Plans with a hash already seen
 * are dropped (the first kept). Throws a {@link UserInputError} naming the parameters of a
 * combination the schema refuses.
 *
 * @example
 * const plans = expandSweep(spec, defaultConfig());
 * plans[0].params; plans[0].hash; // { 'signal.buy_threshold': 1 }, '3f…'
 */
export function expandSweep(spec: SweepSpec, base: Config): RunPlan[] {
  const layers: ConfigLayer[] = [{ source: 'file', origin: 'configuration', data: structuredClone(base) as unknown as Record<string, unknown> }, baseLayer(spec, `sweep ${spec.name}`)];
  const plans: RunPlan[] = [];
  const seen = new Set<string>();
  for (const params of parameterSets(spec)) {
    const data: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params)) setPath(data, k, v);
    let config: Config;
    try {
      config = resolveLayers(ConfigSchema, [...layers, { source: 'flag', origin: 'sweep parameters', data }]).config;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const i = err.issues[0]!;
      const set = Object.entries(params)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(', ');
      throw new UserInputError(`sweep ${spec.name}: the parameters ${set} give an invalid configuration: ${i.path}: ${i.expected}${i.value === undefined ? '' : `, got ${JSON.stringify(i.value)}`}`, 'E_SWEEP');
    }
    const hash = planHash(config);
    if (seen.has(hash)) continue;
    seen.add(hash);
    plans.push(deepFreeze({ index: plans.length, params, config, hash, featureKey: fingerprint(config.features), signalKey: signalKey(config) }));
  }
  return plans;
}
