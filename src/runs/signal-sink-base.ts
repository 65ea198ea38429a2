/**
 * What the file signal sinks share: their file names and options, and when they make their
 * buffered signals durable.
 *
 * When a signal sink makes its buffered signals durable: after `flushEvery` signals, or once
 * the oldest buffered signal is `flushMs` old, whichever comes first. Counting bounds what a
 * crash can lose in a busy backtest; the age bound does the same for a quiet live loop, where
 * a signal may come once a minute and must not wait for 999 others.
 *
 * The age is checked on every write (a synchronous loop that never yields still flushes on
 * time) and by a timer armed at the first buffered signal (a loop that stops writing still
 * flushes its tail). The timer is `unref`'d, so it never keeps a process alive.
 */
import path from 'node:path';
import { UserInputError } from '../core/errors.js';

/** What a flush made durable. */
export interface SignalFlushInfo {
  /** `seq` of the last signal of the flush. */
  lastSeq: number;
  /** Signals made durable by this sink so far (this flush included). */
  flushed: number;
}

/** How often a sink flushes, and whom it tells. */
export interface SignalFlushOptions {
  /** Flush after this many buffered signals (default 1000; `Infinity`: only by time or by hand). */
  flushEvery?: number;
  /** Flush once the oldest buffered signal is this many milliseconds old (default 1000; 0: never by time). */
  flushMs?: number;
  /** Called after each flush that wrote something. */
  onFlush?: (info: SignalFlushInfo) => void;
}

/** Options of the JSONL and SQLite signal sinks. */
export interface SignalSinkOptions extends SignalFlushOptions {
  /**
   * Start the run's file afresh. By default a sink appends to the file of its run id, so a
   * run resumed under the same id continues it.
   */
  truncate?: boolean;
}

/**
 * `dir/signals_{runId}.{ext}`. The run id becomes part of a file name, so one that would
 * leave `dir` (a path separator, `.` or `..`) or is empty is refused.
 */
export function signalFilePath(dir: string, runId: string, ext: 'jsonl' | 'db'): string {
  if (runId === '' || runId === '.' || runId === '..' || /[/\\\0]/.test(runId)) {
    throw new UserInputError(`run id ${JSON.stringify(runId)} cannot name a file; expected a non-empty id without / \\ or NUL`, 'E_RUN_ID');
  }
  return path.join(dir, `signals_${runId}.${ext}`);
}

/** Default batch: large enough that a flush costs little per signal, small enough to lose little. */
export const SIGNAL_FLUSH_EVERY = 1000;
/** Default age bound: a live signal is on disk within a second. */
export const SIGNAL_FLUSH_MS = 1000;

/** A sink's flush schedule: counts buffered signals, watches their age, calls `flush`. */
export class FlushSchedule {
  private readonly every: number;
  private readonly ms: number;
  private readonly onFlush: ((info: SignalFlushInfo) => void) | undefined;
  private pending = 0;
  private lastSeq = -1;
  private flushed = 0;
  private oldestAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** An error a flush met with no caller to throw it to (timer, asynchronous), raised at the next call. */
  private timerError: unknown;

  constructor(
    options: SignalFlushOptions,
    private readonly flush: () => void | Promise<void>,
  ) {
    this.every = options.flushEvery ?? SIGNAL_FLUSH_EVERY;
    this.ms = options.flushMs ?? SIGNAL_FLUSH_MS;
    this.onFlush = options.onFlush;
    if (!(this.every >= 1)) throw new RangeError(`flushEvery is ${this.every}; expected a count of at least 1 (or Infinity)`);
    if (!(this.ms >= 0 && Number.isFinite(this.ms))) throw new RangeError(`flushMs is ${this.ms}; expected milliseconds ≥ 0`);
  }

  /** Signals buffered and not yet flushed. */
  get buffered(): number {
    return this.pending;
  }

  /** A signal was buffered; flushes when the batch is full or its oldest signal is old enough. */
  wrote(seq: number): void {
    this.raiseTimerError();
    this.lastSeq = seq;
    if (this.pending++ === 0 && this.ms > 0) {
      this.oldestAt = Date.now();
      this.timer = setTimeout(() => this.flushFromTimer(), this.ms);
      this.timer.unref?.();
    }
    if (this.pending >= this.every || (this.ms > 0 && Date.now() - this.oldestAt >= this.ms)) {
      // an asynchronous flush (a user's sink) cannot be awaited here; its error comes back at the next call
      this.flush()?.catch((err: unknown) => {
        this.timerError = err;
      });
    }
  }

  /** The owner's flush succeeded: reset the batch and tell the listener. */
  done(): void {
    this.clearTimer();
    if (this.pending === 0) return;
    this.flushed += this.pending;
    this.pending = 0;
    this.onFlush?.({ lastSeq: this.lastSeq, flushed: this.flushed });
  }

  /** Stop the timer (at close); raises an error a timer flush met. */
  stop(): void {
    this.clearTimer();
    this.raiseTimerError();
  }

  /** Raise, once, an error that a timer flush met (there was no caller to throw it to then). */
  raiseTimerError(): void {
    if (this.timerError === undefined) return;
    const err = this.timerError;
    this.timerError = undefined;
    throw err;
  }

  private flushFromTimer(): void {
    this.timer = undefined;
    try {
      this.flush()?.catch((err: unknown) => {
        this.timerError = err;
      });
    } catch (err) {
      this.timerError = err;
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
