/**
 * The scoreboard: ranking by the objective (out of sample when there is a test segment, in
 * sample otherwise; nulls after values, ties in plan order, failed runs last and unranked, either
 * direction), the walk-forward selection, the merge of parts (union by hash, never two sweeps),
 * the same bytes for the same records, and the overfitting statistics over the real runs of a
 * small sweep on the bundled sample equal to DSR and PBO computed on their own.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { UserInputError } from '../../src/core/errors.js';
import { samplePaths } from '../../src/io/sample.js';
import { DataReader } from '../../src/runs/backtest-data.js';
import { expandSweep } from '../../src/sweep/expand.js';
import { evaluatePlans, sweepSetup } from '../../src/sweep/evaluate.js';
import { METRIC_NAMES } from '../../src/sweep/metrics.js';
import { cscvPbo, deflatedSharpe } from '../../src/sweep/overfit.js';
import { buildScoreboard, mergeRecords, scoreboardJson } from '../../src/sweep/scoreboard.js';
import { sweepSpec } from '../../src/sweep/spec.js';
import type { RunRecord, SweepSetup } from '../../src/sweep/types.js';

const SPLIT: SweepSetup = {
  sweep: 'sw1',
  name: 'test',
  objective: { metric: 'sharpe', direction: 'max' },
  scheme: 'split',
  segments: [
    { role: 'train', fold: 0, start: 0, end: 6000 },
    { role: 'test', fold: 0, start: 6000, end: 10_000 },
  ],
  returnsGrid: { start: 0, stepMs: 1000, length: 10 },
  parameters: ['signal.buy_threshold'],
};

/** A record with the given in- and out-of-sample sharpe (or an error). */
function rec(index: number, is: number | null, oos: number | null, error: string | null = null, sweep = 'sw1'): RunRecord {
  const m = (v: number | null) => ({ sharpe: v, totalReturn: v === null ? null : v / 100 });
  return {
    sweep,
    index,
    hash: `h${index}`,
    params: { 'signal.buy_threshold': 1 + index / 10 },
    is: error ? null : m(is),
    oos: error ? null : m(oos),
    segments: error ? [] : [{ role: 'train', fold: 0, metrics: m(is) }, { role: 'test', fold: 0, metrics: m(oos) }],
    returns: error ? [] : [0.01, -0.01, 0.02, 0, 0.01, -0.02, 0.01, 0.03, -0.01, index / 1000],
    events: 100,
    error,
  };
}

const RECORDS = [rec(0, 5, 1), rec(1, 1, 2), rec(2, 9, null), rec(3, 0, 0, 'boom'), rec(4, 3, 2), rec(5, 2, NaN)];

describe('buildScoreboard', () => {
  it('ranks by the out-of-sample objective: values first, ties by index, null and NaN after, failed last unranked', () => {
    const b = buildScoreboard(SPLIT, RECORDS);
    expect(b.rows.map((r) => [r.index, r.rank])).toEqual([[1, 1], [4, 2], [0, 3], [2, 4], [5, 5], [3, null]]);
    expect(b.rows[0]!.objectiveOos).toBe(2);
    expect(b.rows[0]!.objectiveIs).toBe(1);
    expect(b.rows[4]!.objectiveOos, 'NaN is no value').toBeNull();
    expect(b.rows[5]!.error).toBe('boom');
    expect([b.runs, b.failed]).toEqual([6, 1]);
    expect(b.metrics).toEqual([...METRIC_NAMES]);
    expect(b.parameters).toEqual(['signal.buy_threshold']);
    expect(b.validation).toEqual({ scheme: 'split', segments: SPLIT.segments });
  });

  it('min: the lowest first; with no test segment the in-sample value', () => {
    const min = buildScoreboard({ ...SPLIT, objective: { metric: 'sharpe', direction: 'min' } }, RECORDS);
    expect(min.rows.map((r) => r.index)).toEqual([0, 1, 4, 2, 5, 3]);
    const none = buildScoreboard({ ...SPLIT, scheme: 'none', segments: [{ role: 'train', fold: 0, start: 0, end: 10_000 }] }, RECORDS);
    expect(none.rows.map((r) => r.index)).toEqual([2, 0, 4, 5, 1, 3]);
    expect(none.walkForward).toEqual([]);
  });

  it('the order of the records does not matter, to the byte', () => {
    const a = scoreboardJson(buildScoreboard(SPLIT, RECORDS));
    const b = scoreboardJson(buildScoreboard(SPLIT, [...RECORDS].reverse()));
    expect(b).toBe(a);
    expect(JSON.parse(a).rows[4].oos.sharpe, 'NaN written as null').toBeNull();
  });

  it('refuses a record of another sweep', () => {
    expect(() => buildScoreboard(SPLIT, [...RECORDS, rec(9, 1, 1, null, 'sw2')])).toThrow(UserInputError);
  });

  it('walk-forward selection: per fold, the best train value and that run\'s test value', () => {
    const setup: SweepSetup = {
      ...SPLIT,
      scheme: 'walk-forward',
      segments: [
        { role: 'train', fold: 1, start: 0, end: 3000 },
        { role: 'test', fold: 1, start: 3000, end: 6000 },
        { role: 'train', fold: 2, start: 3000, end: 6000 },
        { role: 'test', fold: 2, start: 6000, end: 10_000 },
      ],
    };
    const wf = (index: number, values: [number, number, number, number]): RunRecord => ({
      ...rec(index, 0, 0),
      segments: values.map((v, i) => ({ role: i % 2 === 0 ? 'train' : 'test', fold: 1 + (i >> 1), metrics: { sharpe: v } })) as RunRecord['segments'],
    });
    const b = buildScoreboard(setup, [wf(0, [1, 4, 4, -1]), wf(1, [3, 0, 0, 5]), wf(2, [3, 2, 1, 7])]);
    expect(b.walkForward).toEqual([
      { fold: 1, hash: 'h1', objectiveIs: 3, objectiveOos: 0 },
      { fold: 2, hash: 'h0', objectiveIs: 4, objectiveOos: -1 },
    ]);
  });
});

