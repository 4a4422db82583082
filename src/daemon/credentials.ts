// The admin token named `admin`, created on the daemon's first start. The database keeps only
// its hash; the plaintext is written once to <home>/credentials with mode 0600.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { TokenStore } from '../store/tokens.js';

export function ensureAdminToken(tokens: TokenStore, credentialsFile: string): { created: boolean } {
  // None left that works (the last expired): a new one, so the home's owner is never locked out.
  if (tokens.countAdmins() > 0) return { created: false };
  const token = tokens.create('admin', { role: 'admin' });
  writeFileSync(credentialsFile, `${token}\n`, { mode: 0o600 });
  chmodSync(credentialsFile, 0o600);
  return { created: true };
}

/**
 * The read-only metrics token (GET /metrics and nothing else), for a Prometheus server's
 * `credentials_file`: kept in <home>/metrics-token (0600), made on first start and made
 * again when that file is gone or no longer matches.
 */
export function ensureMetricsToken(tokens: TokenStore, file: string): { created: boolean } {
  const existing = readCredentials(file);
  if (existing !== undefined && tokens.verify(existing)?.role === 'metrics') return { created: false };
  tokens.removeRole('metrics');
  const token = tokens.create('metrics', { role: 'metrics' });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { created: true };
}

export function readCredentials(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const token = readFileSync(file, 'utf8').trim();
  return token || undefined;
}
