// Token names: they appear as the actor of events and the author of releases, and `tokens
// revoke NAME` finds a token by its name, so they are short, printable and unambiguous.
import { BerthError } from './errors.js';

const TOKEN_NAME = /^[a-z0-9]([a-z0-9._-]{0,62})$/;

export function assertTokenName(name: string): void {
  if (!TOKEN_NAME.test(name)) {
    throw new BerthError(
      'invalid_request',
      `${JSON.stringify(name.slice(0, 80))} is not a valid token name`,
      {
        hint: 'Use up to 63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit (e.g. ci-web or alice).',
      },
    );
  }
}
