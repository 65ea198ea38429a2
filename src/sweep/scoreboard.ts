/**
 * A sweep's scoreboard from its run records: one row per run — its parameters, in-sample and
 * out-of-sample metrics, its rank by the objective and its config hash — with the overfitting
 * statistics of the whole sweep: the deflated Sharpe ratio of the best run (Bailey & López de
 * Prado 2014) and the probability of backtest overfitting by CSCV (Bailey, Borwein, López de
 * Prado & Zhu 2015), both over the returns on the sweep's common grid of the runs without
 * error (the best being the rank-1 run); and the walk-forward selection: at each fold, the run
 * best on that fold's train segment and its value on the fold's test segment (a split is one
 * fold, 0; no validation, none).
 *
 * Ranking: by the objective out of sample when the validation has test segments, else in
 * sample, best first by the objective's direction; runs whose value is null (or not finite)
 * after those with a value; ties (and nulls) in plan order; failed runs last, unranked. The
 * same records give the same board and, through {@link scoreboardJson}, the same bytes.
 */
import { UserInputError } from '../core/errors.js';
import { stableJson } from '../core/stable-json.js';
import { METRIC_NAMES } from './metrics.js';
import { cscvPbo, deflatedSharpe } from './overfit.js';
import type { Pbo, DeflatedSharpe, RunRecord, Scoreboard, ScoreRow, SegmentMetrics, SweepSetup } from './types.js';

