// API tokens. Only a SHA-256 of each token is stored; the plaintext is shown once. A token has
// a name (the actor of what it does), a role, optionally a list of apps and an expiry; revoking
// keeps the row, so the name stays readable on the releases it made.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Role } from '../core/access.js';
import { BerthError } from '../core/errors.js';
import type { Db } from './database.js';

/** The owner of a presented token: what the API authorizes requests against. */
export interface TokenOwner {
  id: string;
  name: string;
  /** Kept for callers that name the acting user: the token's name. */
  user: string;
  role: Role;
  /** The apps it is limited to; null for every app. */
  apps: string[] | null;
  expiresAt: string | null;
}

/** A token as `tokens list` shows it: never its hash. */
export interface TokenRecord extends TokenOwner {
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
}

interface TokenRow {
  id: string;
  name: string;
  user_name: string;
  token_hash: string;
  role: Role;
  apps_json: string | null;
  expires_at: string | null;
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
}

/** last_used_at is written at most this often per token: a busy CI token costs no write per call. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class TokenStore {
  constructor(private readonly db: Db) {}

  /** Admin tokens that still work (neither revoked nor expired), `except` one of them by name. */
  countAdmins(options: { except?: string; now?: Date } = {}): number {
    const now = (options.now ?? new Date()).toISOString();
    return (
      this.db
        .prepare(
          `SELECT COUNT(*) AS n FROM tokens WHERE role = 'admin' AND revoked_at IS NULL
             AND (expires_at IS NULL OR expires_at > ?) AND name IS NOT ?`,
        )
        .get(now, options.except ?? null) as { n: number }
    ).n;
  }

  /** Creates a token and returns its plaintext, which is never stored. */
  create(
    name: string,
    options: {
      role?: Role;
      apps?: string[] | null;
      expiresAt?: string | null;
      createdBy?: string | null;
    } = {},
  ): string {
    const token = `berth_${randomBytes(32).toString('base64url')}`;
    const apps = options.apps && options.apps.length > 0 ? JSON.stringify([...new Set(options.apps)]) : null;
    try {
      this.db
        .prepare(
          `INSERT INTO tokens (id, name, user_name, token_hash, created_at, role, apps_json, expires_at, created_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          randomUUID(),
          name,
          name,
          hashToken(token),
          new Date().toISOString(),
          options.role ?? 'admin',
          apps,
          options.expiresAt ?? null,
          options.createdBy ?? null,
        );
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
      throw new BerthError('token_exists', `a token named ${name} already exists`, {
        hint: `Pick another name, or revoke it first: berth tokens revoke ${name}`,
      });
    }
    return token;
  }

  /** Forgets every token of a role (the metrics token is replaced whole). */
  removeRole(role: Role): void {
    this.db.prepare('DELETE FROM tokens WHERE role = ?').run(role);
  }

  /**
   * The owner of a presented token, or undefined when it is unknown, revoked or expired.
   *
   * Compared in constant time: an index lookup by hash would compare bytes with memcmp and stop
   * at the first difference. Hashing first already hides the token's own bytes, but rather than
   * argue that, the presented hash is compared with every live token's hash by
   * crypto.timingSafeEqual, without stopping at a match. Tokens are few (people and CI jobs), so
   * the scan costs microseconds; an id prefix in the token would avoid it but would change the
   * format of the admin token already written to <home>/credentials.
   */
  verify(token: string, now = new Date()): TokenOwner | undefined {
    const presented = Buffer.from(hashToken(token), 'hex');
    const rows = this.db.prepare('SELECT * FROM tokens WHERE revoked_at IS NULL').all() as TokenRow[];
    let found: TokenRow | undefined;
    for (const row of rows) {
      const stored = Buffer.from(row.token_hash, 'hex');
      if (stored.length === presented.length && timingSafeEqual(stored, presented)) found = row;
    }
    if (!found || expired(found, now)) return undefined;
    this.touch(found, now);
    return toOwner(found);
  }

  /** The owner of a token id (cookie sessions), undefined when revoked, expired or unknown. */
  owner(id: string, now = new Date()): TokenOwner | undefined {
    const row = this.db.prepare('SELECT * FROM tokens WHERE id = ? AND revoked_at IS NULL').get(id) as
      TokenRow | undefined;
    return row && !expired(row, now) ? toOwner(row) : undefined;
  }

  /** Every token not revoked, oldest first (the daemon's metrics token included). */
  list(): TokenRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM tokens WHERE revoked_at IS NULL ORDER BY created_at, rowid')
      .all() as TokenRow[];
    return rows.map((row) => ({
      ...toOwner(row),
      createdAt: row.created_at,
      createdBy: row.created_by,
      lastUsedAt: row.last_used_at,
    }));
  }

  /** The live token of that name. */
  byName(name: string): TokenRecord | undefined {
    return this.list().find((t) => t.name === name);
  }

  /** Revokes the live token of that name; true when there was one. */
  revoke(name: string, now = new Date()): boolean {
    return (
      this.db
        .prepare('UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL')
        .run(now.toISOString(), name).changes === 1
    );
  }

  private touch(row: TokenRow, now: Date): void {
    if (row.last_used_at && now.getTime() - Date.parse(row.last_used_at) < LAST_USED_RESOLUTION_MS) return;
    this.db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(now.toISOString(), row.id);
  }
}

function expired(row: TokenRow, now: Date): boolean {
  return row.expires_at !== null && Date.parse(row.expires_at) <= now.getTime();
}

function toOwner(row: TokenRow): TokenOwner {
  return {
    id: row.id,
    name: row.name,
    user: row.name,
    role: row.role,
    apps: row.apps_json === null ? null : (JSON.parse(row.apps_json) as string[]),
    expiresAt: row.expires_at,
  };
}
