// Flags that take a whole number, checked against bounds before anything is sent.
import { BerthError } from '../core/errors.js';

/** A commander argument parser for a whole-number flag in [min, max]. */
export function integerFlag(flag: string, min: number, max: number): (text: string) => number {
  return (text) => {
    const value = /^\s*\d{1,15}\s*$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new BerthError(
        'invalid_request',
        `${flag} "${text}" is not a whole number from ${min} to ${max}`,
        {
          hint: `Pass ${flag} N with N from ${min} to ${max}.`,
        },
      );
    }
    return value;
  };
}