describe('mergeRecords', () => {
  it('the union by hash, in plan order; a success replaces a failure of the same run', () => {
    const failed = rec(1, 0, 0, 'killed');
    const merged = mergeRecords([[rec(4, 1, 1), failed, rec(0, 1, 1)], [rec(1, 2, 2), rec(4, 9, 9)], []]);
    expect(merged.map((r) => r.index)).toEqual([0, 1, 4]);
    expect(merged[1]!.error).toBeNull();
    expect(merged[2]!.is!.sharpe, 'the first of two successes').toBe(1);
  });

  it('never mixes two sweeps, and names both', () => {
    expect(() => mergeRecords([[rec(0, 1, 1)], [rec(1, 1, 1, null, 'sw2')]])).toThrow(/sw1 and sw2/);
  });
});

describe('the overfitting statistics on a real sweep', () => {
  it('are DSR of the rank-1 run and PBO over the returns of the runs without error', async () => {
    const table = await (await DataReader.open(samplePaths())).table();
    const spec = sweepSpec({
      base: { signal: { warmup_sec: 20, cooldown_sec: 5 }, risk: { vol_warmup: 20 } },
      parameters: { 'signal.buy_threshold': { values: [1, 2] }, 'strategy.time_stop_sec': { values: [10, 20, 30] } },
      validation: { scheme: 'split', train: 0.5 },
    });
    const plans = expandSweep(spec, defaultConfig());
    const setup = sweepSetup(spec, plans, table, 'sample');
    const records = evaluatePlans(plans, table, setup);
    const failed: RunRecord = { ...records[0]!, index: 99, hash: 'failed', is: null, oos: null, segments: [], returns: [], error: 'boom' };
    const board = buildScoreboard(setup, [...records, failed]);
    const ok = records.filter((r) => r.error === null);
    expect(ok).toHaveLength(6);
    const best = ok.findIndex((r) => r.hash === board.rows[0]!.hash);
    expect(board.deflatedSharpe).toEqual(deflatedSharpe(ok.map((r) => r.returns), best));
    expect(board.deflatedSharpe!.trials).toBe(6);
    expect(board.pbo).toEqual(cscvPbo(ok.map((r) => r.returns)));
    expect(board.pbo).not.toBeNull();
    // the ranking is the out-of-sample sharpe, descending
    const oos = board.rows.filter((r) => r.rank !== null).map((r) => r.objectiveOos!);
    expect(oos).toEqual([...oos].sort((a, b) => b - a));
    expect(board.rows.at(-1)!.hash).toBe('failed');
    expect(board.walkForward).toHaveLength(1);
    const bestIs = Math.max(...ok.map((r) => r.is!.sharpe!));
    expect(board.walkForward[0]!.objectiveIs).toBe(bestIs);
  }, 60_000);
});
