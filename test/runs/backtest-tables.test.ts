/**
 * The backtest's output tables: DuckDB (an independent Parquet reader) reads back what was
 * written, nulls where a value does not exist yet; the same rows give the same bytes; the
 * metrics JSON is stable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FILL_COLUMNS, ORDER_COLUMNS, stableJson, writeTable } from '../../src/runs/backtest-tables.js';
import type { Fill, Order } from '../../src/backtest/types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bt-tables-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const order = (id: number, over: Partial<Order> = {}): Order => ({
  id,
  symbol: 'BTCUSDT',
  side: 'buy',
  type: 'limit',
  qty: 0.002,
  price: 61_000.5,
  timeInForce: 'GTC',
  reduceOnly: false,
  tag: 'strong_buy',
  status: 'NEW',
  filledQty: 0,
  avgPrice: Number.NaN,
  submitTs: 1723161255000 + id,
  venueTs: 1723161255010 + id,
  updateTs: 1723161255010 + id,
  reason: '',
  ...over,
});

describe('backtest tables', () => {
  const orders = [order(1), order(2, { type: 'market', side: 'sell', timeInForce: 'IOC', reduceOnly: true, status: 'FILLED', filledQty: 0.002, avgPrice: 60_999.9, tag: 'exit' })];
  const fills: Fill[] = [{ orderId: 2, symbol: 'BTCUSDT', side: 'sell', price: 60_999.9, qty: 0.002, liquidity: 'taker', fee: 0.0488, ts: 1723161255013, tag: 'exit' }];

  it('DuckDB reads the orders back, null for a market order price and an unfilled average', async () => {
    const path = join(dir, 'orders.parquet');
    expect((await writeTable(path, 'orders', ORDER_COLUMNS, orders)).rows).toBe(2);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const r = await con.runAndReadAll(`SELECT id, side, type, reduce_only, price, avg_price, status, tag FROM read_parquet('${path}') ORDER BY id`);
    expect(r.getRows()).toEqual([
      [1, 'buy', 'limit', false, 61_000.5, null, 'NEW', 'strong_buy'],
      [2, 'sell', 'market', true, null, 60_999.9, 'FILLED', 'exit'],
    ]);
    const f = join(dir, 'fills.parquet');
    await writeTable(f, 'fills', FILL_COLUMNS, fills);
    const rf = await con.runAndReadAll(`SELECT ts, order_id, fee, liquidity FROM read_parquet('${f}')`);
    expect(rf.getRows()).toEqual([[1723161255013, 2, 0.0488, 'taker']]);
    con.closeSync();
  });

  it('the same rows give the same bytes, empty tables included', async () => {
    for (const rows of [orders, []]) {
      const a = join(dir, 'a.parquet');
      const b = join(dir, 'b.parquet');
      await writeTable(a, 'orders', ORDER_COLUMNS, rows);
      await new Promise((r) => setTimeout(r, 5)); // a later clock, should anything read it
      await writeTable(b, 'orders', ORDER_COLUMNS, rows);
      expect(Buffer.compare(await readFile(a), await readFile(b))).toBe(0);
    }
  });

  it('stable JSON: key order kept, non-finite numbers as null, −0 as 0', () => {
    expect(stableJson({ b: 1, a: Number.NaN, c: -0, d: [Infinity, 0.1 + 0.2] })).toBe('{\n  "b": 1,\n  "a": null,\n  "c": 0,\n  "d": [\n    null,\n    0.30000000000000004\n  ]\n}\n');
  });
});
