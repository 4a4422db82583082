// A release version as people type it: "v3" or "3".
import { BerthError } from '../core/errors.js';

export function parseVersionArg(text: string): number {
  const match = /^v?(\d{1,15})$/.exec(text);
  if (!match || Number(match[1]) < 1) {
    throw new BerthError('invalid_request', `"${text}" is not a release version`, {
      hint: 'Name a release like v3 (or 3); `berth releases` lists them.',
    });
  }
  return Number(match[1]);
}
