/**
 * When a standing condition is signalled: the de-duplication and cooldown of `CoreAlgorithm`.
 * A score above the buy threshold for thirty seconds is one buy, not ten thousand (one per
 * update); yet a consumer that missed it, or a condition that has grown stronger, must hear of
 * it again. The rule, per symbol, for a directional reading at time `t` (direction ±1, level
 * 1 normal or 2 strong, actionable = confirmed and not gated):
 *
 * 1. nothing emitted yet in a direction → **emit** (entering a state);
 * 2. direction differs from the last emitted one → **emit** (a change of signal type);
 * 3. `t − t_last ≥ cooldown` → **emit** (still in force after a cooldown; also a fresh entry
 *    after one);
 * 4. same direction, within the cooldown: **emit** only an upgrade — level and actionability
 *    both at least the last emitted ones' and one of them higher (normal → strong, gated or
 *    unconfirmed → actionable); a downgrade or the same reading is suppressed.
 *
 * So within one cooldown a direction yields at most three signals (e.g. buy gated → buy
 * actionable → strong buy actionable), and a reading that does not change yields one.
 * Falling back inside the thresholds (neutral) resets nothing: a score flickering around a
 * threshold is one signal per cooldown. Gated signals go through the same rule.
 */

/** The last directional signal emitted for one symbol, and the rule's state. */
export class EmissionRule {
  /** Direction of the last directional signal emitted: +1, −1, or 0 when none yet. */
  dir = 0;
  level = 0;
  actionable = false;
  ts = -Infinity;

  constructor(readonly cooldownMs: number) {}

  /** Whether a directional reading at `ts` is emitted (see the module comment). Records it when it is. */
  offer(ts: number, dir: number, level: number, actionable: boolean): boolean {
    if (!this.admits(ts, dir, level, actionable)) return false;
    this.dir = dir;
    this.level = level;
    this.actionable = actionable;
    this.ts = ts;
    return true;
  }

  /** The rule without recording. */
  admits(ts: number, dir: number, level: number, actionable: boolean): boolean {
    if (this.dir === 0 || dir !== this.dir || ts - this.ts >= this.cooldownMs) return true;
    const a = actionable ? 1 : 0;
    const b = this.actionable ? 1 : 0;
    return level >= this.level && a >= b && (level > this.level || a > b);
  }

  reset(): void {
    this.dir = 0;
    this.level = 0;
    this.actionable = false;
    this.ts = -Infinity;
  }
}
