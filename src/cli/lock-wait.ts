// `--lock-wait DURATION`: how long a deploy waits for the app's deploy lock.
import { parseDuration } from '../core/config/duration.js';
import { BerthError } from '../core/errors.js';

const MAX_LOCK_WAIT_MS = 3_600_000;

/** Milliseconds from "30s", "5m", "1h" or bare seconds; at most an hour. */
export function parseLockWait(text: string): number {
  const ms = parseDuration(text, 's');
  if (ms === undefined || ms > MAX_LOCK_WAIT_MS) {
    throw new BerthError('invalid_request', `--lock-wait "${text}" is not a duration of at most 1h`, {
      hint: 'Use a duration like 30s, 5m or 1h (a bare number means seconds).',
    });
  }
  return ms;
}
