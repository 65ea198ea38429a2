/**
 * Golden scenarios for CoreAlgorithm, worked by hand: a few feature rows each, and the signals
 * the rules in `core-algorithm.ts` and `dedup.ts` say they give. Every gate and confirmation
 * rule is off (`BARE`) except the one a test is about.
 */
import { describe, expect, it } from 'vitest';
import { CoreAlgorithm, configHashOf, type ModeTracker } from '../../src/signals/core-algorithm.js';
import { SignalSection } from '../../src/signals/config.js';
import { MemorySink, SIGNAL_FIELDS } from '../../src/signals/types.js';
import { BARE, every, row, run, types } from './rows.js';

describe('thresholds', () => {
  it('normal and strong, buy and sell; entering, upgrading and turning each emit', () => {
    const s = run([row(0, 0.5), row(1, 1.6), row(2, 2.6), row(3, -1.6), row(4, -2.6)]);
    expect(types(s)).toEqual([
      [1, 'buy'],
      [2, 'strong_buy'],
      [3, 'sell'],
      [4, 'strong_sell'],
    ]);
  });

  it('thresholds are inclusive, and the sell side has its own', () => {
    expect(types(run([row(0, 1.5)]))).toEqual([[0, 'buy']]);
    expect(types(run([row(0, 2.5)]))).toEqual([[0, 'strong_buy']]);
    const cfg = { sell_threshold: 2, strong_sell_threshold: 3 };
    // −1.9 is no sell here; −2.9 repeats the sell (suppressed); −3 is strong
    expect(types(run([row(0, -1.9), row(1, -2.1), row(2, -2.9), row(3, -3), row(4, 1.6)], cfg))).toEqual([
      [1, 'sell'],
      [3, 'strong_sell'],
      [4, 'buy'],
    ]);
  });

  it('a strong threshold below the normal one is refused, naming the field', () => {
    const r = SignalSection.safeParse({ buy_threshold: 2, strong_buy_threshold: 1.5 });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['strong_buy_threshold']);
  });

  it('rows without fused features make no signal', () => {
    expect(run([row(0, null), row(1, null)])).toEqual([]);
  });
});

describe('confirmation', () => {
  it('fusion consistency at least min_consistency', () => {
    const [lo] = run([row(0, 1.6, { consistency: 0.4 })], { min_consistency: 0.5 });
    const [hi] = run([row(0, 1.6, { consistency: 0.5 })], { min_consistency: 0.5 });
    expect(lo!.confirm).toBe(false);
    expect(hi!.confirm).toBe(true);
  });

  it('the last agree_updates scores share the signal\'s sign', () => {
    // three positive rows in a row: confirmed; a negative one two rows back breaks the run
    expect(run([row(0, 0.2), row(1, 0.3), row(2, 1.6)], { agree_updates: 3 })[0]!.confirm).toBe(true);
    expect(run([row(0, -0.2), row(1, 0.3), row(2, 1.6)], { agree_updates: 3 })[0]!.confirm).toBe(false);
    // a row without features resets the run
    expect(run([row(0, 0.2), row(1, null), row(2, 0.3), row(3, 1.6)], { agree_updates: 3 })[0]!.confirm).toBe(false);
  });

  it('divergence: veto against, confirm with, ignore', () => {
    const buy = (div_type: string | null, div_strength: number | null = 0.4) => [row(0, 1.6, { div_type, div_strength })];
    const c = (rule: 'veto' | 'confirm' | 'ignore', div: string | null, extra = {}) => run(buy(div), { divergence_rule: rule, ...extra })[0]!.confirm;
    expect(c('veto', null)).toBe(true);
    expect(c('veto', 'regular-bearish')).toBe(false);
    expect(c('veto', 'hidden-bearish')).toBe(false);
    expect(c('veto', 'hidden-bullish')).toBe(true);
    expect(c('confirm', null)).toBe(false);
    expect(c('confirm', 'regular-bearish')).toBe(false);
    expect(c('confirm', 'regular-bullish')).toBe(true);
    expect(c('ignore', 'regular-bearish')).toBe(true);
    // too weak to count: strength 0.4 below 0.5
    expect(c('veto', 'regular-bearish', { divergence_min_strength: 0.5 })).toBe(true);
    expect(c('confirm', 'regular-bullish', { divergence_min_strength: 0.5 })).toBe(false);
    // and for a sell, bullish is against
    expect(run([row(0, -1.6, { div_type: 'regular-bullish', div_strength: 0.4 })], { divergence_rule: 'veto' })[0]!.confirm).toBe(false);
  });

  it('a gate does not unconfirm, and confirmation does not ungate', () => {
    const [s] = run([row(0, 1.6, { spread: 13 })], { max_spread_bps: 2 });
    expect(s).toMatchObject({ confirm: true, gating_blocked: true, gating_reasons: ['spread'] });
  });
});

