import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import * as pq from 'parquet-wasm';
import { samplePaths } from '../../src/cli/format.js';
import { cli } from '../helpers/run-cli.js';

/** What the sample's raw text says, per symbol, parsed here with JSON.parse alone. */
interface RawSymbol {
  /** Exchange times `E` of bookTicker and trade messages. */
  times: number[];
  quotes: number;
  trades: number;
  /** bookTickers left by the drop-stale rule: an id not above the highest so far is skipped. */
  freshQuotes: number;
  /** Per UTC second: market-print count, base volume, aggressor-buy volume. */
  seconds: Map<number, { trades: number; volume: number; buy: number }>;
}

function rawSample(): Map<string, RawSymbol> {
  const out = new Map<string, RawSymbol>();
  for (const path of samplePaths()) {
    for (const line of gunzipSync(readFileSync(path)).toString('utf8').split('\n')) {
      if (!line) continue;
      const msg = JSON.parse(line.slice(line.indexOf(' ') + 1));
      const d = msg.data ?? msg;
      if (d.e !== 'bookTicker' && d.e !== 'trade') continue;
      const sym = String(d.s).toUpperCase();
      let s = out.get(sym);
      if (!s) out.set(sym, (s = { times: [], quotes: 0, trades: 0, freshQuotes: 0, seconds: new Map() }));
      s.times.push(d.E);
      if (d.e === 'bookTicker') {
        s.quotes++;
        const maxId = (s as RawSymbol & { maxId?: number }).maxId ?? -Infinity;
        if (d.u > maxId) {
          s.freshQuotes++;
          (s as RawSymbol & { maxId?: number }).maxId = d.u;
        }
      } else {
        s.trades++;
        if (d.X !== 'MARKET') continue;
        const sec = Math.floor(d.E / 1000) * 1000;
        const b = s.seconds.get(sec) ?? { trades: 0, volume: 0, buy: 0 };
        b.trades++;
        b.volume += Number(d.q);
        if (!d.m) b.buy += Number(d.q); // m: true ⇒ the buyer was the maker, the aggressor sold
        s.seconds.set(sec, b);
      }
    }
  }
  return out;
}

