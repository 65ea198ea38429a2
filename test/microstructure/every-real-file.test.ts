/**
 * Streaming equals columnar on EVERY real file in ../shared/data (every capture, the aggTrade
 * recording, the dump CSV, LOBSTER level 1 and 5), per symbol, with the columnar face fed in
 * random chunks whose state carries from one to the next: best-level OFI, the rolling z-score
 * of OFI, CVD and the whole fusion (z-scores, score, side, consistency).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { batchToEvents, type QuoteEvent, type TradeEvent } from '../../src/core/index.js';
import { readSource } from '../../src/io/detect.js';
import { OfiCalculator, OfiState, ofi } from '../../src/microstructure/ofi.js';
import { RollingZScore, rollingZScore } from '../../src/microstructure/rolling.js';
import { RollingMomentsState } from '../../src/microstructure/rolling-moments.js';
import { CvdCalculator, cvd } from '../../src/microstructure/cvd.js';
import { FeatureFusion } from '../../src/microstructure/fusion.js';
import { DATA_DIR, dataPath } from '../helpers/data.js';
import { close } from './contract.js';

/** Every data file and folder of the shared data that holds market data. */
function realSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const n of readdirSync(dir).sort()) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) {
        if (n.startsWith('LOBSTER_')) continue; // the unzipped level-1 pair: read below as its zip's twin
        walk(p);
      } else if (!/README|ReadMe/.test(n)) out.push(p);
    }
  };
  walk(DATA_DIR);
  out.push(dataPath('lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1'));
  return out;
}

interface PerSymbol {
  quotes: QuoteEvent[];
  trades: TradeEvent[];
}

async function load(path: string): Promise<Map<string, PerSymbol>> {
  const by = new Map<string, PerSymbol>();
  const get = (s: string) => by.get(s) ?? (by.set(s, { quotes: [], trades: [] }).get(s) as PerSymbol);
  for await (const { kind, batch } of readSource(path)) {
    if (kind === 'quote') for (const q of batchToEvents('quote', batch)) get(q.symbol).quotes.push(q);
    if (kind === 'trade') for (const t of batchToEvents('trade', batch)) get(t.symbol).trades.push(t);
  }
  return by;
}

/** A deterministic PRNG, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

/** Cut points 0 = c0 < c1 < … < ck = n, random sizes from 1 to 5,000. */
function cuts(n: number, rand: () => number): number[] {
  const out = [0];
  while (out[out.length - 1]! < n) out.push(Math.min(n, out[out.length - 1]! + 1 + Math.floor(rand() * 5000)));
  return out;
}

const col = <T>(xs: readonly T[], f: (x: T) => number) => Float64Array.from(xs, f);

function expectSame(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!close(got[i]!, want[i]!)) throw new Error(`${what} row ${i}: columnar ${got[i]} vs streaming ${want[i]}`);
  }
}

const sources = realSources();

