/**
 * Hand-made scoreboards for the page tests (report rendering, not market data). The main board is
 * a split sweep of 12 runs over two numeric parameters and one string parameter, one run failed;
 * its ranks and the heatmap cells the tests expect are worked out by hand in the comments.
 */
import type { ParamValue, Scoreboard, ScoreRow } from '../../src/sweep/types.js';

const TRAIN = { role: 'train' as const, fold: 0, start: 1709251200000, end: 1709856000000 }; // 2024-03-01 → 2024-03-08 UTC
const TEST = { role: 'test' as const, fold: 0, start: 1709856000000, end: 1710115200000 }; // 2024-03-08 → 2024-03-11 UTC

/** [window, threshold, side, sharpe IS, sharpe OOS, rank] — ranks by OOS sharpe, highest first; the failed run has none. */
const TABLE: [number, number, string, number | null, number | null, number | null][] = [
  [100, 1, 'both', 0.15, 0.11, 1],
  [200, 1, 'both', 0.13, 0.09, 2],
  [50, 1, 'long', 0.1, 0.08, 3],
  [100, 2, 'both', 0.11, 0.06, 4],
  [50, 1, 'both', 0.12, 0.05, 5],
  [100, 1, 'long', 0.14, 0.03, 6],
  [200, 1, 'long', 0.06, 0.02, 7],
  [50, 2, 'long', 0.07, 0.01, 8],
  [200, 2, 'both', 0.05, -0.01, 9],
  [50, 2, 'both', 0.09, -0.02, 10],
  [100, 2, 'long', 0.08, -0.04, 11],
  [200, 2, 'long', null, null, null],
];

function hashOf(i: number): string {
  return `h${String(i).padStart(2, '0')}${'0123456789abcdef'.repeat(4).slice(i, i + 30)}`;
}

export const MAIN_ROWS: ScoreRow[] = TABLE.map(([window, threshold, side, is, oos, rank], i) => {
  const failed = is === null;
  const seg = (s: number, k: number) => ({ sharpe: s, totalReturn: s * 0.5 * k, maxDrawdown: -0.02 * (i + 1), trades: 40 + 7 * i });
  return {
    rank,
    index: i,
    hash: hashOf(i),
    params: { 'signal.window': window, 'signal.threshold': threshold, 'risk.side': side },
    is: failed ? null : seg(is!, 1),
    oos: failed ? null : seg(oos!, 0.4),
    objectiveIs: is,
    objectiveOos: oos,
    error: failed ? 'features: window 200 leaves no bar after warm-up' : null,
  };
});

/** 70 CSCV logits λ = ln(ω/(1−ω)), ω = r/12 with r = 1 + (7c mod 11): 32 below zero, 6 at zero, 32 above. */
export const LOGITS = Array.from({ length: 70 }, (_, c) => {
  const w = (1 + ((7 * c) % 11)) / 12;
  return Math.log(w / (1 - w));
});

export const MAIN_BOARD: Scoreboard = {
  sweep: 'sw-3f9a2c71d0be4e58',
  name: 'ofi thresholds BTCUSDT',
  objective: { metric: 'sharpe', direction: 'max' },
  validation: { scheme: 'split', segments: [TRAIN, TEST] },
  parameters: ['signal.window', 'signal.threshold', 'risk.side'],
  metrics: ['sharpe', 'totalReturn', 'maxDrawdown', 'trades'],
  runs: 12,
  failed: 1,
  rows: MAIN_ROWS,
  deflatedSharpe: {
    trials: 11,
    sharpe: 0.11,
    observations: 720,
    skewness: -0.3,
    kurtosis: 4.2,
    sharpeVariance: 0.0021,
    expectedMaxSharpe: 0.086,
    dsr: 0.74,
  },
  pbo: {
    blocks: 8,
    combinations: 70,
    pbo: 32 / 70,
    logits: LOGITS,
    degradationSlope: -0.42,
    degradationR2: 0.18,
    probLoss: 0.3,
  },
  walkForward: [],
};

/** A board with the given parameters on each row (sharpe OOS = objective), everything else minimal. */
export function smallBoard(
  parameters: string[],
  rows: { params: Record<string, ParamValue>; oos: number | null; error?: string }[],
  direction: 'max' | 'min' = 'max',
): Scoreboard {
  const valued = rows.filter((r) => r.oos !== null).map((r) => r.oos!);
  const ranked = [...valued].sort((a, b) => (direction === 'max' ? b - a : a - b));
  return {
    sweep: 'sw-small',
    name: 'small',
    objective: { metric: 'sharpe', direction },
    validation: { scheme: 'split', segments: [TRAIN, TEST] },
    parameters,
    metrics: ['sharpe'],
    runs: rows.length,
    failed: rows.filter((r) => r.error).length,
    rows: rows.map((r, i) => ({
      rank: r.oos === null ? null : ranked.indexOf(r.oos) + 1,
      index: i,
      hash: hashOf(i),
      params: r.params,
      is: r.oos === null ? null : { sharpe: r.oos + 0.01 },
      oos: r.oos === null ? null : { sharpe: r.oos },
      objectiveIs: r.oos === null ? null : r.oos + 0.01,
      objectiveOos: r.oos,
      error: r.error ?? null,
    })),
    deflatedSharpe: null,
    pbo: null,
    walkForward: [],
  };
}