/** A metric's value when it is a finite number, else null. */
function valueOf(m: SegmentMetrics | null | undefined, metric: string): number | null {
  const v = m?.[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Compare two candidates by an objective value: better first by `direction`, null after any
 * value, then by plan index.
 */
function byObjective(direction: 'max' | 'min') {
  return (a: { v: number | null; index: number }, b: { v: number | null; index: number }): number => {
    if (a.v !== null && b.v !== null && a.v !== b.v) return direction === 'max' ? b.v - a.v : a.v - b.v;
    if (a.v === null && b.v !== null) return 1;
    if (a.v !== null && b.v === null) return -1;
    return a.index - b.index;
  };
}

/**
 * The scoreboard of a sweep (see the module comment). `records` must all belong to the sweep
 * of `setup` (a {@link UserInputError} names the first that does not); their order does not
 * matter.
 *
 * @example
 * const board = buildScoreboard(setup, records);
 * board.rows[0].rank; board.rows[0].params; board.deflatedSharpe?.dsr; board.pbo?.pbo;
 */
export function buildScoreboard(setup: SweepSetup, records: readonly RunRecord[]): Scoreboard {
  for (const r of records) {
    if (r.sweep !== setup.sweep) throw new UserInputError(`run ${r.index} (${r.hash}) belongs to sweep ${r.sweep}, not ${setup.sweep}`, 'E_SWEEP');
  }
  const { metric, direction } = setup.objective;
  const hasTest = setup.segments.some((s) => s.role === 'test');
  const sorted = [...records].sort((a, b) => a.index - b.index);
  const ok = sorted.filter((r) => r.error === null);
  const failed = sorted.filter((r) => r.error !== null);
  const order = ok.map((r) => ({ r, v: valueOf(hasTest ? r.oos : r.is, metric), index: r.index })).sort(byObjective(direction));
  const row = (r: RunRecord, rank: number | null): ScoreRow => ({
    rank,
    index: r.index,
    hash: r.hash,
    params: orderedParams(r.params, setup.parameters),
    is: orderedMetrics(r.is),
    oos: orderedMetrics(r.oos),
    objectiveIs: valueOf(r.is, metric),
    objectiveOos: valueOf(r.oos, metric),
    error: r.error,
  });
  const rows = [...order.map((o, i) => row(o.r, i + 1)), ...failed.map((r) => row(r, null))];

  // the overfitting statistics over the runs whose returns cover the grid
  const usable = ok.filter((r) => r.returns.length === setup.returnsGrid.length && r.returns.every((x) => Number.isFinite(x)));
  let dsr: DeflatedSharpe | null = null;
  let pbo: Pbo | null = null;
  if (usable.length >= 2) {
    const matrix = usable.map((r) => r.returns);
    const best = order.length > 0 ? usable.indexOf(order[0]!.r) : -1;
    try {
      dsr = deflatedSharpe(matrix, best >= 0 ? best : undefined);
    } catch {
      dsr = null;
    }
    try {
      pbo = cscvPbo(matrix);
    } catch {
      pbo = null;
    }
  }

  // at each fold, the best run in sample and its value out of sample
  const walkForward: Scoreboard['walkForward'] = [];
  const folds = [...new Set(setup.segments.filter((s) => s.role === 'test').map((s) => s.fold))];
  for (const fold of folds) {
    const ti = setup.segments.findIndex((s) => s.role === 'train' && s.fold === fold);
    const si = setup.segments.findIndex((s) => s.role === 'test' && s.fold === fold);
    if (ti < 0 || si < 0) continue;
    const cands = ok.map((r) => ({ r, v: valueOf(r.segments[ti]?.metrics, metric), index: r.index })).sort(byObjective(direction));
    const pick = cands[0];
    if (!pick) continue;
    walkForward.push({ fold, hash: pick.r.hash, objectiveIs: pick.v, objectiveOos: valueOf(pick.r.segments[si]?.metrics, metric) });
  }

  return {
    sweep: setup.sweep,
    name: setup.name,
    objective: { metric, direction },
    validation: { scheme: setup.scheme, segments: setup.segments.map((s) => ({ role: s.role, fold: s.fold, start: s.start, end: s.end })) },
    parameters: [...setup.parameters],
    metrics: [...METRIC_NAMES],
    runs: records.length,
    failed: failed.length,
    rows,
    deflatedSharpe: dsr,
    pbo,
    walkForward,
  };
}

function orderedParams(p: RunRecord['params'], names: readonly string[]): RunRecord['params'] {
  const out: RunRecord['params'] = {};
  for (const k of names) if (k in p) out[k] = p[k]!;
  for (const k of Object.keys(p)) if (!(k in out)) out[k] = p[k]!;
  return out;
}

function orderedMetrics(m: SegmentMetrics | null): SegmentMetrics | null {
  if (m === null) return null;
  const out: SegmentMetrics = {};
  for (const k of METRIC_NAMES) out[k] = valueOf(m, k);
  return out;
}

/**
 * The records of a sweep's parts (shards, resumed runs) as one list: the union by hash (a run
 * recorded twice is kept once, a successful record before a failed one, else the first), sorted
 * by plan index. Records of different sweeps are never mixed: a {@link UserInputError} names
 * both sweep hashes.
 *
 * @example mergeRecords([shard0, shard1]).length // every plan once
 */
export function mergeRecords(parts: readonly (readonly RunRecord[])[]): RunRecord[] {
  let sweep: string | null = null;
  const byHash = new Map<string, RunRecord>();
  for (const part of parts) {
    for (const r of part) {
      if (sweep === null) sweep = r.sweep;
      else if (r.sweep !== sweep) throw new UserInputError(`records of two different sweeps cannot be merged: ${sweep} and ${r.sweep} (run ${r.index}, ${r.hash})`, 'E_SWEEP');
      const seen = byHash.get(r.hash);
      if (!seen || (seen.error !== null && r.error === null)) byHash.set(r.hash, r);
    }
  }
  return [...byHash.values()].sort((a, b) => a.index - b.index);
}

/**
 * `scoreboard.json`: the board with its keys in a fixed order (the order of {@link Scoreboard}'s
 * fields, parameters in the sweep's order, metrics in `METRIC_NAMES` order), two-space indented,
 * non-finite numbers as null: the same board, the same bytes.
 */
export function scoreboardJson(board: Scoreboard): string {
  const rowOf = (r: ScoreRow): ScoreRow => ({
    rank: r.rank,
    index: r.index,
    hash: r.hash,
    params: orderedParams(r.params, board.parameters),
    is: orderedMetrics(r.is),
    oos: orderedMetrics(r.oos),
    objectiveIs: r.objectiveIs,
    objectiveOos: r.objectiveOos,
    error: r.error,
  });
  const d = board.deflatedSharpe;
  const p = board.pbo;
  return stableJson({
    sweep: board.sweep,
    name: board.name,
    objective: { metric: board.objective.metric, direction: board.objective.direction },
    validation: { scheme: board.validation.scheme, segments: board.validation.segments.map((s) => ({ role: s.role, fold: s.fold, start: s.start, end: s.end })) },
    parameters: board.parameters,
    metrics: board.metrics,
    runs: board.runs,
    failed: board.failed,
    rows: board.rows.map(rowOf),
    deflatedSharpe: d && {
      trials: d.trials,
      sharpe: d.sharpe,
      observations: d.observations,
      skewness: d.skewness,
      kurtosis: d.kurtosis,
      sharpeVariance: d.sharpeVariance,
      expectedMaxSharpe: d.expectedMaxSharpe,
      dsr: d.dsr,
    },
    pbo: p && { blocks: p.blocks, combinations: p.combinations, pbo: p.pbo, logits: p.logits, degradationSlope: p.degradationSlope, degradationR2: p.degradationR2, probLoss: p.probLoss },
    walkForward: board.walkForward.map((w) => ({ fold: w.fold, hash: w.hash, objectiveIs: w.objectiveIs, objectiveOos: w.objectiveOos })),
  });
}
