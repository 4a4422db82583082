// Flags that take a duration ("30s", "5m", "1h", or bare seconds), checked against bounds.
import { parseDuration } from '../core/config/duration.js';
import { BerthError } from '../core/errors.js';

/** A commander argument parser for a duration flag; returns milliseconds. */
export function durationFlag(flag: string, minMs: number, maxMs: number): (text: string) => number {
  return (text) => {
    const ms = parseDuration(text, 's');
    if (ms === undefined || ms < minMs || ms > maxMs) {
      throw new BerthError(
        'invalid_request',
        `${flag} "${text}" is not a duration between ${minMs / 1000}s and ${maxMs / 1000}s`,
        {
          hint: 'Use a duration like 30s, 5m or 1h (a bare number means seconds).',
        },
      );
    }
    return ms;
  };
}
