// kill_signal as the Engine's kill API takes it: a full signal name the host knows.
import { constants as osConstants } from 'node:os';
import { BerthError } from '../../core/errors.js';

/** Accepts "SIGTERM", "sigterm" or "TERM"; refuses what the OS does not know. */
export function signalName(name: string): string {
  const upper = name.trim().toUpperCase();
  const full = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (!(full in osConstants.signals)) {
    throw new BerthError('internal', `unknown signal ${JSON.stringify(name)}`, {
      hint: 'Use a signal name such as SIGINT or SIGTERM for kill_signal.',
    });
  }
  return full;
}
