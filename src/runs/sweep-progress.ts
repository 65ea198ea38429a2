/**
 * The progress of a sweep on stderr: on a terminal, one bar line redrawn in place (runs done of
 * the total, the rate, the time left, the failures); elsewhere (a log file, a Kubernetes pod, a
 * Slurm job's output) a plain line every `everySec` seconds and one at the end, since a log
 * shows every redraw as a line of its own.
 *
 * Sixty lines of our own rather than a progress-bar package: the sweep needs one line of four
 * numbers, and the non-terminal mode (timed plain lines) is the one that matters on a cluster,
 * which the common packages either skip or print on every update.
 */
import { duration } from '../core/text.js';

/** A count of runs at a moment. */
export interface SweepProgress {
  /** Runs finished in this process (not counting those resumed from disk). */
  done: number;
  /** Runs this process has to do. */
  total: number;
  failed: number;
  /** Runs found on disk and skipped (resume). */
  skipped: number;
}

/** Draws {@link SweepProgress} on a stream (see the module comment). */
export class ProgressLine {
  private readonly t0 = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: { write(s: string): unknown; isTTY?: boolean; columns?: number },
    private readonly options: { everySec?: number; label?: string } = {},
  ) {}

  /** Show a new count (drawn at most every 100 ms on a terminal, every `everySec` elsewhere). */
  update(p: SweepProgress, force = false): void {
    const now = Date.now();
    const every = this.out.isTTY ? 100 : (this.options.everySec ?? 10) * 1000;
    if (!force && now - this.lastDraw < every) return;
    this.lastDraw = now;
    const text = progressText(p, (now - this.t0) / 1000, this.options.label ?? 'sweep');
    if (this.out.isTTY) {
      const width = Math.max(20, (this.out.columns || 80) - 1);
      this.out.write(`\r\x1b[2K${fitBar(p, text, width)}`);
      this.drawn = true;
    } else this.out.write(`${text}\n`);
  }

  /** The last count, then leave the line (a terminal's bar ends with a newline). */
  end(p: SweepProgress): void {
    this.update(p, true);
    if (this.out.isTTY && this.drawn) this.out.write('\n');
  }

  /** Clear the bar line (before printing something else on a terminal). */
  clear(): void {
    if (this.out.isTTY && this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}

/** `sweep 12/48 runs (25%), 3.2 runs/s, 11 s left, 0 failed` (the time left in whole seconds) */
export function progressText(p: SweepProgress, elapsedSec: number, label = 'sweep'): string {
  const rate = elapsedSec > 0 ? p.done / elapsedSec : 0;
  const left = rate > 0 ? (p.total - p.done) / rate : NaN;
  const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
  const skipped = p.skipped > 0 ? `, ${p.skipped} resumed` : '';
  return `${label} ${p.done}/${p.total} runs (${pct}%), ${rate.toFixed(rate < 10 ? 2 : 1)} runs/s, ${Number.isFinite(left) ? `${duration(Math.round(left) * 1000)} left` : 'time left unknown'}, ${p.failed} failed${skipped}`;
}

function fitBar(p: SweepProgress, text: string, width: number): string {
  const room = width - text.length - 3;
  if (room < 10) return text.slice(0, width);
  const n = Math.min(30, room);
  const full = p.total > 0 ? Math.round((n * p.done) / p.total) : n;
  return `[${'#'.repeat(full)}${'.'.repeat(n - full)}] ${text}`;
}
