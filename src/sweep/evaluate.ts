/**
 * One run of a sweep, evaluated: the run's configuration through the default strategy and the
 * simulator (`backtest/driver.ts`) on each time segment of the validation scheme, the
 * `MetricsAggregator` fed by the driver's hooks, and the run's returns on the sweep's common
 * grid — what a worker thread computes for one plan ({@link evaluatePlan}), synchronously, on an
 * event table and stage-1 features it shares with the other workers.
 *
 * **Segments** ({@link sweepSetup}). The data's span, from the first event's time floored to
 * the returns grid to past the last event, is cut on the grid, so every grid period lies in one
 * block: `split` at `train` of the periods, `walk-forward` into `folds + 1` blocks of (as nearly
 * as whole periods allow) equal length — fold j trains on block j − 1 (anchored: blocks 0 … j − 1)
 * and tests on block j — and `none` keeps one in-sample segment.
 *
 * **A segment's run** is the run that replays the events from the start of the data to the
 * segment's end, so the features, the signal layer's warm-up, the strategy modes and the
 * volatility are warm when the segment opens, but trades only from the segment's start
 * (`DefaultStrategy`'s `tradeFrom`): it is flat, its equity the starting cash, until then. Its
 * metrics are those of a fresh aggregator fed the equity samples, fills, marks, funding and
 * signals at or after the start, with the starting cash as the start value and the grid's step
 * as the returns interval. Equal segments (walk-forward's rolling folds test on the block the
 * next fold trains on) run once.
 *
 * **One pass per chain** ({@link segmentChains}). Segments that follow one another (a split's
 * train then test; a rolling walk-forward's blocks; an anchored one's first block then its
 * tests) run in one pass over the data: at each boundary the driver ends the segment's run and
 * starts the next on the same market (`BacktestDriver.restart`: a fresh account and trading
 * state; the books, signal state, modes and volatility carry on, none of them depending on what
 * was traded). That is the next segment's replay without replaying: a split costs one pass over
 * the data instead of 1 + its train share. `onePass: false` replays each segment from the start
 * of the data (the reference the tests hold the one-pass records to, byte for byte).
 *
 * **Returns** ({@link RunRecord.returns}): per grid period, equity at its end over equity at
 * its start, minus 1, where the equity at a grid point is the run's last equity sample before
 * it (the close of the bin that ends there, as the aggregator's returns take it; the starting
 * cash before the first sample) and, at the end of a segment, the run's final equity. Each
 * period is taken from the one run that covers it: a split's train run then its test run; a
 * walk-forward's block 0 from fold 1's train run, then each test block from its test run; the
 * single run with no validation. Within one segment the returns compound to the segment's total
 * return. The driver samples the equity on a clock of gcd(step, 1 s), so every grid point is a
 * clock point.
 *
 * Features: given the stage-1 table of the whole data (computed once per `featureKey` and
 * shared, {@link featureTableFor}), a pass hands each segment the rows of its events
 * (`featureTableRange`); without it, each pass computes its own over the events it goes
 * through. The two give the same record. With shared features and a thread's
 * {@link SignalTapes}, a run also shares what the data alone decides of the rest: the signals
 * of its signal configuration, the venue's books (the table's `DepthTrack`: each depth row's
 * touch recorded once, a book brought up to date only when an order reads its levels) and when
 * each event reaches the strategy (`feedTimesFor`). The same record again.
 */
import { BacktestSection } from '../backtest/config.js';
import type { EventTable } from '../backtest/data/event-table.js';
import { BacktestDriver, feedTimesFor, type BacktestRunConfig, type EquityCurve, type FeedTimes } from '../backtest/driver.js';
import { FeatureScratch, FeatureStage, featureTableRange, type FeatureTable } from '../backtest/features-stage.js';
import { MetricsAggregator } from '../backtest/metrics.js';
import { depthTrackFor, type DepthTrack, type DepthTrackData } from '../backtest/depth-track.js';
import { DefaultStrategy } from '../backtest/strategies/default.js';
import { SignalTape } from '../backtest/strategies/signal-tape.js';
import { UserInputError } from '../core/errors.js';
import { parseDuration } from '../core/spans.js';
import { FeaturesSection } from '../microstructure/config.js';
import { fingerprint } from '../microstructure/fingerprint.js';
import { METRIC_NAMES, segmentMetrics } from './metrics.js';
import type { SweepSpec } from './spec.js';
import type { RunPlan, RunRecord, Segment, SegmentMetrics, SweepSetup } from './types.js';

