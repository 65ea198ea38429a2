import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferPool } from '../../src/io/buffer-pool.js';

describe('BufferPool', () => {
  it('hands out the smallest free buffer that fits, else a new one', () => {
    const pool = new BufferPool();
    const big = new ArrayBuffer(1000);
    const small = new ArrayBuffer(100);
    pool.give(big, small);
    expect(pool.take(50)).toBe(small);
    expect(pool.take(50)).toBe(big);
    const fresh = pool.take(50);
    expect(fresh).not.toBe(big);
    expect(fresh.byteLength).toBe(50);
  });

  it('keeps at most maxFreeBytes free, dropping the largest first', () => {
    const pool = new BufferPool(150);
    pool.give(new ArrayBuffer(100), new ArrayBuffer(100));
    expect(pool.freeBytes).toBe(100);
  });

  it('reads a file into a pooled buffer, exactly its bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ofi-pool-'));
    writeFileSync(join(dir, 'a'), 'hello world');
    const pool = new BufferPool();
    const reused = new ArrayBuffer(64);
    pool.give(reused);
    const view = await pool.readFile(join(dir, 'a'));
    expect(view.buffer).toBe(reused);
    expect(new TextDecoder().decode(view)).toBe('hello world');
  });
});
