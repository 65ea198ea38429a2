/**
 * Signals over files, standard input or a watched folder: what `ofi-backtest signals` runs.
 * One {@link CoreAlgorithm} takes every input in the order given (a symbol's state carries from
 * one input to the next, so a recording split at midnight is one stream when its files come in
 * time order), and its signals go to the caller's sink as they are made. Inputs are feature
 * rows (JSONL) or market data, whose features are computed on the way (`signal-inputs.ts`).
 * Refused lines go to a quarantine (`_quarantine.jsonl` in `quarantineDir`, when given) and are
 * counted in the summary.
 */
import { formatSpan } from '../core/spans.js';
import { CoreAlgorithm, type ModeSource, type SymbolSignalStats } from '../signals/core-algorithm.js';
import { GATING_REASONS, type GatingReason, type SignalConfigInput } from '../signals/config.js';
import { SIGNAL_TYPES, type Signal, type SignalSink, type SignalType } from '../signals/types.js';
import type { FeatureSetOptions } from '../microstructure/feature-set.js';
import { stat } from 'node:fs/promises';
import { fileError, readLineChunks, streamLineChunks } from '../io/lines.js';
import { QuarantineWriter, type QuarantineSummary } from '../io/quarantine.js';
import { expandSignalInputs, FeatureLineFeeder, feedMarketData, newSourceSummary, type SignalSourceSummary } from './signal-inputs.js';
import { watchFolder } from './signals-watch.js';
import { OfiError, UserInputError } from '../core/errors.js';

/** Options of {@link runSignals}. */
export interface SignalsRunOptions {
  /** Files or folders, or `['-']` for feature rows on standard input. */
  inputs: readonly string[];
  runId: string;
  /** Where signals go; the caller opens and closes it. */
  sink: SignalSink;
  signal?: SignalConfigInput;
  /** Features of market-data inputs. */
  features?: FeatureSetOptions;
  /** Strategy-mode trackers per symbol (the risk layer's `StrategyModeManager`). */
  modes?: ModeSource | null;
  /** Only these symbols. */
  symbols?: readonly string[];
  /** Symbol for sources that carry none (LOBSTER, dumps). */
  symbol?: string;
  batchRows?: number;
  configHash?: string;
  /** Standard input's stand-in (tests). */
  stdin?: AsyncIterable<Buffer | string>;
  /** Watch the one folder in `inputs` for new files (see `signals-watch.ts`). */
  watch?: { pollMs: number; stableMs: number; idleExitMs?: number; exclude?: readonly string[] };
  /** Stops a watch, or a read between batches. */
  abort?: AbortSignal;
  /** Folder of `_quarantine.jsonl`; null or absent: refused lines only counted and shown. */
  quarantineDir?: string | null;
  /** Each signal as it is made (after the sink took it). */
  onSignal?: (s: Signal) => void;
  /** Each input when it is done (a watched feature file: when first seen). */
  onSource?: (s: SignalSourceSummary) => void;
}

/** A symbol's counts with its time span and rate. */
export interface SymbolSignalSummary extends SymbolSignalStats {
  /** Minutes of exchange time from its first to its last row. */
  minutes: number;
  /** Signals per minute over that span. */
  perMinute: number;
}

/** What {@link runSignals} did. */
export interface SignalsRunSummary {
  runId: string;
  configHash: string;
  /** Feature fingerprint of market-data inputs (feature rows carry their own `fp`). */
  fp: string;
  /** `update` or the bar, for market-data inputs. */
  rows: string;
  signals: number;
  symbols: SymbolSignalSummary[];
  totals: {
    signals: number;
    types: Record<SignalType, number>;
    confirmed: number;
    blocked: number;
    actionable: number;
    reasons: Record<GatingReason, number>;
    gatedRows: Record<GatingReason, number>;
  };
  sources: SignalSourceSummary[];
  quarantine: QuarantineSummary;
  watched: boolean;
  elapsedMs: number;
}

/**
 * Run the signal algorithm over the inputs into `options.sink`.
 *
 * @example
 * const sink = openSignalSink('jsonl', 'out', 'run-1');
 * const s = await runSignals({ inputs: ['btcusdt_20240808.gz'], runId: 'run-1', sink });
 * await sink.close();
 * s.symbols[0].perMinute; // signals a minute
 */
