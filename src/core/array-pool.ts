/**
 * Spare typed arrays by length, kept for reuse within one thread.
 *
 * A sweep runs thousands of backtests one after another in each worker, and every run allocates
 * the same large arrays again: each symbol's order-book ladder (up to 2^18 slots a side, grown by
 * doubling), each chunk's delivery times. They live outside the JavaScript heap, and V8 counts
 * such memory towards its next full collection, so a run's worth of new ones brings on a
 * mark-compact every run or two, whose marking runs on helper threads: on a machine whose cores
 * are all running workers, that is time taken from the runs. A pool hands a finished run's arrays
 * to the next one instead. It keeps at most `keep` arrays per length and `maxBytes` in all, so
 * what it holds stays bounded however many lengths pass through it, and it never hands one out
 * twice: an array given back must no longer be used by whoever gave it.
 *
 * What a taken array holds is the pool's contract with its users: a pool whose arrays are all
 * given back zeroed hands out zeroed arrays (see `LadderSide`); one whose users overwrite every
 * element promises nothing.
 *
 * @example
 * const pool = new ArrayPool((n) => new Float64Array(n), { maxBytes: 1 << 20 });
 * const a = pool.take(1024); // new, or one given back
 * pool.give(a);
 */
export class ArrayPool<T extends { readonly length: number; readonly byteLength: number }> {
  private readonly spare = new Map<number, T[]>();
  private readonly keep: number;
  private readonly maxBytes: number;
  private held = 0;

  constructor(
    private readonly make: (n: number) => T,
    options: { /** Arrays kept per length (default 4). */ keep?: number; /** Bytes kept in all (default 64 MiB). */ maxBytes?: number } = {},
  ) {
    this.keep = options.keep ?? 4;
    this.maxBytes = options.maxBytes ?? 64 * 2 ** 20;
  }

  /** An array of length `n`: a spare one when there is one, else a new one. */
  take(n: number): T {
    const list = this.spare.get(n);
    const a = list?.pop();
    if (a === undefined) return this.make(n);
    if (list!.length === 0) this.spare.delete(n);
    this.held -= a.byteLength;
    return a;
  }

  /** Give `a` back (the caller drops every reference to it); kept when there is room. */
  give(a: T): void {
    if (a.length === 0 || this.held + a.byteLength > this.maxBytes) return;
    let list = this.spare.get(a.length);
    if (list === undefined) this.spare.set(a.length, (list = []));
    if (list.length >= this.keep || list.includes(a)) return;
    list.push(a);
    this.held += a.byteLength;
  }

  /** Arrays kept, all lengths. */
  get size(): number {
    let n = 0;
    for (const l of this.spare.values()) n += l.length;
    return n;
  }

  /** Bytes kept, all lengths. */
  get bytes(): number {
    return this.held;
  }

  /** Drop every spare array. */
  clear(): void {
    this.spare.clear();
    this.held = 0;
  }
}
