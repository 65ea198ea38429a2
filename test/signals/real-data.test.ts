/**
 * The default configuration on the real Binance USD-M captures: how many signals, and which
 * gates fire — checked against facts counted straight from the capture text (regular
 * expressions, none of the library's readers): the first event time, the widest spread, the
 * longest gap between quotes, the delay of receive times over their rolling minimum, the
 * quietest 10 s of trading. Prints the table the `signal` section's defaults cite.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config.js';
import { computeFeatures } from '../../src/runs/features-run.js';
import { runSignals, type SignalsRunSummary } from '../../src/runs/signals-run.js';
import { featureSetOptionsFromConfig } from '../../src/microstructure/feature-set.js';
import { StrategyModeManager } from '../../src/risk/strategy-mode.js';
import { MemorySink, type Signal } from '../../src/signals/types.js';
import { dataPath } from '../helpers/data.js';

const USDM = (f: string) => dataPath('binance-ws', 'usdm', f);
const CAPTURES: Record<string, string[]> = {
  'BTCUSDT 2024-08-08': [USDM('btcusdt_20240808.gz')],
  'ETHUSDT 2024-08-08': [USDM('ethusdt_20240808.gz')],
  'BTCUSDT 2024-07-18/19': [USDM('btcusdt_20240718.gz'), USDM('btcusdt_20240719.gz')],
};

/** Facts of a capture counted from its text. */
interface Facts {
  firstTs: number;
  /** Widest bookTicker spread, bps of the mid, and the share of bookTickers wider than 2 bps. */
  maxSpreadBps: number;
  wideShare: number;
  /** Longest gap between consecutive bookTicker event times, ms. */
  maxQuoteGapMs: number;
  /** Median receive − event time, ms (the recorder's clock offset plus network delay). */
  medianRecvMinusE: number;
  /** Largest (receive − event time) above its minimum over the trailing 60 s, ms. */
  maxLagExcessMs: number;
  /** Fewest trades a second over a trailing 10 s, sampled each second after the first 10 s. */
  minTradeRate10s: number;
}

function facts(files: string[]): Facts {
  const quotes: { E: number; bps: number }[] = [];
  const tradesE: number[] = [];
  const lags: [number, number][] = [];
  for (const f of files) {
    for (const line of gunzipSync(readFileSync(f)).toString('utf8').split('\n')) {
      const kind = /"e":"(bookTicker|trade)"/.exec(line)?.[1];
      if (!kind) continue;
      const recvMs = Number(line.slice(0, line.indexOf(' '))) / 1e6;
      const E = Number(/"E":(\d+)/.exec(line)![1]);
      lags.push([E, recvMs - E]);
      if (kind === 'trade') tradesE.push(E);
      else {
        const b = Number(/"b":"([^"]+)"/.exec(line)![1]);
        const a = Number(/"a":"([^"]+)"/.exec(line)![1]);
        quotes.push({ E, bps: ((a - b) / ((a + b) / 2)) * 1e4 });
      }
    }
  }
  const qE = quotes.map((q) => q.E).sort((x, y) => x - y);
  let maxGap = 0;
  for (let i = 1; i < qE.length; i++) maxGap = Math.max(maxGap, qE[i]! - qE[i - 1]!);
  // trailing 60 s minimum by brute force over a sorted copy
  const byE = [...lags].sort((x, y) => x[0] - y[0]);
  let maxExcess = 0;
  let lo = 0;
  const deque: number[] = [];
  for (let i = 0; i < byE.length; i++) {
    while (deque.length && byE[deque[deque.length - 1]!]![1] >= byE[i]![1]) deque.pop();
    deque.push(i);
    while (byE[lo]![0] < byE[i]![0] - 60_000) lo++;
    while (deque[0]! < lo) deque.shift();
    maxExcess = Math.max(maxExcess, byE[i]![1] - byE[deque[0]!]![1]);
  }
  const tE = [...tradesE].sort((x, y) => x - y);
  const first = Math.min(qE[0]!, tE[0]!);
  let minRate = Infinity;
  for (let t = first + 10_000; t <= tE[tE.length - 1]!; t += 1000) {
    const n = tE.filter((x) => x > t - 10_000 && x <= t).length;
    minRate = Math.min(minRate, n / 10);
  }
  const diffs = lags.map((l) => l[1]).sort((x, y) => x - y);
  return {
    firstTs: first,
    maxSpreadBps: Math.max(...quotes.map((q) => q.bps)),
    wideShare: quotes.filter((q) => q.bps > 2).length / quotes.length,
    maxQuoteGapMs: maxGap,
    medianRecvMinusE: diffs[diffs.length >> 1]!,
    maxLagExcessMs: maxExcess,
    minTradeRate10s: minRate,
  };
}

const config = ConfigSchema.parse({});
const features = featureSetOptionsFromConfig(config.features);
const modes = { create: () => new StrategyModeManager(config.strategy_mode), config: config.strategy_mode };

async function signalsOf(inputs: string[]): Promise<{ summary: SignalsRunSummary; signals: Signal[] }> {
  const sink = new MemorySink();
  const summary = await runSignals({ inputs, runId: 'real', sink, signal: config.signal, features, modes });
  return { summary, signals: sink.signals };
}