/** First and last finite event time of a table (NaN, NaN when it has none). */
function timeSpan(table: EventTable): [number, number] {
  let t0 = NaN;
  let t1 = NaN;
  for (let i = 0; i < table.length; i++) {
    const x = table.ts[i]!;
    if (x === x) {
      t0 = x;
      break;
    }
  }
  for (let i = table.length - 1; i >= 0; i--) {
    const x = table.ts[i]!;
    if (x === x) {
      t1 = x;
      break;
    }
  }
  return [t0, t1];
}

/**
 * The segments and the returns grid of a sweep over a table (see the module comment), and the
 * sweep's hash: the fingerprint of its plans' hashes in order, the data's identity `dataId`
 * (e.g. the inputs' names, sizes and times, or a dataset slice's cache key), the scheme, the
 * segments, the objective and the grid. Throws a {@link UserInputError} when the data is too
 * short for the scheme on the grid.
 *
 * @example
 * const setup = sweepSetup(spec, plans, table, 'sample');
 * setup.segments // [{ role: 'train', fold: 0, start, end: s }, { role: 'test', fold: 0, start: s, end }]
 */
export function sweepSetup(spec: SweepSpec, plans: readonly RunPlan[], table: EventTable, dataId: string): SweepSetup {
  const step = parseDuration(spec.returns_interval);
  if (step === null) throw new UserInputError(`sweep ${spec.name}: returns_interval: expected a duration, got '${spec.returns_interval}'`, 'E_SWEEP');
  const [t0, t1] = timeSpan(table);
  if (!(t0 === t0)) throw new UserInputError(`sweep ${spec.name}: the data has no events`, 'E_SWEEP');
  const start = Math.floor(t0 / step) * step;
  const n = Math.floor((t1 - start) / step) + 1;
  const at = (k: number) => start + k * step;
  const v = spec.validation;
  const segments: Segment[] = [];
  const short = (need: number) => new UserInputError(`sweep ${spec.name}: the data spans ${n} periods of ${spec.returns_interval}; ${v.scheme} needs at least ${need}`, 'E_SWEEP');
  if (v.scheme === 'split') {
    if (n < 2) throw short(2);
    const k = Math.min(n - 1, Math.max(1, Math.round(v.train * n)));
    segments.push({ role: 'train', fold: 0, start, end: at(k) }, { role: 'test', fold: 0, start: at(k), end: at(n) });
  } else if (v.scheme === 'walk-forward') {
    const B = v.folds + 1;
    if (n < B) throw short(B);
    const b = (i: number) => at(Math.round((i * n) / B));
    for (let j = 1; j <= v.folds; j++) {
      segments.push({ role: 'train', fold: j, start: v.anchored ? b(0) : b(j - 1), end: b(j) }, { role: 'test', fold: j, start: b(j), end: b(j + 1) });
    }
  } else {
    segments.push({ role: 'train', fold: 0, start, end: at(n) });
  }
  const returnsGrid = { start, stepMs: step, length: n };
  const objective = { metric: spec.objective.metric, direction: spec.objective.direction };
  const sweep = fingerprint({ plans: plans.map((p) => p.hash), dataId, scheme: v.scheme, segments, objective, grid: returnsGrid });
  return { sweep, name: spec.name, objective, scheme: v.scheme, segments, returnsGrid, parameters: Object.keys(spec.parameters) };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The driver's equity clock for a returns grid of `stepMs`: gcd(step, 1 s), so every grid point is a clock point. */
export function sampleMsFor(stepMs: number): number {
  return Number.isInteger(stepMs) ? gcd(stepMs, 1000) : Math.min(stepMs, 1000);
}

/** One segment's run: its metrics and its equity curve. */
interface SegmentRun {
  start: number;
  end: number;
  metrics: SegmentMetrics;
  equity: EquityCurve;
  startingCash: number;
}

/** A segment's span of exchange time, `[start, end)`. */
export interface SegmentSpan {
  start: number;
  end: number;
}

/**
 * The distinct spans of a sweep's segments, grouped into chains that one pass runs (see the
 * module comment): each span of a chain starts where the one before it ends. Spans sorted by
 * start then end; a chain takes the earliest span left, then repeatedly the shortest span
 * starting at its end. A split gives one chain of two; a rolling walk-forward one chain of
 * `folds + 1`; an anchored one a chain of its first block and its tests, and each longer train
 * span alone.
 *
 * @example segmentChains([{ start: 0, end: 7 }, { start: 7, end: 10 }]) // [[{0, 7}, {7, 10}]]
 */
export function segmentChains(segments: readonly SegmentSpan[]): SegmentSpan[][] {
  const seen = new Set<string>();
  const left: SegmentSpan[] = [];
  for (const s of segments) {
    const key = `${s.start}:${s.end}`;
    if (seen.has(key)) continue;
    seen.add(key);
    left.push({ start: s.start, end: s.end });
  }
  left.sort((a, b) => a.start - b.start || a.end - b.end);
  const chains: SegmentSpan[][] = [];
  while (left.length > 0) {
    const chain = [left.shift()!];
    for (;;) {
      const at = chain[chain.length - 1]!.end;
      const i = left.findIndex((w) => w.start === at);
      if (i < 0) break;
      chain.push(left.splice(i, 1)[0]!);
    }
    chains.push(chain);
  }
  return chains;
}

/**
 * The signal tapes of a thread's runs on shared feature tables ({@link SignalTape}): per feature
 * table, the tapes of its latest few signal configurations, one per pass length (a walk-forward's
 * chains end at different rows). Runs that differ only in strategy, risk or simulator parameters
 * replay the signals the first of them recorded. Give one to every {@link evaluatePlan} of a
 * thread (a worker keeps one for its life).
 *
 * @example
 * const tapes = new SignalTapes();
 * for (const p of plans) records.push(evaluatePlan(p, table, f, setup, { tapes }));
 */
export class SignalTapes {
  private readonly byTable = new WeakMap<FeatureTable, Map<string, Map<number, SignalTape>>>();
  /** Passes that replayed a tape, and passes that recorded one. */
  replayed = 0;
  recorded = 0;

  /** `size`: signal configurations kept per feature table, the latest used (a sweep's plans come in order, so a few suffice). */
  constructor(readonly size = 4) {}

  /** The tape of the first `rows` events' feature rows under the signal configuration `key` (`RunPlan.signalKey`): recorded before, or empty (to record). */
  tape(features: FeatureTable, key: string, rows: number): SignalTape {
    const t = this.byLength(features, key).get(rows);
    if (t && t.complete) {
      this.replayed++;
      return t;
    }
    this.recorded++;
    return new SignalTape();
  }

  /** Keep a tape a pass has recorded to its end. */
  keep(features: FeatureTable, key: string, rows: number, tape: SignalTape): void {
    if (tape.complete) this.byLength(features, key).set(rows, tape);
  }

  /** The tapes of a signal configuration by pass length, made the latest used. */
  private byLength(features: FeatureTable, key: string): Map<number, SignalTape> {
    let m = this.byTable.get(features);
    if (!m) this.byTable.set(features, (m = new Map()));
    const tapes = m.get(key) ?? new Map<number, SignalTape>();
    m.delete(key);
    m.set(key, tapes);
    while (m.size > this.size) m.delete(m.keys().next().value!);
    return tapes;
  }
}

/**
 * A features section's stage-1 table in shared memory (`featureTableFor`, `shareFeatureTable`),
 * to share with every worker; null and the error when it cannot be computed (the section's runs
 * then compute their own and record why they fail).
 */
export function sharedFeaturesOf(plan: RunPlan, table: EventTable): { features: FeatureTable | null; error: string } {
  try {
    return { features: shareFeatureTable(featureTableFor(plan, table)), error: '' };
  } catch (err) {
    return { features: null, error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * What runs on shared features share besides them that the data alone decides: the venue's
 * books (`DepthTrack`) and the delivery times of the default feed latency (`FeedTimes`).
 */
export interface Market {
  depthTrack: DepthTrack;
  feedTimes: FeedTimes;
}

/** A {@link Market} as plain data in shared memory: one thread makes it ({@link marketData}), a sweep's workers take it ({@link adoptMarket}) without a copy. */
export interface MarketData {
  depthTrack: DepthTrackData;
  local: Float64Array;
}

/**
 * The {@link Market} of a table in this thread, made on first use (in shared memory with
 * `shared`) and kept while the table lives.
 */
export function marketShared(table: EventTable, options: { shared?: boolean } = {}): Market {
  return { depthTrack: depthTrackFor(table, options), feedTimes: feedTimesFor(table, options) };
}

/** The table's {@link Market} made in shared memory, as data for the other threads over the same table. */
export function marketData(table: EventTable): MarketData {
  return dataOfMarket(marketShared(table, { shared: true }));
}

/** A {@link Market} made in shared memory, as the data {@link adoptMarket} takes in another thread. */
export function dataOfMarket(m: Market): MarketData {
  return { depthTrack: m.depthTrack.data(), local: m.feedTimes.local };
}

/** The {@link Market} another thread made over the same table ({@link marketData}), kept as this thread's (unless it has one). */
export function adoptMarket(table: EventTable, data: MarketData): Market {
  return { depthTrack: depthTrackFor(table, { data: data.depthTrack }), feedTimes: feedTimesFor(table, { local: data.local }) };
}

/**
 * The buffers of the features a run computes itself (no shared table): one run after another in
 * this thread, each done with its table before the next makes its own ({@link FeatureScratch}).
 */
const OWN_FEATURES = new FeatureScratch();

/**
 * The runs of a chain of segments in one pass over the events up to its last end (see the
 * module comment); `features` the stage-1 table of the whole data, or null to compute the
 * pass's own. Gives each segment's run and the events the pass went through. With shared
 * features and `tapes`, the signal layer's signals are replayed from an earlier pass when one
 * recorded them, else recorded, and the venue reads `market` (see {@link EvaluatePlanOptions}).
 */
function runChain(plan: RunPlan, table: EventTable, features: FeatureTable | null, chain: readonly SegmentSpan[], stepMs: number, tapes: SignalTapes | null, market: Market | null | undefined): { runs: SegmentRun[]; events: number } {
  const config = plan.config as BacktestRunConfig;
  const n = table.lowerBound(chain[chain.length - 1]!.end);
  const f = features ?? new FeatureStage(FeaturesSection.parse(config.features ?? {}), { scratch: OWN_FEATURES }).run(table.range(0, n));
  const startingCash = BacktestSection.parse(config.backtest ?? {}).starting_cash;
  const aggs = chain.map(() => new MetricsAggregator({ returnsIntervalMs: stepMs, startValue: startingCash }));
  const first = chain[0]!;
  const tape = features !== null && tapes !== null ? tapes.tape(features, plan.signalKey, n) : undefined;
  const strategy = new DefaultStrategy(config, { tradeFrom: first.start, ...(tape ? { signalTape: tape } : {}) });
  // with the features shared, so are what the data alone decides of the rest: the venue's books
  // (the table's depth track) and when each event reaches the strategy
  const shared = tape ? (market === undefined ? marketShared(table) : (market ?? {})) : {};
  const driver = new BacktestDriver({ config, strategy, sampleMs: sampleMsFor(stepMs), hooks: aggs[0]!.hooks(first.start), ...shared });
  const runs: SegmentRun[] = [];
  let from = 0;
  for (let j = 0; j < chain.length; j++) {
    const w = chain[j]!;
    const to = table.lowerBound(w.end);
    driver.feed(table.range(from, to), featureTableRange(f, from, to));
    from = to;
    const next = chain[j + 1];
    const result = next ? driver.restart({ hooks: aggs[j + 1]!.hooks(next.start), tradeFrom: next.start }) : driver.finish();
    runs.push({ start: w.start, end: w.end, metrics: segmentMetrics(aggs[j]!.result()), equity: result.equity, startingCash });
  }
  driver.release();
  if (tape) {
    strategy.closeTape();
    tapes!.keep(features!, plan.signalKey, n, tape);
  }
  return { runs, events: n };
}

/**
 * Write the returns of the grid periods `[from, to)` from a segment's run into `out` (see the
 * module comment: equity at a grid point is the last sample before it, the run's final equity
 * at the segment's end).
 */
function fillReturns(out: number[], run: SegmentRun, gridStart: number, stepMs: number, from: number, to: number): void {
  const { ts, equity, length } = run.equity;
  let j = 0;
  let last = run.startingCash;
  const before = (g: number): number => {
    while (j < length && ts[j]! < g) last = equity[j++]!;
    return last;
  };
  const final = length > 0 ? equity[length - 1]! : run.startingCash;
  let e0 = before(gridStart + from * stepMs);
  for (let k = from; k < to; k++) {
    const e1 = k + 1 === to ? final : before(gridStart + (k + 1) * stepMs);
    out[k] = e1 / e0 - 1;
    e0 = e1;
  }
}

/** Per metric, the mean over the segments of its non-null values (null when all are null). */
function meanMetrics(ms: readonly SegmentMetrics[]): SegmentMetrics {
  const out: SegmentMetrics = {};
  for (const k of METRIC_NAMES) {
    let sum = 0;
    let n = 0;
    for (const m of ms) {
      const v = m[k];
      if (v !== null && v !== undefined) {
        sum += v;
        n++;
      }
    }
    out[k] = n > 0 ? sum / n : null;
  }
  return out;
}

/** Options of {@link evaluatePlan}. */
export interface EvaluatePlanOptions {
  /** Run the segments that follow one another in one pass (default true); false: each replays the data from its start (see the module comment). */
  onePass?: boolean;
  /** The thread's signal tapes ({@link SignalTapes}): with shared `features`, the signal layer runs once per signal configuration. Default none. */
  tapes?: SignalTapes;
  /**
   * With shared `features` and `tapes`: the {@link Market} the runs read, null for none (each
   * run keeps its books and computes its feed times: the same records). Default: the table's in
   * this thread ({@link marketShared}), made by the first run.
   */
  market?: Market | null;
}

/**
 * Evaluate one plan on the sweep's segments (see the module comment). `features`: the stage-1
 * table of the whole `table` for the plan's `featureKey` ({@link featureTableFor}), or null to
 * compute them in each segment's run. Synchronous, and never throws: a run that fails is a
 * record with its `error` and null metrics.
 *
 * @example
 * const record = evaluatePlan(plans[0], table, featureTableFor(plans[0], table), setup);
 * record.oos?.sharpe; record.returns.length === setup.returnsGrid.length;
 */
export function evaluatePlan(plan: RunPlan, table: EventTable, features: FeatureTable | null, setup: SweepSetup, options: EvaluatePlanOptions = {}): RunRecord {
  const record: RunRecord = { sweep: setup.sweep, index: plan.index, hash: plan.hash, params: plan.params, is: null, oos: null, segments: [], returns: [], events: 0, error: null };
  try {
    const { start: gridStart, stepMs, length } = setup.returnsGrid;
    const runs = new Map<string, SegmentRun>();
    const chains = options.onePass === false ? segmentChains(setup.segments).flat().map((w) => [w]) : segmentChains(setup.segments);
    for (const chain of chains) {
      const c = runChain(plan, table, features, chain, stepMs, options.tapes ?? null, options.market);
      for (const r of c.runs) runs.set(`${r.start}:${r.end}`, r);
      record.events += c.events;
    }
    const runOf = (s: Segment): SegmentRun => runs.get(`${s.start}:${s.end}`)!;
    const segRuns = setup.segments.map(runOf);
    const segments = setup.segments.map((s, i) => ({ role: s.role, fold: s.fold, metrics: segRuns[i]!.metrics }));
    const train = segRuns.filter((_, i) => setup.segments[i]!.role === 'train').map((r) => r.metrics);
    const test = segRuns.filter((_, i) => setup.segments[i]!.role === 'test').map((r) => r.metrics);
    // the runs covering the grid, each period once
    const cover = setup.scheme === 'walk-forward' ? [segRuns[0]!, ...segRuns.filter((_, i) => setup.segments[i]!.role === 'test')] : segRuns;
    const returns = new Array<number>(length).fill(0);
    for (const r of cover) {
      const from = Math.round((r.start - gridStart) / stepMs);
      const to = Math.round((r.end - gridStart) / stepMs);
      fillReturns(returns, r, gridStart, stepMs, Math.max(0, from), Math.min(length, to));
    }
    record.segments = segments;
    record.is = train.length === 1 ? train[0]! : meanMetrics(train);
    record.oos = test.length === 0 ? null : test.length === 1 ? test[0]! : meanMetrics(test);
    record.returns = returns;
  } catch (err) {
    record.is = null;
    record.oos = null;
    record.segments = [];
    record.returns = [];
    record.error = err instanceof Error ? err.message || err.name : String(err);
  }
  return record;
}

/**
 * The stage-1 feature table of the whole `table` under a plan's `features` section: the table
 * every plan with the same `featureKey` shares. The open bars at the end of the data are not
 * flushed (a segment's run ends inside the data or at its end, and never sees them), so a
 * segment's rows are a prefix of these.
 *
 * @example const f = featureTableFor(plans[0], table); // shared by every plan whose featureKey equals plans[0].featureKey
 */
export function featureTableFor(plan: RunPlan, table: EventTable): FeatureTable {
  const config = plan.config as BacktestRunConfig;
  return new FeatureStage(FeaturesSection.parse(config.features ?? {})).run(table);
}

/** A typed array's copy on a `SharedArrayBuffer`. */
function shared<T extends Float64Array | Int32Array | Int8Array | Uint16Array>(a: T): T {
  const Ctor = a.constructor as new (b: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/**
 * A feature table with its columns copied into `SharedArrayBuffer`s: `postMessage` hands it to a
 * worker thread without copying the memory (a structured clone keeps a shared buffer shared),
 * so one table serves every worker.
 *
 * @example worker.postMessage({ key: plan.featureKey, features: shareFeatureTable(featureTableFor(plan, table)) });
 */
export function shareFeatureTable(f: FeatureTable): FeatureTable {
  return {
    length: f.length,
    at: shared(f.at),
    mid: shared(f.mid),
    spread: shared(f.spread),
    z_ofi: shared(f.z_ofi),
    z_cvd: shared(f.z_cvd),
    score: shared(f.score),
    side: shared(f.side),
    consistency: shared(f.consistency),
    divType: shared(f.divType),
    divStrength: shared(f.divStrength),
    bar: f.bar ? { sym: shared(f.bar.sym), end: shared(f.bar.end), quotes: shared(f.bar.quotes), trades: shared(f.bar.trades) } : null,
    fp: f.fp,
  };
}

/** Options of {@link evaluatePlans}. */
export interface EvaluatePlansOptions {
  /** Compute the stage-1 features once per `featureKey` and share them (default true); false: inside every run. */
  shareFeatures?: boolean;
  /** Hears each record as it is made (progress). */
  onRecord?: (record: RunRecord) => void;
}

/**
 * Every plan evaluated in this thread, in order: the in-process sweep (the CLI's worker pool
 * runs the same {@link evaluatePlan} per plan on threads). Feature tables are computed once per
 * `featureKey` and dropped after the last plan that needs them; with them, the signal layer
 * runs once per signal configuration ({@link SignalTapes}).
 *
 * @example
 * const records = evaluatePlans(plans, table, sweepSetup(spec, plans, table, 'sample'));
 * buildScoreboard(setup, records).rows[0];
 */
export function evaluatePlans(plans: readonly RunPlan[], table: EventTable, setup: SweepSetup, options: EvaluatePlansOptions = {}): RunRecord[] {
  const share = options.shareFeatures !== false;
  const lastUse = new Map<string, number>();
  plans.forEach((p, i) => lastUse.set(p.featureKey, i));
  const cache = new Map<string, FeatureTable>();
  const tapes = share ? new SignalTapes() : null;
  const out: RunRecord[] = [];
  plans.forEach((p, i) => {
    let f: FeatureTable | null = null;
    if (share) {
      f = cache.get(p.featureKey) ?? null;
      if (!f) {
        try {
          f = featureTableFor(p, table);
          cache.set(p.featureKey, f);
        } catch {
          f = null; // the run computes them itself and records the error
        }
      }
    }
    const r = evaluatePlan(p, table, f, setup, tapes ? { tapes } : {});
    out.push(r);
    options.onRecord?.(r);
    if (lastUse.get(p.featureKey) === i) cache.delete(p.featureKey);
  });
  return out;
}