/** A JSONL file's rows (JSON has no NaN: a number without a value is null). */
function readJsonl(path: string): Record<string, unknown>[] {
  const text = path.endsWith('.gz') ? gunzipSync(readFileSync(path)).toString('utf8') : readFileSync(path, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** A Parquet file's rows through parquet-wasm and Arrow, NaN written as null to compare with JSONL. */
function readParquetRows(path: string): { rows: Record<string, unknown>[]; columns: string[]; metadata: Map<string, string> } {
  const wasm = pq.readParquet(new Uint8Array(readFileSync(path)));
  const table = tableFromIPC(wasm.intoIPCStream());
  const columns = table.schema.fields.map((f) => f.name);
  const rows = table.toArray().map((r) => {
    const o: Record<string, unknown> = {};
    for (const c of columns) {
      const v = (r as Record<string, unknown>)[c];
      o[c] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
    }
    return o;
  });
  return { rows, columns, metadata: table.schema.metadata };
}

const BAR_COLUMNS = ['symbol', 'start', 'end', 'open', 'high', 'low', 'close', 'spread', 'spreadMean', 'ofi', 'ofiCum', 'cvdDelta', 'cvd', 'buyVolume', 'sellVolume', 'volume', 'quoteVolume', 'quotes', 'trades'];
const FUSED_COLUMNS = ['z_ofi', 'z_cvd', 'score', 'side', 'consistency', 'div_type', 'div_bullish', 'div_bearish', 'div_strength', 'div_known_ts', 'fp'];
const UPDATE_COLUMNS = ['symbol', 'ts', 'kind', 'mid', 'spread', 'ofi', 'price', 'qty', 'aggressor', 'cvd'];

let tmp: string;
let raw: Map<string, RawSymbol>;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ofi-features-'));
  raw = rawSample();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ofi-backtest features', () => {
  it('1 s bars of the bundled sample: one row per second spanned, columns as documented, JSONL and Parquet agree', async () => {
    const jsonl = join(tmp, 'bars.jsonl');
    const parquet = join(tmp, 'bars.parquet');
    const a = await cli('features', '--bar', '1s', '--out', jsonl, '--json');
    expect(a.code, a.err).toBe(0);
    const b = await cli('features', '--bar', '1s', '--out', parquet, '--json');
    expect(b.code, b.err).toBe(0);
    const sa = JSON.parse(a.out);
    expect(sa.columns).toEqual([...BAR_COLUMNS, ...FUSED_COLUMNS]);
    expect(sa.mode).toBe('bar');
    expect(sa.bar).toBe('1s');

    const rows = readJsonl(jsonl);
    expect(rows.length).toBe(sa.rows);
    expect(Object.keys(rows[0]!)).toEqual(sa.columns);
    expect(raw.size).toBe(2);
    for (const [symbol, r] of raw) {
      const mine = rows.filter((x) => x.symbol === symbol);
      const first = Math.floor(Math.min(...r.times) / 1000);
      const last = Math.floor(Math.max(...r.times) / 1000);
      const distinct = new Set(r.times.map((t) => Math.floor(t / 1000))).size;
      expect(distinct, `${symbol}: every second of the sample has an event`).toBe(last - first + 1);
      expect(mine.length, `${symbol}: one bar per second spanned`).toBe(last - first + 1);
      expect(mine[0]!.start).toBe(first * 1000);
      expect(mine[mine.length - 1]!.end).toBe((last + 1) * 1000);
      expect(sa.symbols.find((s: { symbol: string }) => s.symbol === symbol)).toMatchObject({ rows: last - first + 1, firstTs: first * 1000, lastTs: (last + 1) * 1000 });
      // market prints per bar, from the raw messages
      for (const bar of mine) {
        const sec = r.seconds.get(bar.start as number) ?? { trades: 0, volume: 0, buy: 0 };
        expect(bar.trades, `${symbol} ${bar.start} trades`).toBe(sec.trades);
        expect(bar.volume as number).toBeCloseTo(sec.volume, 9);
        expect(bar.buyVolume as number).toBeCloseTo(sec.buy, 9);
      }
      // the fusion warms up (a minute of z-score window), then has values on every bar
      const warm = mine.filter((x) => x.z_ofi !== null);
      expect(warm.length).toBeGreaterThan(mine.length / 2);
      for (const x of warm) {
        expect(x.score as number).toBeCloseTo(0.6 * (x.z_ofi as number) + 0.4 * (x.z_cvd as number), 12);
        expect([-1, 0, 1]).toContain(x.side);
      }
      for (const x of mine) {
        expect(x.fp).toBe(sa.fp);
        if (x.div_type === null) expect([x.div_bullish, x.div_bearish, x.div_strength]).toEqual([0, 0, null]);
        else expect((x.div_type as string).endsWith('bullish') ? x.div_bullish : x.div_bearish).toBe(1);
      }
    }

    const p = readParquetRows(parquet);
    expect(p.columns).toEqual(sa.columns);
    expect(p.metadata.get('ofi_backtest.fp')).toBe(sa.fp);
    expect(p.rows).toEqual(rows);
  });

  it('one row per update without a bar: every quote and trade, in JSONL (gzip) and Parquet alike', async () => {
    const jsonl = join(tmp, 'updates.jsonl.gz');
    const parquet = join(tmp, 'updates.parquet');
    const btc = samplePaths().find((p) => p.includes('btcusdt'))!;
    const a = await cli('features', btc, '--out', jsonl, '--json');
    expect(a.code, a.err).toBe(0);
    const s = JSON.parse(a.out);
    expect(s.mode).toBe('update');
    expect(s.columns).toEqual([...UPDATE_COLUMNS, ...FUSED_COLUMNS]);
    const rows = readJsonl(jsonl);
    const r = raw.get('BTCUSDT')!;
    expect(rows.filter((x) => x.kind === 'quote').length).toBe(r.quotes);
    expect(rows.filter((x) => x.kind === 'trade').length).toBe(r.trades);
    const b = await cli('features', btc, '--out', parquet, '--json');
    expect(b.code, b.err).toBe(0);
    expect(readParquetRows(parquet).rows).toEqual(rows);
  });

  it('a dataset (its time-ordered merged stream) gives the same rows as the captures it was converted from', async () => {
    const ds = join(tmp, 'dataset');
    const c = await cli('convert', '--out', ds, '--json');
    expect(c.code, c.err).toBe(0);
    const fromDs = join(tmp, 'ds-bars.jsonl');
    const fromCaptures = join(tmp, 'cap-bars.jsonl');
    expect((await cli('features', ds, '--bar', '1s', '--out', fromDs)).code).toBe(0);
    expect((await cli('features', '--bar', '1s', '--out', fromCaptures)).code).toBe(0);
    const key = (r: Record<string, unknown>) => `${r.symbol}\0${String(r.start).padStart(16, '0')}`;
    const sorted = (rows: Record<string, unknown>[]) => rows.sort((a, b) => (key(a) < key(b) ? -1 : 1));
    expect(sorted(readJsonl(fromDs))).toEqual(sorted(readJsonl(fromCaptures)));
  });

  it('event bars: a row per 500 events (fresh quotes and trades), from a config file; the flag overrides it', async () => {
    const cfg = join(tmp, 'cfg.yaml');
    writeFileSync(cfg, 'features:\n  bar: 500ev\n  ofi_normalize: true\n');
    const out = join(tmp, 'ev.jsonl');
    const a = await cli('features', '--config', cfg, '--out', out, '--json');
    expect(a.code, a.err).toBe(0);
    const s = JSON.parse(a.out);
    expect(s.bar).toBe('500ev');
    expect(s.columns).toContain('ofi_norm');
    for (const [symbol, r] of raw) {
      const n = r.freshQuotes + r.trades;
      expect(s.symbols.find((x: { symbol: string }) => x.symbol === symbol).rows, symbol).toBe(Math.ceil(n / 500));
    }
    const o = join(tmp, 'override.jsonl');
    const b = await cli('features', '--config', cfg, '--bar', '1m', '--out', o, '--json');
    expect(JSON.parse(b.out).bar).toBe('1m');
  });

  it('refuses a bad bar, a bad output name and a missing --out in one line, exit code 2, writing nothing', async () => {
    const before = readdirSync(tmp).length;
    for (const [args, msg] of [
      [['--bar', '1x', '--out', join(tmp, 'x.jsonl')], /^ofi-backtest: --bar: expected a duration \(100ms, 1s, 1m\) or an event count \(500ev\), got '1x'$/],
      [['--bar', '0s', '--out', join(tmp, 'x.jsonl')], /--bar: expected/],
      [['--bar', '2.5ev', '--out', join(tmp, 'x.jsonl')], /--bar: expected/],
      [['--out', join(tmp, 'x.csv')], /expected a file name ending in \.parquet, \.jsonl or \.jsonl\.gz/],
      [[], /required option '-o, --out <file>'/],
    ] as const) {
      const r = await cli('features', ...args);
      expect(r.code, r.err).toBe(2);
      expect(r.err.trim()).toMatch(msg);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
    expect(readdirSync(tmp).length).toBe(before);
  });
});
