/**
 * Where a run's signals go: `jsonl` (`signals_{run_id}.jsonl`), `sqlite`
 * (`signals_{run_id}.db`), `dual` (both, kept in step) or `null` (nothing, to time a run).
 * JSONL is the file every tool reads and diffs; SQLite is the one to query while the run is
 * still writing it; a live run usually keeps both.
 *
 * Determinism: the same signals give a byte-identical JSONL file (see `signalJsonLine`),
 * whatever the flush schedule. SQLite files are not compared byte for byte (page layout
 * depends on the library and on when checkpoints ran), only their rows, which equal the JSONL
 * file's.
 *
 * After a crash (the process killed, even with SIGKILL, at any point), for signals written
 * in order s0, s1, …:
 * - each file is readable and holds a prefix s0..sk of what was written: the JSONL file with
 *   at most a torn last line, which `readSignalsJsonl` skips and reports; the SQLite file
 *   whole batches only (a batch is one transaction);
 * - every signal of a flush that completed (`onFlush` was called) is in the file;
 * - with `dual`, the JSONL prefix is at least as long as the SQLite one and at most one batch
 *   (`flushEvery` signals) longer, and the two agree row for row on the common part.
 * A power cut can lose more (nothing is fsync'd per batch); the SQLite file stays consistent.
 * Signals still buffered when a process ends without `close()` are lost: close the sink.
 */
import { mkdirSync } from 'node:fs';
import { UserInputError } from '../core/errors.js';
import { NullSink, type Signal, type SignalSink } from '../signals/types.js';
import { JsonlSignalSink } from './signal-jsonl.js';
import { FlushSchedule, type SignalFlushOptions, type SignalSinkOptions } from './signal-sink-base.js';
import { SqliteSignalSink } from './signal-sqlite.js';

export { signalJsonLine, SIGNAL_COLUMNS, type SignalColumn, type SignalColumnKind } from './signal-columns.js';
export { signalFilePath, SIGNAL_FLUSH_EVERY, SIGNAL_FLUSH_MS, type SignalFlushInfo, type SignalFlushOptions, type SignalSinkOptions } from './signal-sink-base.js';
export { JsonlSignalSink, readSignalsJsonl, type SignalsJsonlRead, type TornLine } from './signal-jsonl.js';
export { SqliteSignalSink, readSignalsSqlite, SQLITE_MISSING } from './signal-sqlite.js';

/** The kinds of sink `openSignalSink` makes (`--sink`, `SIGNAL_SINK_KIND`). */
export const SIGNAL_SINK_KINDS = ['jsonl', 'sqlite', 'dual', 'null'] as const;
export type SignalSinkKind = (typeof SIGNAL_SINK_KINDS)[number];

type Done = void | Promise<void>;

/** Run `next` after `prev`, waiting only if `prev` is a promise (synchronous sinks stay synchronous). */
function then(prev: Done, next: () => Done): Done {
  return prev instanceof Promise ? prev.then(next) : next();
}

/**
 * Writes every signal to two sinks. Given flush options, it owns the flush schedule: both
 * sinks are flushed at the same signals, `first` before `second`, so at any moment (a kill
 * included) `first` holds at least what `second` holds and at most one batch more. Its inner
 * sinks should then not flush by themselves (`flushEvery: Infinity, flushMs: 0`), as
 * `openSignalSink('dual', …)` arranges. Without options it only passes calls on.
 *
 * @example
 * const sink = new DualSignalSink(
 *   new JsonlSignalSink('out', id, { flushEvery: Infinity, flushMs: 0 }),
 *   new SqliteSignalSink('out', id, { flushEvery: Infinity, flushMs: 0 }),
 *   { flushEvery: 1000, flushMs: 1000 },
 * );
 */
export class DualSignalSink implements SignalSink {
  private readonly schedule: FlushSchedule | null;

  constructor(
    readonly first: SignalSink,
    readonly second: SignalSink,
    options?: SignalFlushOptions,
  ) {
    this.schedule = options ? new FlushSchedule(options, () => this.flushBoth()) : null;
  }

  write(signal: Signal): void {
    this.first.write(signal);
    this.second.write(signal);
    this.schedule?.wrote(signal.seq);
  }

  /** Flush `first`, then `second`. */
  flush(): Done {
    this.schedule?.raiseTimerError();
    return this.flushBoth();
  }

  /**
   * Flush both in order, then close both (the second even if closing the first fails). A
   * failed flush throws before anything is closed, so `second` never gets ahead of `first`.
   */
  close(): Done {
    return then(this.flush(), () => {
      let error: unknown;
      const pending: Promise<void>[] = [];
      for (const sink of [this.first, this.second]) {
        try {
          const p = sink.close();
          if (p instanceof Promise) pending.push(p.catch((err: unknown) => void (error ??= err)));
        } catch (err) {
          error ??= err;
        }
      }
      const finish = (): void => {
        this.schedule?.stop();
        if (error !== undefined) throw error;
      };
      return pending.length > 0 ? Promise.all(pending).then(finish) : finish();
    });
  }

  private flushBoth(): Done {
    return then(
      then(this.first.flush(), () => this.second.flush()),
      () => this.schedule?.done(),
    );
  }
}

/**
 * The sink of `--sink KIND` for run `runId` in folder `dir` (created if missing). For `dual`,
 * the JSONL file is flushed before the SQLite one at the same signals, so after a crash the
 * JSONL file holds every signal the SQLite file holds and at most one batch more.
 *
 * @example
 * const sink = openSignalSink('dual', 'out', 'run-1', { flushEvery: 500 });
 * for (const s of signals) sink.write(s);
 * await sink.close();
 */
export function openSignalSink(kind: SignalSinkKind, dir: string, runId: string, options: SignalSinkOptions = {}): SignalSink {
  if (!(SIGNAL_SINK_KINDS as readonly string[]).includes(kind)) {
    throw new UserInputError(`signal sink ${JSON.stringify(kind)} is not known; expected one of ${SIGNAL_SINK_KINDS.join(', ')}`, 'E_SINK');
  }
  if (kind === 'null') return new NullSink();
  mkdirSync(dir, { recursive: true });
  if (kind === 'jsonl') return new JsonlSignalSink(dir, runId, options);
  if (kind === 'sqlite') return new SqliteSignalSink(dir, runId, options);
  const inner: SignalSinkOptions = { flushEvery: Infinity, flushMs: 0, truncate: options.truncate ?? false };
  const jsonl = new JsonlSignalSink(dir, runId, inner);
  let sqlite: SqliteSignalSink;
  try {
    sqlite = new SqliteSignalSink(dir, runId, inner);
  } catch (err) {
    jsonl.close();
    throw err;
  }
  const { flushEvery, flushMs, onFlush } = options;
  return new DualSignalSink(jsonl, sqlite, { flushEvery, flushMs, onFlush });
}
