// API tokens. Only a SHA-256 of each token is stored; the plaintext is shown once.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from './database.js';

/** What a token may do: everything (admin), or read GET /metrics only (metrics). */
export type TokenScope = 'admin' | 'metrics';

export interface TokenOwner {
  id: string;
  name: string;
  user: string;
  scope: TokenScope;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class TokenStore {
  constructor(private readonly db: Db) {}

  count(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM tokens WHERE scope = 'admin'").get() as { n: number })
      .n;
  }

  /** Creates a token and returns its plaintext, which is never stored. */
  create(name: string, user: string, scope: TokenScope = 'admin'): string {
    const token = `berth_${randomBytes(32).toString('base64url')}`;
    this.db
      .prepare(
        'INSERT INTO tokens (id, name, user_name, token_hash, created_at, scope) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(randomUUID(), name, user, hashToken(token), new Date().toISOString(), scope);
    return token;
  }

  /** Forgets every token of a scope (the metrics token is replaced whole). */
  removeScope(scope: TokenScope): void {
    this.db.prepare('DELETE FROM tokens WHERE scope = ?').run(scope);
  }

  /** The owner of a presented token, or undefined when it is not one of ours. */
  verify(token: string): TokenOwner | undefined {
    const row = this.db
      .prepare('SELECT id, name, user_name, scope FROM tokens WHERE token_hash = ?')
      .get(hashToken(token)) as
      { id: string; name: string; user_name: string; scope: TokenScope } | undefined;
    return row && { id: row.id, name: row.name, user: row.user_name, scope: row.scope };
  }

  /** The owner of a token by its id (a dashboard session's), or undefined when it is gone. */
  owner(id: string): TokenOwner | undefined {
    const row = this.db.prepare('SELECT id, name, user_name, scope FROM tokens WHERE id = ?').get(id) as
      { id: string; name: string; user_name: string; scope: TokenScope } | undefined;
    return row && { id: row.id, name: row.name, user: row.user_name, scope: row.scope };
  }
}
