// Query parameters, read strictly: a value that is not what the endpoint takes is a 400 naming
// the parameter and what it accepts, never silently read as a default.
import { BerthError } from '../core/errors.js';

/** A whole number in [min, max] written in decimal digits, or `fallback` when absent. */
export function queryInteger(
  query: URLSearchParams,
  name: string,
  range: { min: number; max: number; fallback: number },
): number {
  const text = query.get(name);
  if (text === null) return range.fallback;
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isSafeInteger(value) && value >= range.min && value <= range.max) return value;
  throw new BerthError(
    'invalid_request',
    `query parameter ${name}=${shown(text)} is not a whole number from ${range.min} to ${range.max}`,
    { hint: `Pass ?${name}=N with N from ${range.min} to ${range.max}, or leave it out.` },
  );
}

/** `1`/`true` or `0`/`false`; absent is false. */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const text = query.get(name);
  if (text === null || text === '0' || text === 'false') return false;
  if (text === '1' || text === 'true') return true;
  throw new BerthError('invalid_request', `query parameter ${name}=${shown(text)} is not a boolean`, {
    hint: `Pass ?${name}=1 (or true), or leave it out.`,
  });
}

/** Outside input in a message: quoted and cut short. */
function shown(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}
