// Dashboard sessions: a browser's cookie exchanged for a token at login. Only a SHA-256 of the
// cookie's value is stored, so a copy of berth.db opens no session; rows outlive a daemon
// restart and go with their token (ON DELETE CASCADE) or when they expire.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './database.js';

export interface DashboardSession {
  tokenId: string;
  /** The value a cookie-authenticated write must carry in x-berth-csrf. */
  csrf: string;
  expiresAt: string;
}

function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

export class DashboardSessionStore {
  constructor(private readonly db: Db) {}

  /** Opens a session for a token; returns the cookie's value (never stored) and the session. */
  create(tokenId: string, ttlMs: number, now = Date.now()): { id: string; session: DashboardSession } {
    this.prune(now);
    const id = randomBytes(32).toString('base64url');
    const session = {
      tokenId,
      csrf: randomBytes(24).toString('base64url'),
      expiresAt: new Date(now + ttlMs).toISOString(),
    };
    this.db
      .prepare(
        'INSERT INTO dashboard_sessions (id_hash, token_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(hashSessionId(id), tokenId, session.csrf, new Date(now).toISOString(), session.expiresAt);
    return { id, session };
  }

  /** The live session a cookie's value names, or undefined (unknown, or expired). */
  find(id: string, now = Date.now()): DashboardSession | undefined {
    const row = this.db
      .prepare('SELECT token_id, csrf, expires_at FROM dashboard_sessions WHERE id_hash = ?')
      .get(hashSessionId(id)) as { token_id: string; csrf: string; expires_at: string } | undefined;
    if (!row || Date.parse(row.expires_at) <= now) return undefined;
    return { tokenId: row.token_id, csrf: row.csrf, expiresAt: row.expires_at };
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM dashboard_sessions WHERE id_hash = ?').run(hashSessionId(id));
  }

  /** Ends every session of a token (it was revoked). */
  removeForToken(tokenId: string): void {
    this.db.prepare('DELETE FROM dashboard_sessions WHERE token_id = ?').run(tokenId);
  }

  private prune(now: number): void {
    this.db.prepare('DELETE FROM dashboard_sessions WHERE expires_at <= ?').run(new Date(now).toISOString());
  }
}
