/**
 * Allocation-free scanning of unquoted CSV lines: Binance dump CSVs and LOBSTER files hold only
 * numbers and `true`/`false`, never quotes or embedded commas, so a line is cut at its commas
 * into a reused offset buffer and each field is parsed in place from its character codes.
 *
 * The scanners accept exactly the text the matching zod schemas of `core/wire.ts` accept
 * (`Decimal`, `UIntText`, `IntText`, `BoolText`, `SecondsText`): the fast path and the schema
 * that explains a refused line must agree, and `test/io/csv-fields.test.ts` checks they do.
 *
 * Decimals are converted with Clinger's fast path: a mantissa of at most 15 digits and a power
 * of ten up to 10^22 are both exact doubles, so one IEEE division gives the correctly rounded
 * value, the same double `Number(text)` gives. Longer or exponent forms go to `Number`.
 * @see W. D. Clinger, "How to read floating point numbers accurately", PLDI 1990.
 */
import { DECIMAL_RE } from '../core/wire.js';

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_FAST_DIGITS = 15;

/**
 * A decimal field (`-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?`) of `s[a, b)` as a number, `NaN` if the
 * text is not one.
 */
export function scanDecimal(s: string, a: number, b: number): number {
  let i = a;
  let neg = false;
  if (i < b && s.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  let m = 0;
  let digits = 0;
  let frac = 0;
  let dot = false;
  for (; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (dot) frac++;
    } else if (c === 46 && !dot) {
      dot = true;
    } else if (c === 101 || c === 69) {
      return slowDecimal(s, a, b);
    } else {
      return Number.NaN;
    }
  }
  if (digits === 0) return Number.NaN;
  if (digits > MAX_FAST_DIGITS) return Number(s.slice(a, b));
  const v = frac === 0 ? m : m / POW10[frac]!;
  return neg ? -v : v;
}

function slowDecimal(s: string, a: number, b: number): number {
  const t = s.slice(a, b);
  return DECIMAL_RE.test(t) ? Number(t) : Number.NaN;
}

/** An unsigned integer field (`\d+`) of `s[a, b)`, `NaN` if the text is not one. */
export function scanUInt(s: string, a: number, b: number): number {
  if (a >= b) return Number.NaN;
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return Number.NaN;
    v = v * 10 + (c - 48);
  }
  return b - a > MAX_FAST_DIGITS ? Number(s.slice(a, b)) : v;
}

/** A signed integer field (`-?\d+`) of `s[a, b)`, `NaN` if the text is not one. */
export function scanInt(s: string, a: number, b: number): number {
  if (a < b && s.charCodeAt(a) === 45) return -scanUInt(s, a + 1, b);
  return scanUInt(s, a, b);
}

/** A boolean field as Binance dumps write it (`true`, `false`, `True`, `False`): 1, 0, or −1 if neither. */
export function scanBool(s: string, a: number, b: number): number {
  const n = b - a;
  const c0 = s.charCodeAt(a);
  if (n === 4 && (c0 === 116 || c0 === 84) && s.startsWith('rue', a + 1)) return 1;
  if (n === 5 && (c0 === 102 || c0 === 70) && s.startsWith('alse', a + 1)) return 0;
  return -1;
}

/**
 * Seconds after midnight with an optional fraction (`\d+(\.\d+)?`, LOBSTER's time column) as
 * milliseconds, `NaN` if the text is not one. The integer seconds and the fraction are
 * converted apart, so nanosecond fractions of a day survive to the last bits of the double.
 */
export function scanSecondsToMs(s: string, a: number, b: number): number {
  let i = a;
  let sec = 0;
  for (; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) break;
    if (c < 48 || c > 57) return Number.NaN;
    sec = sec * 10 + (c - 48);
  }
  if (i === a) return Number.NaN;
  if (i === b) return sec * 1000;
  i++; // the dot
  if (i === b) return Number.NaN;
  let f = 0;
  let k = 0;
  for (; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return Number.NaN;
    if (k < MAX_FAST_DIGITS) {
      f = f * 10 + (c - 48);
      k++;
    }
  }
  const fracMs = k <= 3 ? f * POW10[3 - k]! : f / POW10[k - 3]!;
  return sec * 1000 + fracMs;
}

/**
 * The comma-separated fields of one line, as offsets into it, in a buffer reused from line to
 * line. `start(i)`/`end(i)` bound field `i`; the typed getters parse it in place.
 */
export class CsvFields {
  private ends = new Int32Array(64);
  /** Fields in the current line (an empty line has one empty field). */
  count = 0;
  /** The current line. */
  line = '';

  /** Cut a line at its commas; returns the field count. */
  split(line: string): number {
    this.line = line;
    let n = 0;
    let pos = 0;
    for (;;) {
      if (n === this.ends.length) {
        const next = new Int32Array(n * 2);
        next.set(this.ends);
        this.ends = next;
      }
      const c = line.indexOf(',', pos);
      if (c < 0) {
        this.ends[n++] = line.length;
        break;
      }
      this.ends[n++] = c;
      pos = c + 1;
    }
    this.count = n;
    return n;
  }

  start(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]! + 1;
  }

  end(i: number): number {
    return this.ends[i]!;
  }

  /** Field `i` as a string (allocates: for error messages and rare paths). */
  text(i: number): string {
    return this.line.slice(this.start(i), this.end(i));
  }

  decimal(i: number): number {
    return scanDecimal(this.line, this.start(i), this.ends[i]!);
  }

  uint(i: number): number {
    return scanUInt(this.line, this.start(i), this.ends[i]!);
  }

  int(i: number): number {
    return scanInt(this.line, this.start(i), this.ends[i]!);
  }

  bool(i: number): number {
    return scanBool(this.line, this.start(i), this.ends[i]!);
  }

  secondsToMs(i: number): number {
    return scanSecondsToMs(this.line, this.start(i), this.ends[i]!);
  }
}
