import { UsageError } from '../usage-error.js';

/**
 * A yargs `coerce` for a count flag: a whole number from `min` up, or a usage error naming the
 * flag and what it got, raised while parsing, so a bad value never reaches a job.
 */
export function wholeNumber(flag: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: unknown) => number | undefined {
  return (value) => {
    if (value === undefined) return undefined;
    // A flag given twice arrives as an array: the last one wins, as for every other option.
    const raw = Array.isArray(value) ? value.at(-1) : value;
    const text = String(raw).trim();
    const parsed = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
      throw new UsageError(`--${flag} must be a whole number ${range}, not "${text}"`);
    }
    return parsed;
  };
}
