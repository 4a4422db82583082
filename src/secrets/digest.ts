// Digests that tell secrets apart without revealing them: an HMAC keyed by the app's data key,
// so even a short value cannot be found by hashing guesses.
import { createHmac } from 'node:crypto';

const SHOWN_HEX = 12;

/** A secret's digest as `secrets list` shows it. */
export function secretDigest(dataKey: Buffer, name: string, value: Buffer): string {
  return createHmac('sha256', dataKey)
    .update(`secret\0${name}\0`)
    .update(value)
    .digest('hex')
    .slice(0, SHOWN_HEX);
}

/** The digest of a whole secret set (name → digest), recorded on each release; null when empty. */
export function secretSetDigest(dataKey: Buffer, digests: Record<string, string>): string | null {
  const names = Object.keys(digests).sort();
  if (names.length === 0) return null;
  const hmac = createHmac('sha256', dataKey).update('set\0');
  for (const name of names) hmac.update(`${name}=${digests[name]}\n`);
  return hmac.digest('hex').slice(0, SHOWN_HEX);
}
