/**
 * Strategy modes from market activity: the trade rate, quote rate, mean quoted spread and
 * realised volatility over a rolling window of the event stream, mapped to quiet / normal /
 * active / aggressive with separate enter and exit thresholds per mode (hysteresis), a minimum
 * dwell time between changes, and an optional UTC schedule that forces, caps or floors the mode.
 *
 * Why modes: an order-flow edge lives in a liquid, moving market; in a thin one spread and
 * impact eat it, in a liquidation cascade the flow is forced and runs over it. Why hysteresis
 * and dwell: a measure hovering at one threshold would otherwise switch the mode on every
 * evaluation, and with it what the risk rules let through.
 *
 * The thresholds and their reasons (measured on the real USD-M captures) are in
 * `core/config/strategy-mode.ts`.
 *
 * @see Schmitt trigger (separate on and off thresholds) — the same idea applied to a regime.
 * @see Easley, López de Prado & O'Hara (2012), "Flow Toxicity and Liquidity in a High-Frequency World" (activity-dependent risk of flow).
 */
import {
  parseScheduleWindow,
  StrategyModeSection,
  type ScheduleWindow,
  type StrategyMode,
  type StrategyModeConfig,
  type StrategyModeConfigInput,
} from './strategy-mode-config.js';
import { annualise } from './volatility.js';
import { judgeMode, type ActivityMetrics } from './mode-rules.js';

export { STRATEGY_MODES, type StrategyMode } from './strategy-mode-config.js';
export { modeRank, type ActivityMetrics } from './mode-rules.js';

/**
 * The least of an event the manager reads: its kind and exchange time, and for a quote the best
 * bid and ask. `TradeEvent`, `QuoteEvent` and the other `MarketEvent`s satisfy it; so does one
 * reused scratch object. Kinds other than trade and quote only move the clock.
 */
export interface ActivityInput {
  type: string;
  ts: number;
  bidPrice?: number;
  askPrice?: number;
}

/** A mode change. */
export interface ModeChange {
  /** The evaluation time (a multiple of `step_sec`, exchange ms) at which the mode changed. */
  ts: number;
  from: StrategyMode;
  to: StrategyMode;
  /** Which measure crossed which threshold, and schedule windows that applied. */
  reasons: string[];
  metrics: ActivityMetrics;
}

/** Receives each mode change. */
export type ModeListener = (change: ModeChange) => void;

/**
 * Market activity to strategy mode, streaming, for one symbol (feed one manager per symbol).
 *
 * Events are counted into buckets of `step_sec` in preallocated typed arrays (no allocation
 * per event). At each step boundary the last `window_sec` of completed buckets are summed
 * (O(window/step) per step, exact, so nothing drifts) and the mode is judged by the rules of
 * `mode-rules.ts` (enter and exit thresholds per mode, then the schedule). A change happens
 * only if `min_dwell_sec` has passed since the last one (from the start of the stream a change
 * may come as soon as the window is full).
 *
 * Until a full window has been seen (the first, partial bucket not counted) the mode is
 * `initial`. A `ts` that goes back is taken as the latest one seen; an event with a non-finite
 * `ts` is ignored. With `enabled: false` the mode stays normal.
 *
 * @example
 * const modes = new StrategyModeManager();
 * modes.onChange((c) => console.log(c.ts, c.from, '→', c.to, c.reasons.join('; ')));
 * for (const e of events) modes.update(e); // e: TradeEvent | QuoteEvent | …
 * modes.mode; // 'normal' | 'active' | …
 */
