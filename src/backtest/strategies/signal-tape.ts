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
 * The strategy modes and the volatility a risk check reads depend on the data alone too: the
 * tape keeps each symbol's mode changes and the volatility each signal was judged with, so a
 * replaying pass feeds neither (a tenth of its time). The modes are part of the tape's key
 * (`strategy_mode`); the volatility's settings are in the `risk` section, which is not, so the
 * tape says which settings its volatilities are of ({@link volKey}) and a pass under others
 * computes its own.
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
  /**
   * Per symbol, the changes of its strategy mode over the pass: after the symbol's `at[k]`-th
   * quote or trade (counted from 1), its mode became `mode[k]`. Before the first, the
   * configuration's initial mode.
   */
  readonly modeChanges = new Map<string, { at: number[]; mode: string[] }>();
  /** For each signal, the volatility of its symbol when it was heard (`EwmaVolatility.valueAt` at the symbol's latest quote). */
  readonly vols: (number | null)[] = [];
  /** The volatility settings the {@link vols} were computed with. */
  volKey = '';

  /** Whether a pass recorded this tape to its end (a strategy given it replays it). */
  get complete(): boolean {
    return this.total >= 0;
  }
}
