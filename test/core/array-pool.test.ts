import { describe, expect, it } from 'vitest';
import { ArrayPool } from '../../src/core/array-pool.js';

describe('ArrayPool', () => {
  it('hands back a given array for its length, new ones otherwise, never one twice', () => {
    const pool = new ArrayPool<Float64Array>((n) => new Float64Array(n), 2);
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

  it('keeps at most `keep` arrays a length, and none of length 0', () => {
    const pool = new ArrayPool<Int32Array>((n) => new Int32Array(n), 2);
    for (let i = 0; i < 5; i++) pool.give(new Int32Array(4));
    pool.give(new Int32Array(0));
    expect(pool.size).toBe(2);
    pool.clear();
    expect(pool.size).toBe(0);
  });
});