export class StrategyModeManager {
  readonly config: StrategyModeConfig;
  private readonly stepMs: number;
  private readonly nWin: number;
  private readonly windowSec: number;
  private readonly dwellMs: number;
  private readonly schedule: ScheduleWindow[];
  // ring of nWin + 1 buckets: the window's completed buckets and the current one
  private readonly trades: Float64Array;
  private readonly quotes: Float64Array;
  private readonly spreadSum: Float64Array;
  private readonly spreadN: Float64Array;
  private readonly retSq: Float64Array;
  private readonly retN: Float64Array;
  private cur = NaN;
  /** The ring slot of {@link cur} (`cur % ring`, kept as the clock moves: a `%` of a large double per event is a library call). */
  private slot = 0;
  private first = NaN;
  private lastTs = -Infinity;
  /** The time {@link clock} moves to. */
  private at = NaN;
  private lastMid = NaN;
  private endMid = NaN;
  private current: StrategyMode;
  private lastChange = -Infinity;
  private ready = false;
  private m: ActivityMetrics = { trade_rate: NaN, quote_rate: NaN, spread_bps: null, vol: null };
  private readonly log: ModeChange[] = [];
  private logStart = 0;
  private count = 0;
  private readonly listeners: ModeListener[] = [];

  constructor(config: StrategyModeConfigInput = {}) {
    this.config = StrategyModeSection.parse(config);
    const c = this.config;
    this.stepMs = c.step_sec * 1000;
    this.nWin = Math.max(1, Math.ceil(c.window_sec / c.step_sec));
    this.windowSec = this.nWin * c.step_sec;
    this.dwellMs = c.min_dwell_sec * 1000;
    this.schedule = c.schedule.map((t) => parseScheduleWindow(t)!);
    const n = this.nWin + 1;
    this.trades = new Float64Array(n);
    this.quotes = new Float64Array(n);
    this.spreadSum = new Float64Array(n);
    this.spreadN = new Float64Array(n);
    this.retSq = new Float64Array(n);
    this.retN = new Float64Array(n);
    this.current = c.enabled ? c.initial : 'normal';
  }

