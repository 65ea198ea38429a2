/**
 * A seeded pseudo-random source for the models that draw (empirical latency, the sampled
 * probabilistic queue). `Math.random` would make two runs differ; this one gives the same
 * sequence for the same seed in Node, Deno and a browser, so a backtest is reproducible byte
 * for byte.
 *
 * The generator is mulberry32 (Tommy Ettinger, 2017): 32 bits of state, a period of 2^32, and
 * statistical quality well beyond what sampling a latency or a queue share asks of it. The
 * seed is mixed once through the splitmix32 finaliser so that neighbouring seeds (1, 2, 3)
 * start far apart.
 *
 * @see https://gist.github.com/tommyettinger/46a874533244883189143505d203312c (mulberry32)
 */
export class SeededRandom {
  private state: number;
  private readonly first: number;

  constructor(readonly seed: number) {
    let z = (Math.trunc(seed) | 0) + 0x9e3779b9;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    this.first = (z ^ (z >>> 16)) >>> 0;
    this.state = this.first;
  }

  /** Back to the start of the seed's sequence (a new run draws what a fresh generator would). */
  reset(): void {
    this.state = this.first;
  }

  /** The next number in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
