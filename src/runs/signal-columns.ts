/**
 * How a {@link Signal} is stored: one column per field of `SIGNAL_FIELDS`, each with a kind
 * that fixes its JSON form, its SQLite type and how a stored value is checked on the way back.
 * The JSONL and SQLite signal sinks share this table, so the two files of one run hold the
 * same rows.
 *
 * Numbers: JSON has no NaN or Infinity, so a non-finite number is stored as `null` (JSON
 * `null`, SQL `NULL`) and read back as `NaN`; `-0` is stored as `0` (what `JSON.stringify`
 * writes and what SQLite keeps). Finite numbers round-trip exactly (`JSON.stringify` writes
 * the shortest text that parses back to the same double; SQLite `REAL` is a double).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8259#section-6 (JSON numbers: no NaN, no Infinity)
 * @see https://www.sqlite.org/datatype3.html (type affinity: INTEGER, REAL, TEXT)
 */
import { DIVERGENCE_TYPES } from '../microstructure/divergence.js';
import type { FusionSide } from '../microstructure/fusion-options.js';
import { SIGNAL_FIELDS, SIGNAL_TYPES, type Signal } from '../signals/types.js';

/**
 * What a column holds: `int` an integer that must be present (the sequence number), `num` a
 * number (null = NaN), `text` a string, `bool` a boolean (SQLite 0/1), `list` an array of
 * strings (SQLite: its JSON text), `enum`/`enum?` one of `values` (`enum?` also null).
 */
export type SignalColumnKind = 'int' | 'num' | 'text' | 'bool' | 'list' | 'enum' | 'enum?';

/** One stored column of a signal. */
export interface SignalColumn {
  name: (typeof SIGNAL_FIELDS)[number];
  kind: SignalColumnKind;
  /** Declared SQLite type (its affinity). */
  sql: 'INTEGER' | 'REAL' | 'TEXT';
  /** Allowed values of an `enum`/`enum?` column. */
  values?: readonly string[];
}

const FUSION_SIDES: readonly FusionSide[] = ['buy', 'sell', 'neutral'];

const KINDS: Record<(typeof SIGNAL_FIELDS)[number], Omit<SignalColumn, 'name'>> = {
  seq: { kind: 'int', sql: 'INTEGER' },
  // INTEGER affinity still keeps a fractional millisecond (LOBSTER times) as REAL, losslessly
  ts_ms: { kind: 'num', sql: 'INTEGER' },
  symbol: { kind: 'text', sql: 'TEXT' },
  signal_type: { kind: 'enum', sql: 'TEXT', values: SIGNAL_TYPES },
  confirm: { kind: 'bool', sql: 'INTEGER' },
  score: { kind: 'num', sql: 'REAL' },
  gating_blocked: { kind: 'bool', sql: 'INTEGER' },
  gating_reasons: { kind: 'list', sql: 'TEXT' },
  strategy_mode: { kind: 'text', sql: 'TEXT' },
  z_ofi: { kind: 'num', sql: 'REAL' },
  z_cvd: { kind: 'num', sql: 'REAL' },
  fusion_score: { kind: 'num', sql: 'REAL' },
  fusion_side: { kind: 'enum', sql: 'TEXT', values: FUSION_SIDES },
  fusion_consistency: { kind: 'num', sql: 'REAL' },
  divergence_type: { kind: 'enum?', sql: 'TEXT', values: DIVERGENCE_TYPES },
  divergence_strength: { kind: 'num', sql: 'REAL' },
  fp: { kind: 'text', sql: 'TEXT' },
  config_hash: { kind: 'text', sql: 'TEXT' },
  run_id: { kind: 'text', sql: 'TEXT' },
};

/** The stored columns, in `SIGNAL_FIELDS` order. */
export const SIGNAL_COLUMNS: readonly SignalColumn[] = SIGNAL_FIELDS.map((name) => ({ name, ...KINDS[name] }));

/** A number as stored: finite numbers as they are (`-0` as `0`), anything else as null. */
export function storedNumber(x: number): number | null {
  return Number.isFinite(x) ? (x === 0 ? 0 : x) : null;
}

/**
 * One signal as a JSONL line (with its `\n`): fields in `SIGNAL_FIELDS` order, written by
 * `JSON.stringify` (numbers as `Number::toString`, `-0` as `0`, NaN and ±Infinity as `null`),
 * so the same signal always gives the same bytes. The object literal lists the fields by hand:
 * one fixed shape is what keeps V8's stringify on its fast path (a keyed loop was 2–3× slower);
 * a test holds the order to `SIGNAL_FIELDS`.
 */
export function signalJsonLine(s: Signal): string {
  return (
    JSON.stringify({
      seq: s.seq,
      ts_ms: s.ts_ms,
      symbol: s.symbol,
      signal_type: s.signal_type,
      confirm: s.confirm,
      score: s.score,
      gating_blocked: s.gating_blocked,
      gating_reasons: s.gating_reasons,
      strategy_mode: s.strategy_mode,
      z_ofi: s.z_ofi,
      z_cvd: s.z_cvd,
      fusion_score: s.fusion_score,
      fusion_side: s.fusion_side,
      fusion_consistency: s.fusion_consistency,
      divergence_type: s.divergence_type,
      divergence_strength: s.divergence_strength,
      fp: s.fp,
      config_hash: s.config_hash,
      run_id: s.run_id,
    } satisfies Record<(typeof SIGNAL_FIELDS)[number], unknown>) + '\n'
  );
}

/** Why a stored value is not a valid signal field: the field and what was expected. */
export interface SignalFieldProblem {
  field: string;
  message: string;
}

/**
 * A signal from its stored values (`get(column, index)` gives the value as JSON or SQLite gave it),
 * or the first field that is not what its column holds. `sqlite` says booleans are 0/1 and
 * lists are JSON text.
 */
export function decodeSignal(get: (c: SignalColumn, i: number) => unknown, sqlite: boolean): Signal | SignalFieldProblem {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < SIGNAL_COLUMNS.length; i++) {
    const c = SIGNAL_COLUMNS[i]!;
    const v = get(c, i);
    const bad = (expected: string): SignalFieldProblem => ({ field: c.name, message: `${c.name} is ${describe(v)}; expected ${expected}` });
    switch (c.kind) {
      case 'int':
        if (typeof v !== 'number' || !Number.isInteger(v)) return bad('an integer');
        out[c.name] = v;
        break;
      case 'num':
        if (v === null) out[c.name] = Number.NaN;
        else if (typeof v === 'number') out[c.name] = v;
        else return bad('a number or null');
        break;
      case 'text':
        if (typeof v !== 'string') return bad('a string');
        out[c.name] = v;
        break;
      case 'bool':
        if (sqlite ? v !== 0 && v !== 1 : typeof v !== 'boolean') return bad(sqlite ? '0 or 1' : 'true or false');
        out[c.name] = sqlite ? v === 1 : v;
        break;
      case 'list': {
        let list = v;
        if (sqlite && typeof v === 'string') {
          try {
            list = JSON.parse(v);
          } catch {
            return bad('a JSON array of strings');
          }
        }
        if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) return bad('an array of strings');
        out[c.name] = list;
        break;
      }
      case 'enum':
      case 'enum?':
        if (v === null && c.kind === 'enum?') out[c.name] = null;
        else if (typeof v === 'string' && c.values!.includes(v)) out[c.name] = v;
        else return bad(`one of ${c.values!.join(', ')}${c.kind === 'enum?' ? ' or null' : ''}`);
        break;
    }
  }
  return out as unknown as Signal;
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