describe('streaming equals columnar on every real file, in random chunks', () => {
  it('finds every file of the shared data', () => {
    expect(sources.length).toBeGreaterThanOrEqual(9);
  });

  for (const path of sources) {
    it(relative(DATA_DIR, path), async () => {
      const data = await load(path);
      const rand = rng(path.length * 7919);
      let checked = 0;
      for (const [symbol, { quotes, trades }] of data) {
        const at = `${relative(DATA_DIR, path)} ${symbol}`;
        if (quotes.length > 1) {
          // OFI, and its rolling z-score over 200 events
          const s = new OfiCalculator();
          const zs = new RollingZScore({ window: { events: 200 } });
          const wantOfi = quotes.map((q) => s.update(q) ?? NaN);
          const wantZ = wantOfi.map((x) => zs.update(x) ?? NaN);
          const st = new OfiState({});
          const zst = new RollingMomentsState('zscore', { window: { events: 200 } });
          const gotOfi = new Float64Array(quotes.length);
          const gotZ = new Float64Array(quotes.length);
          const c = cuts(quotes.length, rand);
          for (let k = 1; k < c.length; k++) {
            const part = quotes.slice(c[k - 1], c[k]);
            const e = ofi({ bidPrice: col(part, (q) => q.bidPrice), bidQty: col(part, (q) => q.bidQty), askPrice: col(part, (q) => q.askPrice), askQty: col(part, (q) => q.askQty), ts: col(part, (q) => q.ts), updateId: col(part, (q) => q.updateId) }, {}, undefined, st);
            gotOfi.set(e, c[k - 1]);
            gotZ.set(rollingZScore(e, { window: { events: 200 } }, undefined, undefined, zst), c[k - 1]);
          }
          expectSame(`${at} OFI`, gotOfi, wantOfi);
          expectSame(`${at} z(OFI)`, gotZ, wantZ);
          checked++;
        }
        if (trades.length > 1) {
          const s = new CvdCalculator();
          const want = trades.map((t) => s.update(t) ?? NaN);
          const got = cvd({ ts: col(trades, (t) => t.ts), price: col(trades, (t) => t.price), qty: col(trades, (t) => t.qty), side: Int8Array.from(trades, (t) => (t.side === 'buy' ? 1 : -1)), market: Uint8Array.from(trades, (t) => (t.printKind === 'MARKET' ? 1 : 0)) });
          expectSame(`${at} CVD`, got.base, want);
          checked++;
        }
        if (quotes.length > 1 && trades.length > 1 && isOrdered(quotes) && isOrdered(trades)) {
          // the fusion: streaming over the merged events, columnar over chunks cut at random times
          const merged = mergeByTs(quotes, trades);
          const s = new FeatureFusion();
          const want = { score: [] as number[], z_ofi: [] as number[], z_cvd: [] as number[], consistency: [] as number[] };
          for (const e of merged) {
            const o = s.update(e);
            want.score.push(o ? o.fusion.score : NaN);
            want.z_ofi.push(o ? o.z_ofi : NaN);
            want.z_cvd.push(o ? o.z_cvd : NaN);
            want.consistency.push(o ? o.fusion.consistency : NaN);
          }
          const f = new FeatureFusion();
          const got = { score: [] as number[], z_ofi: [] as number[], z_cvd: [] as number[], consistency: [] as number[] };
          const c = cuts(merged.length, rand).map((i) => (i < merged.length ? merged[i]!.ts : Infinity));
          let qi = 0;
          let ti = 0;
          for (let k = 1; k < c.length; k++) {
            const end = c[k]!;
            const q0 = qi;
            const t0 = ti;
            while (qi < quotes.length && quotes[qi]!.ts < end) qi++;
            while (ti < trades.length && trades[ti]!.ts < end) ti++;
            const qs = quotes.slice(q0, qi);
            const tr = trades.slice(t0, ti);
            const out = f.updateColumns(
              { ts: col(qs, (q) => q.ts), bidPrice: col(qs, (q) => q.bidPrice), bidQty: col(qs, (q) => q.bidQty), askPrice: col(qs, (q) => q.askPrice), askQty: col(qs, (q) => q.askQty), updateId: col(qs, (q) => q.updateId) },
              { ts: col(tr, (t) => t.ts), price: col(tr, (t) => t.price), qty: col(tr, (t) => t.qty), side: Int8Array.from(tr, (t) => (t.side === 'buy' ? 1 : -1)), market: Uint8Array.from(tr, (t) => (t.printKind === 'MARKET' ? 1 : 0)) },
            );
            got.score.push(...out.score);
            got.z_ofi.push(...out.z_ofi);
            got.z_cvd.push(...out.z_cvd);
            got.consistency.push(...out.consistency);
          }
          for (const k of ['score', 'z_ofi', 'z_cvd', 'consistency'] as const) expectSame(`${at} fusion ${k}`, got[k], want[k]);
          checked++;
        }
      }
      expect(checked, 'something was compared').toBeGreaterThan(0);
    });
  }
});

function isOrdered(xs: readonly { ts: number }[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i]!.ts < xs[i - 1]!.ts) return false;
  return true;
}

/** Quotes and trades merged by time, a quote first on ties: the columnar face's order. */
function mergeByTs(quotes: readonly QuoteEvent[], trades: readonly TradeEvent[]): (QuoteEvent | TradeEvent)[] {
  const out: (QuoteEvent | TradeEvent)[] = [];
  let i = 0;
  let j = 0;
  while (i < quotes.length || j < trades.length) {
    if (j >= trades.length || (i < quotes.length && quotes[i]!.ts <= trades[j]!.ts)) out.push(quotes[i++]!);
    else out.push(trades[j++]!);
  }
  return out;
}
