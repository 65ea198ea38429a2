/**
 * Spare typed arrays by length, kept for reuse within one thread.
 *
 * A sweep runs thousands of backtests one after another in each worker, and every run allocates
 * the same large arrays again: each symbol's order-book ladder (up to 2^18 slots a side, grown by
 * doubling), each chunk's delivery times. They live outside the JavaScript heap, and V8 counts
 * such memory towards its next full collection, so a run's worth of new ones brings on a
 * mark-compact every run or two, whose marking runs on helper threads: on a machine whose cores
 * are all running workers, that is time taken from the runs. A pool hands a finished run's arrays
 * to the next one instead. It keeps at most `keep` arrays per length, and never hands one out
 * twice: an array given back must no longer be used by whoever gave it.
 *
 * What a taken array holds is the pool's contract with its users: a pool whose arrays are all
 * given back zeroed hands out zeroed arrays (see `LadderSide`); one whose users overwrite every
 * element promises nothing.
 *
 * @example
 * const pool = new ArrayPool((n) => new Float64Array(n));
 * const a = pool.take(1024); // new, or one given back
 * pool.give(a);
 */
export class ArrayPool<T extends { readonly length: number }> {
  private readonly spare = new Map<number, T[]>();

  constructor(
    private readonly make: (n: number) => T,
    /** Arrays kept per length. */
    private readonly keep = 4,
  ) {}

  /** An array of length `n`: a spare one when there is one, else a new one. */
  take(n: number): T {
    const list = this.spare.get(n);
    return list !== undefined && list.length > 0 ? list.pop()! : this.make(n);
  }

  /** Give `a` back (the caller drops every reference to it); kept when there is room. */
  give(a: T): void {
    if (a.length === 0) return;
    let list = this.spare.get(a.length);
    if (list === undefined) this.spare.set(a.length, (list = []));
    if (list.length < this.keep && !list.includes(a)) list.push(a);
  }

  /** Arrays kept, all lengths. */
  get size(): number {
    let n = 0;
    for (const l of this.spare.values()) n += l.length;
    return n;
  }

  /** Drop every spare array. */
  clear(): void {
    this.spare.clear();
  }
}
