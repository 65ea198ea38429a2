/**
 * The streaming DataReader holds memory that does not grow with the length of the input: the
 * real BTCUSDT capture, and the same capture four times back to back (shifted in time and ids,
 * `bench/lib/scale.mjs`: nothing invented), streamed in chunks while nothing is kept; the peak
 * of live memory (heap and array buffers, after a full collection) is about the same for both,
 * and well under what one whole table of the longer input holds.
 */
import { describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertSources } from '../../src/io/convert.js';
import { DataReader } from '../../src/runs/backtest-data.js';
import { dataPath } from '../helpers/data.js';
// @ts-expect-error a plain JavaScript module of the benchmarks, without type declarations
import { scaleCapture } from '../../bench/lib/scale.mjs';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * Live memory after full collections, bytes. Array buffers are freed by a sweeper thread after
 * a collection; on a busy machine it lags, so collect, yield, and collect again before reading.
 */
async function live(): Promise<number> {
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Peak live memory above the start while the inputs are streamed, sampled every 4 chunks. */
async function streamingPeak(inputs: string[]): Promise<{ peak: number; events: number }> {
  const base = await live();
  let peak = 0;
  let k = 0;
  let events = 0;
  // small read batches: the capture reader's depth batch (the slowest kind) sets how far the
  // per-source ordering must look ahead (io/ordered.ts)
  for await (const c of (await DataReader.open(inputs, { chunk: 4096, batchRows: 2048 })).chunks()) {
    events += c.length;
    if (++k % 4 === 0) peak = Math.max(peak, (await live()) - base);
  }
  return { peak, events };
}

/** The real BTCUSDT capture and it four times over (times and ids shifted), in a temporary directory for `fn`. */
async function withCaptureX4(fn: (btc: string, x4: string, dir: string) => Promise<void>): Promise<void> {
  const btc = dataPath('binance-ws', 'usdm', 'btcusdt_20240808.gz');
  const dir = mkdtempSync(join(tmpdir(), 'ofi-reader-mem-'));
  try {
    const x4 = join(dir, 'btcusdt_x4.gz');
    await scaleCapture(btc, x4, 4);
    await fn(btc, x4, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('DataReader memory', () => {
  it('streaming four times the events holds about the memory of streaming one, well below the whole table of it', async () => {
    await withCaptureX4(async (btc, x4) => {
      const one = await streamingPeak([btc]);
      const four = await streamingPeak([x4]);
      expect(four.events).toBe(4 * one.events);
      const base = await live();
      const table = await (await DataReader.open([x4])).table();
      const whole = (await live()) - base;
      expect(table.length).toBe(four.events);
      expect(four.peak, `peak ${four.peak} streaming x4 against ${one.peak} streaming x1`).toBeLessThan(one.peak * 1.5 + 4e6);
      expect(four.peak, `peak ${four.peak} against a whole x4 table of ${whole}`).toBeLessThan(whole / 2);
    });
  }, 60_000);

  it('a dataset of many parts streams in the memory of a few: a finished part lets go of its last batch', async () => {
    await withCaptureX4(async (btc, x4, dir) => {
      // parts of 20 s: ~17 per kind for the capture, ~70 for it four times over
      await convertSources([btc], { out: join(dir, 'ds1'), rotateSec: 20 });
      await convertSources([x4], { out: join(dir, 'ds4'), rotateSec: 20 });
      const one = await streamingPeak([join(dir, 'ds1')]);
      const four = await streamingPeak([join(dir, 'ds4')]);
      expect(four.events).toBe(4 * one.events);
      expect(four.peak, `peak ${four.peak} streaming x4 against ${one.peak} streaming x1`).toBeLessThan(one.peak * 1.5 + 12e6);
    });
  }, 120_000);
});