  /** Listen to mode changes; returns a function that stops listening. */
  onChange(listener: ModeListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Feed one event; returns the mode after it. */
  update(e: ActivityInput): StrategyMode {
    if (!this.config.enabled) return this.current;
    this.at = e.ts;
    if (!this.clock()) return this.current;
    const slot = this.slot;
    if (e.type === 'trade') this.trades[slot]!++;
    else if (e.type === 'quote') {
      this.quotes[slot]!++;
      const bid = e.bidPrice!;
      const ask = e.askPrice!;
      if (bid > 0 && ask >= bid && Number.isFinite(ask)) {
        const mid = (bid + ask) / 2;
        this.spreadSum[slot]! += ((ask - bid) / mid) * 1e4;
        this.spreadN[slot]!++;
        this.lastMid = mid;
      }
    }
    return this.current;
  }

  /** Move the clock to `ts` with no event (a timer), so silence is seen as silence. Returns the mode. */
  advance(ts: number): StrategyMode {
    if (this.config.enabled && this.cur === this.cur) {
      this.at = ts;
      this.clock();
    }
    return this.current;
  }

  /** The current mode. */
  get mode(): StrategyMode {
    return this.current;
  }

  /** The current mode (the streaming contract's `value`; never null: `initial` until the first full window). */
  get value(): StrategyMode {
    return this.current;
  }

  /** True once a full window has been measured. */
  get isReady(): boolean {
    return this.ready;
  }

  /** The measures of the latest evaluation (a copy). */
  get metrics(): ActivityMetrics {
    return { ...this.m };
  }

  /** Mode changes so far, oldest first, at most `log_size` (the latest). */
  get changes(): ModeChange[] {
    return [...this.log.slice(this.logStart), ...this.log.slice(0, this.logStart)];
  }

  /** Mode changes since the start, the log's bound notwithstanding. */
  get changeCount(): number {
    return this.count;
  }

  reset(): void {
    for (const a of [this.trades, this.quotes, this.spreadSum, this.spreadN, this.retSq, this.retN]) a.fill(0);
    this.cur = NaN;
    this.first = NaN;
    this.lastTs = -Infinity;
    this.lastMid = NaN;
    this.endMid = NaN;
    this.current = this.config.enabled ? this.config.initial : 'normal';
    this.lastChange = -Infinity;
    this.ready = false;
    this.m = { trade_rate: NaN, quote_rate: NaN, spread_bps: null, vol: null };
    this.log.length = 0;
    this.logStart = 0;
    this.count = 0;
  }

  /** Bring the buckets up to `ts`; false when `ts` is unusable. */
  /** Move the buckets to the time in {@link at} (a field, not an argument: a number passed to a call V8 does not inline is boxed, and this runs per event). */
  private clock(): boolean {
    let ts = this.at;
    if (!Number.isFinite(ts)) return false;
    if (ts < this.lastTs) ts = this.lastTs;
    this.lastTs = ts;
    const b = Math.floor(ts / this.stepMs);
    if (this.cur !== this.cur) {
      this.cur = b;
      this.slot = b % this.trades.length;
      this.first = b;
      this.clearSlot(b);
      return true;
    }
    if (b > this.cur) this.roll(b);
    return true;
  }

  private clearSlot(bucket: number): void {
    const s = bucket % this.trades.length;
    this.trades[s] = 0;
    this.quotes[s] = 0;
    this.spreadSum[s] = 0;
    this.spreadN[s] = 0;
    this.retSq[s] = 0;
    this.retN[s] = 0;
  }

  /** Close the current bucket's return (mid at its end against the previous end). */
  private closeReturn(bucket: number): void {
    const s = bucket % this.trades.length;
    const prev = this.endMid;
    const mid = this.lastMid;
    if (prev === prev && mid === mid) {
      const r = Math.log(mid / prev);
      this.retSq[s] = r * r;
      this.retN[s] = 1;
    }
    this.endMid = mid;
  }

  private roll(b: number): void {
    this.closeReturn(this.cur);
    // buckets with no event: cleared, and a zero return each (the mid did not move); only the
    // last ring's worth matter
    const from = Math.max(this.cur + 1, b - this.trades.length);
    for (let j = from; j < b; j++) {
      this.clearSlot(j);
      this.closeReturn(j);
    }
    this.clearSlot(b);
    this.cur = b;
    this.slot = b % this.trades.length;
    this.evaluate(b * this.stepMs);
  }

  private evaluate(t: number): void {
    const b = this.cur;
    if (b - this.first - 1 < this.nWin) return;
    this.ready = true;
    let tr = 0;
    let qr = 0;
    let ss = 0;
    let sn = 0;
    let rs = 0;
    let rn = 0;
    const len = this.trades.length;
    for (let j = b - this.nWin; j < b; j++) {
      const s = j % len;
      tr += this.trades[s]!;
      qr += this.quotes[s]!;
      ss += this.spreadSum[s]!;
      sn += this.spreadN[s]!;
      rs += this.retSq[s]!;
      rn += this.retN[s]!;
    }
    const m = this.m;
    m.trade_rate = tr / this.windowSec;
    m.quote_rate = qr / this.windowSec;
    m.spread_bps = sn > 0 ? ss / sn : null;
    m.vol = rn > 0 ? annualise(Math.sqrt(rs / rn), this.config.step_sec) : null;
    const target = judgeMode(this.current, m, this.config, this.schedule, t, null);
    if (target === this.current || t - this.lastChange < this.dwellMs) return;
    const reasons: string[] = [];
    judgeMode(this.current, m, this.config, this.schedule, t, reasons);
    // thresholds turned off, or a schedule window that ended, leave nothing crossed to name
    if (reasons.length === 0) reasons.push(`no schedule window applies; the measures give ${target}`);
    const change: ModeChange = { ts: t, from: this.current, to: target, reasons, metrics: { ...m } };
    this.current = target;
    this.lastChange = t;
    this.record(change);
    for (const l of this.listeners) l(change);
  }

  private record(change: ModeChange): void {
    this.count++;
    const size = this.config.log_size;
    if (this.log.length < size) this.log.push(change);
    else {
      this.log[this.logStart] = change;
      this.logStart = (this.logStart + 1) % size;
    }
  }

}