describe('gates', () => {
  it('spread: wider than max_spread_bps of the mid', () => {
    // 13 / 60,000 = 2.17 bps; 11.9 / 60,000 = 1.98 bps
    expect(run([row(0, 1.6, { spread: 13 })], { max_spread_bps: 2 })[0]!.gating_reasons).toEqual(['spread']);
    expect(run([row(0, 1.6, { spread: 11.9 })], { max_spread_bps: 2 })[0]!.gating_blocked).toBe(false);
  });

  it('lag: receive − exchange time above its rolling minimum, whatever the clock offset', () => {
    // the receiver's clock runs 1,270 ms behind the exchange (as in the captures): recv − ts = −1270 is no delay
    const steady = every(0, 5000, 100, (ts) => row(ts, 0.5, { recv_ts: ts - 1270 }));
    const late = run([...steady, row(5100, 1.6, { recv_ts: 5100 - 1270 + 300 })], { max_lag_ms: 250 });
    expect(late[0]!.gating_reasons).toEqual(['lag']);
    const fine = run([...steady, row(5100, 1.6, { recv_ts: 5100 - 1270 + 200 })], { max_lag_ms: 250 });
    expect(fine[0]!.gating_blocked).toBe(false);
    // rows without receive times: nothing to measure, no lag gate
    expect(run([row(0, 1.6)], { max_lag_ms: 1 })[0]!.gating_blocked).toBe(false);
  });

  it('lag: the baseline is the least delay of the last lag_baseline_sec, so an old fast message is forgotten', () => {
    // a message 400 ms faster than usual at t = 0, then a steady −1270 from t = 1 s; window 5 s
    const rows = [row(0, 0.5, { recv_ts: -1670 }), ...every(1000, 8000, 100, (ts) => row(ts, 0.5, { recv_ts: ts - 1270 }))];
    // at t = 3 s the t = 0 message is still in the window: −1270 is 400 ms over it
    expect(run([...rows.filter((r) => (r.ts as number) <= 3000), row(3050, 1.6, { recv_ts: 3050 - 1270 })], { max_lag_ms: 250, lag_baseline_sec: 5 })[0]!.gating_reasons).toEqual(['lag']);
    // at t = 8 s (buckets 3…8 s) it has left
    expect(run([...rows, row(8050, 1.6, { recv_ts: 8050 - 1270 })], { max_lag_ms: 250, lag_baseline_sec: 5 })[0]!.gating_blocked).toBe(false);
  });

  it('stale: the last quote older than stale_ms', () => {
    const trade = (ts: number) => row(ts, 1.6, { kind: 'trade' });
    expect(run([row(0, 0.5), trade(3000)], { stale_ms: 3000 })[0]!.gating_blocked).toBe(false);
    expect(run([row(0, 0.5), trade(3001)], { stale_ms: 3000 })[0]!.gating_reasons).toEqual(['stale']);
    // no quote at all yet: stale
    expect(run([trade(0)], { stale_ms: 3000 })[0]!.gating_reasons).toEqual(['stale']);
  });

  it('warm-up: warmup_sec from the first row, and again after the features fall back to not ready', () => {
    const cfg = { warmup_sec: 60 };
    const start = every(0, 2000, 500, (ts) => row(ts, null));
    expect(run([...start, row(59_999, 1.6)], cfg)[0]!.gating_reasons).toEqual(['warmup']);
    expect(run([...start, row(60_000, 1.6)], cfg)[0]!.gating_blocked).toBe(false);
    // not ready again at 100 s: warm-up from there
    const s = run([...start, row(60_000, 1.6), row(100_000, null), row(100_500, -1.6), row(160_000, -1.6)], cfg);
    expect(s.map((x) => [x.ts_ms, x.gating_reasons])).toEqual([
      [60_000, []],
      [100_500, ['warmup']],
      [160_000, []],
    ]);
  });

  it('low activity: trades or quotes a second over activity_window_sec below the floor', () => {
    // 10 s of quotes every 50 ms (20/s) and trades every 500 ms (2/s), then a buy at 9.999 s:
    // the window holds buckets 0…9 s, 20 trades over 9.999 s = 2.0/s < 3
    const quiet = [...every(0, 9950, 50, (ts) => row(ts, 0.5)), ...every(0, 9500, 500, (ts) => row(ts, 0.5, { kind: 'trade' }))].sort((a, b) => (a.ts as number) - (b.ts as number));
    const cfg = { min_trade_rate: 3, min_quote_rate: 10, activity_window_sec: 10 };
    expect(run([...quiet, row(9999, 1.6)], cfg)[0]!.gating_reasons).toEqual(['low_activity']);
    // trades every 250 ms: 40 over 9.999 s = 4.0/s
    const busy = [...every(0, 9950, 50, (ts) => row(ts, 0.5)), ...every(0, 9750, 250, (ts) => row(ts, 0.5, { kind: 'trade' }))].sort((a, b) => (a.ts as number) - (b.ts as number));
    expect(run([...busy, row(9999, 1.6)], cfg)[0]!.gating_blocked).toBe(false);
    // and the quote floor: 201 quotes over 9.999 s = 20.1/s, below a floor of 25
    expect(run([...busy, row(9999, 1.6)], { ...cfg, min_quote_rate: 25 })[0]!.gating_reasons).toEqual(['low_activity']);
  });

  it('mode: a blocked strategy mode gates, and the signal says the mode', () => {
    const tracker = (mode: string): ModeTracker => ({ mode, update: () => mode });
    const modes = (mode: string) => ({ create: () => tracker(mode), config: { fixed: mode } });
    const [q] = run([row(0, 1.6)], { blocked_modes: ['quiet'] }, { modes: modes('quiet') });
    expect(q).toMatchObject({ gating_reasons: ['mode'], strategy_mode: 'quiet' });
    expect(run([row(0, 1.6)], { blocked_modes: ['quiet'] }, { modes: modes('normal') })[0]).toMatchObject({ gating_blocked: false, strategy_mode: 'normal' });
    expect(run([row(0, 1.6)], { blocked_modes: [] }, { modes: modes('quiet') })[0]!.gating_blocked).toBe(false);
    // without trackers every signal is in normal mode
    expect(run([row(0, 1.6)])[0]!.strategy_mode).toBe('normal');
  });

  it('several reasons come in the documented order', () => {
    const [s] = run([row(0, null), row(1, 1.6, { kind: 'trade', spread: 13 })], { max_spread_bps: 2, stale_ms: 1000, warmup_sec: 60 });
    // the first row is a quote (not stale); spread and warm-up apply
    expect(s!.gating_reasons).toEqual(['spread', 'warmup']);
    const [t] = run([row(1, 1.6, { kind: 'trade', spread: 13 })], { max_spread_bps: 2, stale_ms: 1000, warmup_sec: 60 });
    expect(t!.gating_reasons).toEqual(['spread', 'stale', 'warmup']);
  });
});

