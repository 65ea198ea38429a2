/**
 * An order-statistic tree over the slots of a ring buffer: insert, remove and select-by-rank
 * in O(log n) expected time, in preallocated typed arrays (no allocation per operation).
 *
 * It is a treap (a binary search tree kept balanced by random heap priorities). Node `i` is
 * ring slot `i`, keyed by `(value, slot)` so equal values stay distinct and a leaving value is
 * found by its slot. Priorities come from a fixed-seed xorshift generator, so two trees fed the
 * same operations have the same shape (and the answers never depend on the shape anyway).
 *
 * @see Seidel & Aragon (1996), "Randomized search trees", Algorithmica 16.
 * @see Cormen et al., Introduction to Algorithms, §14.1 (dynamic order statistics: subtree sizes).
 */
const NIL = -1;

export class OrderStatisticTree {
  key: Float64Array;
  left: Int32Array;
  right: Int32Array;
  size: Int32Array;
  prio: Uint32Array;
  root = NIL;
  private seed = 0x9e3779b9;
  // split results (registers, so split allocates nothing)
  private sl = NIL;
  private sr = NIL;

  constructor(capacity: number) {
    this.key = new Float64Array(capacity);
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.size = new Int32Array(capacity);
    this.prio = new Uint32Array(capacity);
  }

  /** Number of values held. */
  get count(): number {
    return this.root === NIL ? 0 : this.size[this.root]!;
  }

  /** Forget every value (capacity kept) and restart the priority sequence. */
  clear(): void {
    this.root = NIL;
    this.seed = 0x9e3779b9;
  }

  /** Make room for slots `0 … capacity − 1`; the tree must be empty (callers rebuild after growing). */
  resize(capacity: number): void {
    this.key = new Float64Array(capacity);
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.size = new Int32Array(capacity);
    this.prio = new Uint32Array(capacity);
    this.clear();
  }

  private nextPriority(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }

  /** `(key[a], a) < (v, s)`. */
  private less(a: number, v: number, s: number): boolean {
    const ka = this.key[a]!;
    return ka < v || (ka === v && a < s);
  }

  private fix(t: number): void {
    const l = this.left[t]!;
    const r = this.right[t]!;
    this.size[t] = 1 + (l === NIL ? 0 : this.size[l]!) + (r === NIL ? 0 : this.size[r]!);
  }

  /** Split subtree t into keys < (v, s) → `sl` and keys ≥ (v, s) → `sr`. */
  private split(t: number, v: number, s: number): void {
    if (t === NIL) {
      this.sl = NIL;
      this.sr = NIL;
      return;
    }
    if (this.less(t, v, s)) {
      this.split(this.right[t]!, v, s);
      this.right[t] = this.sl;
      this.sl = t;
    } else {
      this.split(this.left[t]!, v, s);
      this.left[t] = this.sr;
      this.sr = t;
    }
    this.fix(t);
  }

  /** Merge two subtrees where every key of `a` is below every key of `b`. */
  private merge(a: number, b: number): number {
    if (a === NIL) return b;
    if (b === NIL) return a;
    if (this.prio[a]! > this.prio[b]!) {
      this.right[a] = this.merge(this.right[a]!, b);
      this.fix(a);
      return a;
    }
    this.left[b] = this.merge(a, this.left[b]!);
    this.fix(b);
    return b;
  }

  private insertAt(t: number, n: number): number {
    if (t === NIL) return n;
    if (this.prio[n]! > this.prio[t]!) {
      this.split(t, this.key[n]!, n);
      this.left[n] = this.sl;
      this.right[n] = this.sr;
      this.fix(n);
      return n;
    }
    if (this.less(n, this.key[t]!, t)) this.left[t] = this.insertAt(this.left[t]!, n);
    else this.right[t] = this.insertAt(this.right[t]!, n);
    this.size[t]!++;
    return t;
  }

  /** Insert `value` as node `slot` (the slot must not be in the tree). */
  insert(slot: number, value: number): void {
    this.key[slot] = value;
    this.left[slot] = NIL;
    this.right[slot] = NIL;
    this.size[slot] = 1;
    this.prio[slot] = this.nextPriority();
    this.root = this.insertAt(this.root, slot);
  }

  private removeAt(t: number, n: number, v: number): number {
    if (t === n) return this.merge(this.left[t]!, this.right[t]!);
    if (this.less(t, v, n)) this.right[t] = this.removeAt(this.right[t]!, n, v);
    else this.left[t] = this.removeAt(this.left[t]!, n, v);
    this.size[t]!--;
    return t;
  }

  /** Remove node `slot` (which must be in the tree). */
  remove(slot: number): void {
    this.root = this.removeAt(this.root, slot, this.key[slot]!);
  }

  /** The value of rank `k` (0 = smallest); `k` must be below `count`. */
  select(k: number): number {
    let t = this.root;
    for (;;) {
      const l = this.left[t]!;
      const ls = l === NIL ? 0 : this.size[l]!;
      if (k < ls) t = l;
      else if (k === ls) return this.key[t]!;
      else {
        k -= ls + 1;
        t = this.right[t]!;
      }
    }
  }

  /** How many values are strictly below `v`. */
  countBelow(v: number): number {
    let t = this.root;
    let c = 0;
    while (t !== NIL) {
      if (this.key[t]! < v) {
        const l = this.left[t]!;
        c += 1 + (l === NIL ? 0 : this.size[l]!);
        t = this.right[t]!;
      } else t = this.left[t]!;
    }
    return c;
  }

  /** Median of the values (mean of the two middle ones for an even count); `NaN` when empty. */
  median(): number {
    const n = this.count;
    if (n === 0) return NaN;
    const h = n >> 1;
    return n & 1 ? this.select(h) : (this.select(h - 1) + this.select(h)) / 2;
  }

  /**
   * Median of the absolute deviations from `m` (unscaled MAD when `m` is the median), in
   * O(log² n) without touching every value: the deviations below `m` read from the sorted
   * values leftwards and those at or above it rightwards are two sorted sequences, and the
   * k-th smallest of two sorted sequences is found by bisection on how many come from the first.
   */
  medianAbsDeviation(m: number): number {
    const n = this.count;
    if (n === 0) return NaN;
    const p = this.countBelow(m);
    const h = n >> 1;
    return n & 1 ? this.kthDeviation(h, m, p) : (this.kthDeviation(h - 1, m, p) + this.kthDeviation(h, m, p)) / 2;
  }

  /** k-th smallest |x − m| (0-based), where the `p` values below m are ranks 0 … p − 1. */
  private kthDeviation(k: number, m: number, p: number): number {
    const na = p; // A[i] = m − value of rank p − 1 − i (ascending)
    const nb = this.count - p; // B[j] = value of rank p + j − m (ascending)
    let lo = Math.max(0, k + 1 - nb);
    let hi = Math.min(k + 1, na);
    while (lo < hi) {
      const i = (lo + hi) >> 1; // take i from A and k + 1 − i from B
      const a = m - this.select(p - 1 - i);
      const b = this.select(p + k - i) - m;
      if (a < b) lo = i + 1;
      else hi = i;
    }
    const i = lo;
    const j = k + 1 - i;
    const a = i > 0 ? m - this.select(p - i) : -Infinity;
    const b = j > 0 ? this.select(p + j - 1) - m : -Infinity;
    return a > b ? a : b;
  }
}