const tmp = mkdtempSync(join(tmpdir(), 'signals-real-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Result {
  summary: SignalsRunSummary;
  signals: Signal[];
  facts: Facts;
}
const results: Record<string, Result> = {};
const pending: Record<string, Promise<Result>> = {};

/** A capture's signals and facts, computed once whichever test asks first. */
function load(name: string): Promise<Result> {
  return (pending[name] ??= signalsOf(CAPTURES[name]!).then((r) => (results[name] = { ...r, facts: facts(CAPTURES[name]!) })));
}

describe.each(Object.keys(CAPTURES))('default signals on %s', (name) => {
  it('a plausible number: a few a minute, far fewer than candidate rows', async () => {
    const { summary } = await load(name);
    const [s] = summary.symbols;
    expect(summary.symbols).toHaveLength(1);
    expect(s!.perMinute, 'more than one a minute').toBeGreaterThan(1);
    expect(s!.perMinute, 'fewer than sixty a minute').toBeLessThan(60);
    expect(s!.signals * 100, 'under 1% of the rows beyond a threshold').toBeLessThan(s!.candidates);
    expect(s!.actionable, 'some signals pass every rule').toBeGreaterThan(0);
  });

  it('warm-up: exactly the signals of the first 60 s of the stream', async () => {
    const { signals, facts: f } = await load(name);
    expect(signals.some((s) => s.ts_ms - f.firstTs < 60_000), 'the stream signals during its first minute').toBe(true);
    for (const s of signals) expect(s.gating_reasons.includes('warmup'), `signal at +${s.ts_ms - f.firstTs} ms`).toBe(s.ts_ms - f.firstTs < 60_000);
  });

  it('spread, lag and staleness fire only where the data says they should', async () => {
    const { summary, facts: f } = await load(name);
    const t = summary.totals;
    // spread: a handful of instants wider than 2 bps at most, never at an emitted signal here
    expect(f.wideShare).toBeLessThan(0.002);
    expect(t.reasons.spread).toBe(0);
    expect(t.gatedRows.spread / summary.symbols[0]!.candidates).toBeLessThan(0.005);
    if (f.maxSpreadBps <= 2) expect(t.gatedRows.spread).toBe(0);
    // lag: the recorder's clock is over a second behind, yet the delay over its baseline stays far under 250 ms
    expect(f.medianRecvMinusE).toBeLessThan(-1000);
    expect(f.maxLagExcessMs).toBeLessThan(150);
    expect(t.gatedRows.lag).toBe(0);
    // staleness: no gap between quotes reaches 3 s
    expect(f.maxQuoteGapMs).toBeLessThan(3000);
    expect(t.gatedRows.stale).toBe(0);
  });

  it('low activity and the strategy mode fire in the quiet minutes of 18 July only', async () => {
    const { summary, signals, facts: f } = await load(name);
    const t = summary.totals;
    if (name.includes('07-18')) {
      expect(f.minTradeRate10s, 'the pre-midnight lull').toBeLessThan(3);
      expect(t.gatedRows.low_activity).toBeGreaterThan(0);
      expect(t.reasons.mode).toBeGreaterThan(0);
      const midnight = Date.UTC(2024, 6, 19);
      for (const s of signals.filter((x) => x.gating_reasons.includes('mode'))) {
        expect(s.strategy_mode).toBe('quiet');
        expect(s.ts_ms, 'quiet belongs to the minutes before midnight').toBeLessThan(midnight + 60_000);
      }
    } else {
      expect(f.minTradeRate10s).toBeGreaterThan(3);
      expect(t.gatedRows.low_activity).toBe(0);
      expect(t.gatedRows.mode).toBe(0);
    }
  });
});

describe('feature rows and market data give the same signals', () => {
  it('BTCUSDT 2024-08-08: `features -o x.jsonl` then signals equals signals on the capture, byte for byte', async () => {
    const file = USDM('btcusdt_20240808.gz');
    const out = join(tmp, 'features.jsonl');
    await computeFeatures([file], { out, features });
    const fromRows = await signalsOf([out]);
    const fromRaw = (await load('BTCUSDT 2024-08-08')).signals;
    expect(fromRows.summary.sources[0]!.format).toBe('features');
    expect(JSON.stringify(fromRows.signals)).toBe(JSON.stringify(fromRaw));
  });
});

afterAll(() => {
  const lines = ['', 'capture | minutes | signals | per minute | confirmed | gated | actionable | gating reasons (signals · candidate rows)', '---|---|---|---|---|---|---|---'];
  for (const [name, r] of Object.entries(results)) {
    const s = r.summary.symbols[0]!;
    const reasons = Object.entries(s.reasons)
      .filter(([k]) => s.reasons[k as keyof typeof s.reasons] > 0 || s.gatedRows[k as keyof typeof s.gatedRows] > 0)
      .map(([k, n]) => `${k} ${n} · ${s.gatedRows[k as keyof typeof s.gatedRows]}`)
      .join(', ');
    lines.push(`${name} | ${s.minutes.toFixed(2)} | ${s.signals} | ${s.perMinute.toFixed(1)} | ${s.confirmed} | ${s.blocked} | ${s.actionable} | ${reasons}`);
  }
  console.log(lines.join('\n'));
});