describe('cooldown and de-duplication', () => {
  it('a standing buy: one signal per cooldown', () => {
    const s = run(every(0, 25_000, 100, (ts) => row(ts, 1.6)));
    expect(types(s)).toEqual([
      [0, 'buy'],
      [10_000, 'buy'],
      [20_000, 'buy'],
    ]);
  });

  it('a score flickering around the threshold is still one signal per cooldown', () => {
    const s = run(every(0, 25_000, 100, (ts, i) => row(ts, i % 2 === 0 ? 1.6 : 1.4)));
    expect(types(s)).toEqual([
      [0, 'buy'],
      [10_000, 'buy'],
      [20_000, 'buy'],
    ]);
  });

  it('a downgrade within the cooldown is suppressed; after it the weaker type is emitted', () => {
    const s = run([row(0, 2.6), ...every(100, 12_000, 100, (ts) => row(ts, 1.6))]);
    expect(types(s)).toEqual([
      [0, 'strong_buy'],
      [10_000, 'buy'],
    ]);
  });

  it('gated → actionable is an upgrade: emitted at once when the gate lifts', () => {
    const s = run([row(0, null), ...every(1000, 65_000, 1000, (ts) => row(ts, 1.6))], { warmup_sec: 60 });
    expect(s.map((x) => [x.ts_ms, x.gating_blocked])).toEqual([
      [1000, true],
      [11_000, true],
      [21_000, true],
      [31_000, true],
      [41_000, true],
      [51_000, true],
      [60_000, false],
    ]);
  });

  it('unconfirmed → confirmed is an upgrade too, and a turn to the other side always emits', () => {
    const s = run([row(0, 0.5), row(1, 1.6), row(2, 1.6), row(3, 1.6), row(4, -1.6)], { agree_updates: 3 });
    expect(s.map((x) => [x.ts_ms, x.signal_type, x.confirm])).toEqual([
      [1, 'buy', false],
      [2, 'buy', true],
      [4, 'sell', false],
    ]);
  });

  it('emit_neutral: one neutral when the score falls back, and it does not restart the cooldown', () => {
    const s = run([row(0, 1.6), row(100, 0.5), row(200, 0.4), row(300, 1.6), row(10_000, 1.6)], { emit_neutral: true });
    expect(types(s)).toEqual([
      [0, 'buy'],
      [100, 'neutral'],
      [10_000, 'buy'],
    ]);
    expect(run([row(0, 1.6), row(100, 0.5)]).length, 'off by default').toBe(1);
  });

  it('symbols keep their own state', () => {
    const eth = (ts: number, score: number) => row(ts, score, { symbol: 'ETHUSDT' });
    const s = run([row(0, 1.6), eth(1, 1.6), row(2, 1.6), eth(5000, -1.6), row(10_000, 1.6), eth(10_001, -1.6)]);
    expect(s.map((x) => [x.seq, x.symbol, x.ts_ms, x.signal_type])).toEqual([
      [0, 'BTCUSDT', 0, 'buy'],
      [1, 'ETHUSDT', 1, 'buy'],
      [2, 'ETHUSDT', 5000, 'sell'],
      [3, 'BTCUSDT', 10_000, 'buy'],
    ]);
  });

  it('--symbols: other symbols are skipped', () => {
    const s = run([row(0, 1.6), row(1, 1.6, { symbol: 'ETHUSDT' })], {}, { symbols: ['ethusdt'] });
    expect(s.map((x) => x.symbol)).toEqual(['ETHUSDT']);
  });
});

