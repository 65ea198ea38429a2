/**
 * Errors and rejected-input records. Bad input never crashes a read and never vanishes:
 * a reader that cannot use a line hands a {@link RejectRecord} to its {@link RejectSink}
 * and goes on; the record names the file, the line and the field.
 */

/** Base class of the toolkit's own errors; `code` is stable for programs to match on. */
export class OfiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'OfiError';
  }
}

/** A problem with something the user gave: a missing file, an unknown format, a bad flag or value. */
export class UserInputError extends OfiError {
  constructor(message: string, code = 'E_INPUT') {
    super(message, code);
    this.name = 'UserInputError';
  }
}

/** Why a line of input was refused. */
export type RejectReason = 'bad-json' | 'missing-field' | 'bad-number' | 'bad-value' | 'unknown-message' | 'bad-row';

/** One refused line of input, with enough to find and fix it. */
export interface RejectRecord {
  /** The file as given by the user (or `file.zip:entry.csv`). */
  file: string;
  /** 1-based line number in that file. */
  line: number;
  reason: RejectReason;
  /** The offending field, dotted (`data.p`), when one is to blame. */
  field?: string;
  /** A human explanation: what was found and what was expected. */
  message: string;
  /** The source line as read (truncated to a few kilobytes). */
  text: string;
}

/** Where readers send refused lines. */
export type RejectSink = (rec: RejectRecord) => void;

/** Longest source text kept in a reject record. */
export const REJECT_TEXT_MAX = 4096;

/** Build a reject record, truncating the source text. */
export function rejectRecord(
  file: string,
  line: number,
  reason: RejectReason,
  message: string,
  text: string,
  field?: string,
): RejectRecord {
  const rec: RejectRecord = { file, line, reason, message, text: text.length > REJECT_TEXT_MAX ? text.slice(0, REJECT_TEXT_MAX) : text };
  if (field !== undefined) rec.field = field;
  return rec;
}

/** One line naming a reject: `file:line: field: message`. */
export function formatReject(rec: RejectRecord): string {
  return `${rec.file}:${rec.line}: ${rec.field ? `${rec.field}: ` : ''}${rec.message}`;
}
