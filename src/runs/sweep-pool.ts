/**
 * A pool of worker threads for a sweep: N workers started once, given the shared inputs (the
 * event table and the plans, as `workerData` or in a first {@link WorkerPool.broadcast} message:
 * typed arrays on `SharedArrayBuffer`s are shared, not copied), then fed one job message at a
 * time. A worker answers each job with one message; the next job goes to the first idle worker
 * once it has said it is ready.
 *
 * Crashes are contained: a worker that dies with a job in hand (an exception outside the job's
 * own error handling, an out-of-memory abort) fails that job alone — its `onCrash` records it —
 * and is replaced by a fresh worker, which is first sent every {@link WorkerPool.broadcast}
 * message so far (the sweep's inputs, the shared feature tables), so it knows what the others
 * know. A worker that dies before it ever said it was ready (a missing or broken worker file)
 * fails the pool instead: starting another would die the same way. So does one that, given its
 * inputs (its `workerData`, or the first broadcast when the pool has none), says nothing within
 * {@link WorkerPoolOptions.startTimeoutMs}: a sweep must not wait for ever on a worker stuck in
 * its start. Nor on one stuck in a job: with {@link WorkerPoolOptions.jobTimeoutMs}, a job not
 * answered in time is failed with a {@link JobTimeout} and its worker stopped and replaced, as
 * after a crash (a thread running JavaScript cannot be interrupted otherwise).
 *
 * @see https://nodejs.org/api/worker_threads.html (workerData, postMessage and SharedArrayBuffer)
 */
import { Worker } from 'node:worker_threads';
import { duration } from '../core/text.js';

/** A job for one worker: the message to send and what to do with the answer or a crash. */
export interface PoolJob {
  message: unknown;
  /** Transfer list of the message (none by default: shared memory needs none). */
  transfer?: readonly ArrayBuffer[];
  onResult(reply: unknown): void;
  onCrash(error: Error): void;
}

/**
 * What the pool asks for when worker `worker` (0 … size − 1; a worker started in place of a
 * crashed one takes its number) is idle: a job, `'wait'` (jobs remain but none is ready yet) or
 * null (no job left).
 */
export type NextJob = (worker: number) => PoolJob | 'wait' | null;

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** The worker module (an ES module file). */
  url: URL;
  /** Number of workers (at least 1). */
  size: number;
  /** Given to every worker as `workerData` (structured clone; shared buffers stay shared). */
  workerData: unknown;
  next: NextJob;
  /** Extra `execArgv` of the workers. */
  execArgv?: string[];
  /**
   * How long a worker given its inputs may take to say it is ready before the pool fails, ms
   * (default 5 minutes). The clock starts at the worker's start when the pool has `workerData`
   * or a broadcast already, else at the first broadcast (a sweep's pool starts before its data
   * is read).
   */
  startTimeoutMs?: number;
  /**
   * How long a worker may take over one job, ms (0 or absent: no limit). A job not answered in time
   * fails with a {@link JobTimeout} (its `onCrash`); the worker is stopped and another started in
   * its place, which counts among {@link WorkerPool.crashes}.
   */
  jobTimeoutMs?: number;
}

/** Why a job failed when its worker took longer than {@link WorkerPoolOptions.jobTimeoutMs} over it (the worker was stopped). */
export class JobTimeout extends Error {
  constructor(readonly ms: number) {
    super(`not finished after ${duration(ms)}: its worker was stopped`);
    this.name = 'JobTimeout';
  }
}

interface Slot {
  worker: Worker;
  job: PoolJob | null;
  ready: boolean;
  /** Set once the pool stops it on purpose. */
  stopping: boolean;
  /**
   * Its one clock: of its start until it is ready (see {@link WorkerPoolOptions.startTimeoutMs}),
   * then of the job in hand (see {@link WorkerPoolOptions.jobTimeoutMs}).
   */
  timer: ReturnType<typeof setTimeout> | null;
  /** Set when that clock ran out: the error its job fails with once the worker has stopped. */
  timedOut: JobTimeout | null;
}

/**
 * Worker threads that take jobs until none is left (see the module comment).
 *
 * @example
 * const pool = new WorkerPool({ url, size: 2, workerData: { table: t.data() }, next: () => queue.shift() ?? null });
 * await pool.done; // every job answered or crashed
 */
export class WorkerPool {
  /** Resolves when no job is left and every worker is idle; rejects when the workers cannot start. */
  readonly done: Promise<void>;
  /** Workers replaced after a crash or a job over its time limit. */
  crashes = 0;
  private readonly slots: Slot[] = [];
  private readonly sticky: unknown[] = [];
  private resolve!: () => void;
  private reject!: (e: Error) => void;
  private finished = false;

