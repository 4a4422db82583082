// The per-app deploy lock as a record, and how to explain it. A holder keeps it alive by
// renewing expiresAt (heartbeat); a holder that died stops renewing, so its lock expires and
// the next deploy may take it over instead of waiting for a human.
import { formatDuration } from './config/duration.js';

export interface DeployLock {
  app: string;
  /** Who holds it: a deployment id ("12") or free text ("ghost", "cli on host-a"). */
  owner: string;
  /** The user the holder acts for. */
  user: string;
  acquiredAt: string;
  heartbeatAt: string;
  expiresAt: string;
}

type Instant = Date | number;

const ms = (t: Instant | string): number =>
  typeof t === 'string' ? Date.parse(t) : typeof t === 'number' ? t : t.getTime();

export function isLockExpired(lock: DeployLock, now: Instant): boolean {
  return ms(lock.expiresAt) <= ms(now);
}

/** "deployment 12" for a numeric owner, else the owner as written. */
export function describeOwner(owner: string): string {
  return /^\d+$/.test(owner) ? `deployment ${owner}` : owner;
}

/**
 * One line for people: "held by admin (deployment 12) since 2026-11-23T09:14:49Z, 42s ago;
 * expires in 88s unless renewed".
 */
export function describeLock(lock: DeployLock, now: Instant): string {
  const at = ms(now);
  const held = `held by ${lock.user} (${describeOwner(lock.owner)}) since ${isoSeconds(lock.acquiredAt)}, ${ago(at - ms(lock.acquiredAt))}`;
  const left = ms(lock.expiresAt) - at;
  if (left > 0) return `${held}; expires in ${seconds(left)} unless renewed`;
  return `${held}; expired ${ago(-left)} (its holder stopped renewing it), so the next deploy takes it over`;
}

function isoSeconds(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

// Whole seconds, rounded up so "expires in 0s" never shows while it still holds.
function seconds(deltaMs: number): string {
  return formatDuration(Math.max(0, Math.ceil(deltaMs / 1000)) * 1000);
}

function ago(deltaMs: number): string {
  const text = formatDuration(Math.max(0, Math.floor(deltaMs / 1000)) * 1000);
  return text === '0s' ? 'just now' : `${text} ago`;
}