export async function runSignals(options: SignalsRunOptions): Promise<SignalsRunSummary> {
  const t0 = performance.now();
  const onSignal = options.onSignal;
  const sink: SignalSink = onSignal
    ? {
        write: (s) => {
          options.sink.write(s);
          onSignal(s);
        },
        flush: () => options.sink.flush(),
        close: () => options.sink.close(),
      }
    : options.sink;
  const algo = new CoreAlgorithm(
    {
      runId: options.runId,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.features ? { features: options.features } : {}),
      ...(options.modes ? { modes: options.modes } : {}),
      ...(options.symbols ? { symbols: options.symbols } : {}),
      ...(options.configHash ? { configHash: options.configHash } : {}),
    },
    sink,
  );
  const quarantine = new QuarantineWriter(options.quarantineDir ?? null, { keep: 5 });
  const sources: SignalSourceSummary[] = [];
  const done = (s: SignalSourceSummary) => {
    sources.push(s);
    options.onSource?.(s);
  };
  const stop = () => options.abort?.aborted === true;
  const market = { onReject: quarantine.sink, stop, ...(options.symbol ? { symbol: options.symbol } : {}), ...(options.batchRows ? { batchRows: options.batchRows } : {}) };
  let summaryQ: QuarantineSummary;
  try {
    if (options.watch) {
      const dir = options.inputs[0]!;
      if (options.inputs.length !== 1 || dir === '-') throw new UserInputError('--watch takes one folder as --input', 'E_OPTION');
      const st = await stat(dir).catch((err: unknown) => {
        throw fileError(dir, err);
      });
      if (!st.isDirectory()) throw new UserInputError(`--watch: ${dir} is not a folder`, 'E_OPTION');
      const feeders = new Map<SignalSourceSummary, FeatureLineFeeder>();
      const watched = await watchFolder(
        dir,
        {
          featureLines: (s, lines, first) => {
            let f = feeders.get(s);
            if (!f) feeders.set(s, (f = new FeatureLineFeeder(algo, s, quarantine.sink)));
            f.lines(lines, first);
          },
          wholeFile: async (path) => {
            let format;
            try {
              format = (await expandSignalInputs([path]))[0]!.format;
            } catch (err) {
              return { ...newSourceSummary(path, 'capture'), error: (err as Error).message };
            }
            return format === 'features' ? feedFeatureFile(algo, path, quarantine) : feedMarketData(algo, path, format, market);
          },
          ...(options.onSource ? { onSource: options.onSource } : {}),
        },
        { ...options.watch, ...(options.abort ? { abort: options.abort } : {}) },
      );
      sources.push(...watched);
    } else if (options.inputs.length === 1 && options.inputs[0] === '-') {
      const s = newSourceSummary('-', 'features');
      const feeder = new FeatureLineFeeder(algo, s, quarantine.sink);
      for await (const chunk of streamLineChunks(options.stdin ?? process.stdin)) {
        feeder.lines(chunk.lines, chunk.firstLine);
        if (stop()) break;
      }
      done(s);
    } else {
      if (options.inputs.includes('-')) throw new UserInputError('--input -: standard input cannot be mixed with files', 'E_OPTION');
      for (const { path, format } of await expandSignalInputs(options.inputs)) {
        if (stop()) break;
        if (format === 'features') done(await feedFeatureFile(algo, path, quarantine));
        else done(await feedMarketData(algo, path, format, market));
      }
    }
    algo.flush();
  } finally {
    summaryQ = quarantine.close();
  }
  return summarize(algo, options, sources, summaryQ, performance.now() - t0);
}

async function feedFeatureFile(algo: CoreAlgorithm, path: string, quarantine: QuarantineWriter): Promise<SignalSourceSummary> {
  const s = newSourceSummary(path, 'features');
  const feeder = new FeatureLineFeeder(algo, s, quarantine.sink);
  try {
    for await (const chunk of readLineChunks(path)) feeder.lines(chunk.lines, chunk.firstLine);
  } catch (err) {
    if (!(err instanceof OfiError) && !(err instanceof Error)) throw err;
    s.error = (err as Error).message;
  }
  return s;
}

const zeroReasons = () => Object.fromEntries(GATING_REASONS.map((r) => [r, 0])) as Record<GatingReason, number>;

function summarize(algo: CoreAlgorithm, options: SignalsRunOptions, sources: SignalSourceSummary[], quarantine: QuarantineSummary, elapsedMs: number): SignalsRunSummary {
  const symbols = algo.stats.map((s) => {
    const minutes = s.rows > 0 ? (s.lastTs - s.firstTs) / 60_000 : 0;
    return { ...s, minutes, perMinute: minutes > 0 ? s.signals / minutes : 0 };
  });
  const totals = {
    signals: 0,
    types: Object.fromEntries(SIGNAL_TYPES.map((t) => [t, 0])) as Record<SignalType, number>,
    confirmed: 0,
    blocked: 0,
    actionable: 0,
    reasons: zeroReasons(),
    gatedRows: zeroReasons(),
  };
  for (const s of symbols) {
    totals.signals += s.signals;
    totals.confirmed += s.confirmed;
    totals.blocked += s.blocked;
    totals.actionable += s.actionable;
    for (const t of SIGNAL_TYPES) totals.types[t] += s.types[t];
    for (const r of GATING_REASONS) {
      totals.reasons[r] += s.reasons[r];
      totals.gatedRows[r] += s.gatedRows[r];
    }
  }
  const bar = options.features?.bar;
  return {
    runId: algo.runId,
    configHash: algo.configHash,
    fp: algo.fp,
    rows: bar ? formatSpan(bar) : 'update',
    signals: algo.emitted,
    symbols,
    totals,
    sources,
    quarantine,
    watched: options.watch !== undefined,
    elapsedMs,
  };
}
