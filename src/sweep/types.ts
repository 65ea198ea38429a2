/**
 * The shapes a parameter sweep passes between its parts: the expanded run plans, the record of
 * one finished run (one line of `runs.jsonl`), and the scoreboard built from the records. The
 * pure part of the sweep (`sweep/`) makes plans and scoreboards; `runs/sweep-*.ts` runs the plans
 * on worker threads and writes the records; `reporting/` renders the scoreboard.
 *
 * A sweep is a list of frozen run configurations in and a scoreboard out (../shared/CONVENTIONS.md
 * point 12). Overfitting statistics: Bailey & López de Prado (2014), "The Deflated Sharpe Ratio",
 * Journal of Portfolio Management 40(5); Bailey, Borwein, López de Prado & Zhu (2015), "The
 * Probability of Backtest Overfitting", Journal of Computational Finance 20(4).
 */

/** A swept parameter's value. */
export type ParamValue = number | string | boolean;

/** One run configuration of a sweep, frozen before anything runs. */
export interface RunPlan {
  /** Position in the sweep's full, deterministic list (0-based); shards take `index % n === i`. */
  index: number;
  /** The swept parameters by dotted config path (`signal.buy_threshold`), in the sweep file's order. */
  params: Record<string, ParamValue>;
  /** The whole resolved configuration of the run (the base with `params` set, validated). */
  config: unknown;
  /** `fingerprint(config)`: stable across machines, processes and key order. */
  hash: string;
  /** `fingerprint` of the `features` section only: runs with equal keys share stage-1 features. */
  featureKey: string;
  /** `fingerprint` of the sections the signal layer reads (`signalKey` of `expand.ts`): runs with equal keys share signals. */
  signalKey: string;
}

/** A time segment of the data the metrics are computed over, ms, `[start, end)`. */
export interface Segment {
  /** `train` (in-sample) or `test` (out-of-sample). */
  role: 'train' | 'test';
  /** Fold number (0 for a train/test split). */
  fold: number;
  start: number;
  end: number;
}

/** The metrics of one segment: the backtester's headline metrics, numbers only (null when undefined). */
export type SegmentMetrics = Record<string, number | null>;

/** One finished run: one line of `runs.jsonl`. */
export interface RunRecord {
  /** Hash of the sweep (its plans and data), so parts of different sweeps are never merged. */
  sweep: string;
  index: number;
  hash: string;
  params: Record<string, ParamValue>;
  /** In-sample metrics (for walk-forward: the mean over folds of each train segment's value). */
  is: SegmentMetrics | null;
  /** Out-of-sample metrics (for walk-forward: the mean over folds of each test segment's value). */
  oos: SegmentMetrics | null;
  /** Per segment, in the order of the sweep's segments. */
  segments: { role: 'train' | 'test'; fold: number; metrics: SegmentMetrics }[];
  /**
   * Per-period returns of the run on the sweep's common grid (equal for every run), over the whole
   * validated period: the input of the deflated Sharpe ratio and of CSCV (PBO).
   */
  returns: number[];
  /** Events the run processed. */
  events: number;
  /** Set when the run failed: the message; metrics are null then. */
  error: string | null;
}

/** The deflated Sharpe ratio of the best run (Bailey & López de Prado 2014). */
export interface DeflatedSharpe {
  /** Number of trials N (runs without error). */
  trials: number;
  /** The best run's per-period Sharpe ratio (not annualised), its returns' count, skewness and (non-excess) kurtosis. */
  sharpe: number;
  observations: number;
  skewness: number;
  kurtosis: number;
  /** Variance of the per-period Sharpe ratios across the trials. */
  sharpeVariance: number;
  /** Expected maximum Sharpe ratio of N unskilled trials, SR₀. */
  expectedMaxSharpe: number;
  /** DSR = PSR(SR₀): the probability that the best run's true Sharpe exceeds SR₀. */
  dsr: number;
}

/** The probability of backtest overfitting by CSCV (Bailey, Borwein, López de Prado & Zhu 2015). */
export interface Pbo {
  /** Blocks S the returns matrix was cut into (even). */
  blocks: number;
  /** Combinations C(S, S/2) evaluated. */
  combinations: number;
  /** φ: the share of combinations whose in-sample best ranks below the median out of sample. */
  pbo: number;
  /** The logits λ_c, one per combination. */
  logits: number[];
  /** Slope and R² of the out-of-sample against the in-sample performance of the selected runs (performance degradation). */
  degradationSlope: number | null;
  degradationR2: number | null;
  /** Probability that the selected run's out-of-sample performance is below zero. */
  probLoss: number;
}

/** One scoreboard row. */
export interface ScoreRow {
  /** 1 = best by the objective (out-of-sample when there is a test segment); failed runs last, unranked (null). */
  rank: number | null;
  index: number;
  hash: string;
  params: Record<string, ParamValue>;
  is: SegmentMetrics | null;
  oos: SegmentMetrics | null;
  /** The objective's in-sample and out-of-sample values. */
  objectiveIs: number | null;
  objectiveOos: number | null;
  error: string | null;
}

/** The scoreboard of a sweep (`scoreboard.json`; the HTML page is drawn from it). */
export interface Scoreboard {
  sweep: string;
  name: string;
  /** The objective: a metric name of the backtester (`sharpe`, `totalReturn` …) and its direction. */
  objective: { metric: string; direction: 'max' | 'min' };
  validation: { scheme: 'split' | 'walk-forward' | 'none'; segments: Segment[] };
  /** Swept parameter paths, in the sweep file's order. */
  parameters: string[];
  /** Metric names present in `is`/`oos`, in a fixed order. */
  metrics: string[];
  runs: number;
  failed: number;
  rows: ScoreRow[];
  /** Over the returns of every run without error; null when too few runs or returns. */
  deflatedSharpe: DeflatedSharpe | null;
  pbo: Pbo | null;
  /** Walk-forward selection: at each fold the best run in sample and its out-of-sample value. */
  walkForward: { fold: number; hash: string; objectiveIs: number | null; objectiveOos: number | null }[];
}

/** What every run of a sweep shares, fixed once the data is loaded (`sweepSetup` in `evaluate.ts`). */
export interface SweepSetup {
  /** Hash of the sweep: its plans' hashes, its data's identity and its segments. */
  sweep: string;
  name: string;
  objective: { metric: string; direction: 'max' | 'min' };
  scheme: 'split' | 'walk-forward' | 'none';
  segments: Segment[];
  /** The common grid of {@link RunRecord.returns}: `length` periods of `stepMs` from `start`. */
  returnsGrid: { start: number; stepMs: number; length: number };
  /** Swept parameter paths, in the sweep file's order. */
  parameters: string[];
}
