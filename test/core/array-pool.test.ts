import { describe, expect, it } from 'vitest';
import { ArrayPool } from '../../src/core/array-pool.js';

describe('ArrayPool', () => {
  it('hands back a given array for its length, new ones otherwise, never one twice', () => {
    const pool = new ArrayPool<Float64Array>((n) => new Float64Array(n), { keep: 2 });
    const a = pool.take(8);
    const b = pool.take(8);
    expect(a).not.toBe(b);
    pool.give(a);
    pool.give(a); // given twice: kept once
    expect(pool.size).toBe(1);
    expect(pool.take(16)).not.toBe(a); // another length: a new one
    expect(pool.take(8)).toBe(a);
    expect(pool.take(8)).not.toBe(a);
  });

  it('keeps at most `keep` arrays a length, none of length 0, and at most `maxBytes` in all', () => {
    const pool = new ArrayPool<Int32Array>((n) => new Int32Array(n), { keep: 2, maxBytes: 64 });
    for (let i = 0; i < 5; i++) pool.give(new Int32Array(4));
    pool.give(new Int32Array(0));
    expect([pool.size, pool.bytes]).toEqual([2, 32]);
    // many lengths: lengths 1, 2 and 3 fit (32 + 4 + 8 + 12 = 56 bytes), 4 has its two, 5 on would pass 64
    for (let n = 1; n <= 10; n++) pool.give(new Int32Array(n));
    expect([pool.size, pool.bytes]).toEqual([5, 56]);
    // a length taken to empty leaves nothing behind
    pool.take(1);
    expect([pool.size, pool.bytes]).toEqual([4, 52]);
    pool.clear();
    expect([pool.size, pool.bytes]).toEqual([0, 0]);
  });
});