describe('the signal record', () => {
  it('has the fields of SIGNAL_FIELDS in their order, copied from the row', () => {
    const [s] = run([row(1_723_161_300_000, 1.6, { z_ofi: 2, z_cvd: 1, consistency: 2 / 3, side: 1, div_type: 'hidden-bullish', div_strength: 0.25 })]);
    expect(Object.keys(s!)).toEqual([...SIGNAL_FIELDS]);
    expect(s).toEqual({
      seq: 0,
      ts_ms: 1_723_161_300_000,
      symbol: 'BTCUSDT',
      signal_type: 'buy',
      confirm: true,
      score: 1.6,
      gating_blocked: false,
      gating_reasons: [],
      strategy_mode: 'normal',
      z_ofi: 2,
      z_cvd: 1,
      fusion_score: 1.6,
      fusion_side: 'buy',
      fusion_consistency: 2 / 3,
      divergence_type: 'hidden-bullish',
      divergence_strength: 0.25,
      fp: 'feedfeedfeedfeed',
      config_hash: s!.config_hash,
      run_id: 'test',
    });
  });

  it('config_hash: 16 hex digits, the same for the same rules however spelled, different for different rules, blind to output keys', () => {
    const h = (signal: object) => configHashOf({ signal });
    expect(h({})).toMatch(/^[0-9a-f]{16}$/);
    expect(h({ cooldown_sec: 10, buy_threshold: 1.5 })).toBe(h({}));
    expect(h({ cooldown_sec: 5 })).not.toBe(h({}));
    expect(h({ sink_kind: 'sqlite', out_dir: 'elsewhere', watch_poll_ms: 50 })).toBe(h({}));
    expect(configHashOf({ features: { fusion: { threshold: 2 } } })).not.toBe(h({}));
    const algo = new CoreAlgorithm({ runId: 'x' }, new MemorySink());
    expect(algo.configHash).toBe(h({}));
    expect(new CoreAlgorithm({ runId: 'x', configHash: 'given' }, new MemorySink()).configHash).toBe('given');
  });

  it('stats count rows, candidates, types and reasons', () => {
    const sink = new MemorySink();
    const algo = new CoreAlgorithm({ runId: 't', signal: { ...BARE, max_spread_bps: 2 } }, sink);
    for (const r of [row(0, null), row(1, 0.5), row(2, 1.6, { spread: 13 }), row(3, 1.6), row(4, -2.6)]) algo.updateFeatures(r);
    const [st] = algo.stats;
    expect(st).toMatchObject({ symbol: 'BTCUSDT', rows: 5, readyRows: 4, candidates: 3, signals: 3, firstTs: 0, lastTs: 4, confirmed: 3, blocked: 1, actionable: 2 });
    expect(st!.types).toEqual({ strong_buy: 0, buy: 2, neutral: 0, sell: 0, strong_sell: 1 });
    expect(st!.reasons.spread).toBe(1);
    expect(st!.gatedRows.spread).toBe(1);
  });
});