  constructor(private readonly options: WorkerPoolOptions) {
    this.done = new Promise<void>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    // a rejection nobody awaited yet must not end the process before the caller awaits it
    this.done.catch(() => undefined);
    for (let i = 0; i < Math.max(1, options.size); i++) this.slots.push(this.spawn());
  }

  /** Number of workers. */
  get size(): number {
    return this.slots.length;
  }

  /** Send a message to every worker now and to every worker started later (before its first job). */
  broadcast(message: unknown): void {
    this.sticky.push(message);
    for (const s of this.slots) {
      s.worker.postMessage(message);
      this.startClock(s);
    }
  }

  /** Hand jobs to idle workers (call when a job waited on has become ready). */
  kick(): void {
    if (this.finished) return;
    let last: PoolJob | 'wait' | null = 'wait';
    for (let w = 0; w < this.slots.length; w++) {
      const s = this.slots[w]!;
      if (s.job || !s.ready) continue;
      last = this.options.next(w);
      if (last === 'wait' || last === null) break;
      s.job = last;
      s.worker.postMessage(last.message, last.transfer as ArrayBuffer[] | undefined);
      this.startJobClock(s);
    }
    if (last === null && this.slots.every((s) => !s.job)) this.finish();
  }

  /** Stop every worker (jobs in hand are dropped). */
  async terminate(): Promise<void> {
    this.finished = true;
    await this.stopAll();
  }

  private spawn(): Slot {
    const worker = new Worker(this.options.url, { workerData: this.options.workerData, ...(this.options.execArgv ? { execArgv: this.options.execArgv } : {}) });
    const slot: Slot = { worker, job: null, ready: false, stopping: false, timer: null, timedOut: null };
    for (const m of this.sticky) worker.postMessage(m);
    // given its inputs now (workerData, or the broadcasts so far), else at the first broadcast
    if ((this.options.workerData !== null && this.options.workerData !== undefined) || this.sticky.length > 0) this.startClock(slot);
    let lastError: Error | null = null;
    worker.on('message', (m: unknown) => {
      if (isReady(m)) {
        slot.ready = true;
        this.stopClock(slot);
        this.kick();
        return;
      }
      if (slot.timedOut) return; // being stopped: its job fails with the timeout
      this.stopClock(slot);
      const job = slot.job;
      slot.job = null;
      job?.onResult(m);
      this.kick();
    });
    worker.on('error', (err) => {
      lastError = err instanceof Error ? err : new Error(String(err));
    });
    worker.on('exit', (code) => {
      this.stopClock(slot);
      if (slot.stopping || this.finished) return;
      const err = slot.timedOut ?? lastError ?? new Error(`worker exited with code ${code}`);
      if (!slot.ready) {
        this.fail(new Error(`a sweep worker could not start (${this.options.url.pathname}): ${err.message}`));
        return;
      }
      this.crashes++;
      const job = slot.job;
      slot.job = null;
      const i = this.slots.indexOf(slot);
      this.slots[i] = this.spawn();
      job?.onCrash(err);
      this.kick();
    });
    return slot;
  }

  /** Start a not-yet-ready worker's start clock, once (see {@link WorkerPoolOptions.startTimeoutMs}). */
  private startClock(slot: Slot): void {
    if (slot.ready || slot.timer !== null || this.finished) return;
    const ms = this.options.startTimeoutMs ?? 300_000;
    slot.timer = setTimeout(() => {
      slot.timer = null;
      this.fail(new Error(`a sweep worker did not start (${this.options.url.pathname}): not ready ${duration(ms)} after it was given its inputs`));
    }, ms);
    // a clock alone does not keep the process alive
    slot.timer.unref();
  }

  private stopClock(slot: Slot): void {
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = null;
  }

  /** Start the clock of the job just given to a worker (see {@link WorkerPoolOptions.jobTimeoutMs}). */
  private startJobClock(slot: Slot): void {
    const ms = this.options.jobTimeoutMs;
    if (ms === undefined || !(ms > 0)) return;
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (this.finished || slot.stopping) return;
      slot.timedOut = new JobTimeout(ms);
      // its 'exit' fails the job and starts another worker
      void slot.worker.terminate();
    }, ms);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    void this.stopAll().then(() => this.resolve());
  }

  private fail(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    void this.stopAll().then(() => this.reject(err));
  }

  /** Stop every worker on purpose (their clocks first); resolves once all have exited. */
  private async stopAll(): Promise<void> {
    for (const s of this.slots) {
      s.stopping = true;
      this.stopClock(s);
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/** The first message of a worker once it has read its `workerData`. */
export const READY = { t: 'ready' } as const;

function isReady(m: unknown): boolean {
  return typeof m === 'object' && m !== null && (m as { t?: unknown }).t === 'ready';
}
