/**
 * The signals one pass of the signal layer emitted, each with the feature row it came on.
 *
 * The signal layer (`CoreAlgorithm`) reads the stage-1 feature rows, the strategy modes and
 * nothing of what was traded (see `DefaultStrategy.restart`): fed the same rows under the same
 * `features`, `signal` and `strategy_mode` sections, it emits the same signals at the same rows,
 * whatever the strategy, risk and simulator sections are. A parameter sweep that varies those
 * runs the signal layer once per distinct signal configuration: the first run records its
 * signals on a tape ({@link DefaultStrategyOptions.signalTape}), the next runs replay them at
 * their rows instead of judging every row again (a quarter to a third of a run on shared
 * features, in `bench/sweep`).
 * Their records are byte for byte those of runs that judge every row (`test/sweep`).
 *
 * A tape is recorded by one pass and complete when that pass has ended ({@link total} set by
 * `DefaultStrategy.closeTape`); a replay over another number of rows throws there rather than
 * pass for the signals of those rows.
 */
import type { Signal } from '../../signals/types.js';

/** See the module comment. */
export class SignalTape {
  /** For each signal, the number of feature rows fed when it was emitted, the row counted (1 on the first row); at a run's end (`onEnd`), minus that number, minus 1. */
  readonly rows: number[] = [];
  /** The signals, in the order emitted. */
  readonly signals: Signal[] = [];
  /** Feature rows the recording pass went through; -1 until it has ended. */
  total = -1;

  /** Whether a pass recorded this tape to its end (a strategy given it replays it). */
  get complete(): boolean {
    return this.total >= 0;
  }
}
