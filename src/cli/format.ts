/** Small text helpers shared by the commands' human output. */
import { InvalidArgumentError } from 'commander';

export { duration, num, table } from '../core/text.js';

/** A commander argument parser for a positive integer, with a message naming what was expected. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}

/** A commander argument parser for a positive number. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${value}'`);
  return n;
}

export { samplePaths } from '../io/sample.js';