describe('bar rows', () => {
  it('a bar row counts its quotes and trades, and its end is its time', () => {
    const bar = (end: number, score: number, quotes: number, trades: number) => ({
      symbol: 'BTCUSDT',
      start: end - 1000,
      end,
      close: 60_000,
      spread: 0.1,
      quotes,
      trades,
      z_ofi: score,
      z_cvd: score,
      score,
      side: 1,
      consistency: 1,
      div_type: null,
      div_strength: null,
      fp: 'f',
    });
    // 1 s bars with 20 quotes and 2 trades each: 2 trades/s < 3 → low activity; 5 trades → fine
    const cfg = { min_trade_rate: 3, min_quote_rate: 10, activity_window_sec: 10, stale_ms: 3000 };
    const thin = run([...every(1000, 10_000, 1000, (ts) => bar(ts, 0.5, 20, 2)), bar(11_000, 1.6, 20, 2)], cfg);
    expect(thin.map((s) => [s.ts_ms, s.gating_reasons])).toEqual([[11_000, ['low_activity']]]);
    const busy = run([...every(1000, 10_000, 1000, (ts) => bar(ts, 0.5, 20, 5)), bar(11_000, 1.6, 20, 5)], cfg);
    expect(busy.map((s) => [s.ts_ms, s.gating_reasons])).toEqual([[11_000, []]]);
    // bars without quotes for more than stale_ms: stale; and 20 quotes over the 4 s since the
    // first bar's end is 5/s, below the quote floor
    const frozen = run([bar(1000, 0.5, 20, 5), ...every(2000, 5000, 1000, (ts) => bar(ts, ts === 5000 ? 1.6 : 0.5, 0, 5))], cfg);
    expect(frozen[0]!.gating_reasons).toEqual(['stale', 'low_activity']);
  });
});
