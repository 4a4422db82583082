// Dashboard sessions against a real SQLite file (expiry, a token's removal ending its
// sessions), the cookie's parsing and attributes, the CSRF check and the login limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError } from '../../src/core/errors.js';
import { sessionCookie, sessionCookieValue } from '../../src/api/dashboard/cookies.js';
import { LoginLimit } from '../../src/api/dashboard/login-limit.js';
import { DashboardAuth } from '../../src/api/dashboard/session-auth.js';
import { Store } from '../../src/store/store.js';

function withStore(fn: (store: Store) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'berth-dashboard-'));
  const store = new Store(join(dir, 'berth.db'));
  try {
    fn(store);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function request(method: string, headers: Record<string, string>): IncomingMessage {
  return { method, headers } as unknown as IncomingMessage;
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isBerthError(err));
    return err.code;
  }
  return 'none';
}

test('the session cookie is found among others, and only by its exact name', () => {
  const cases: [string | undefined, string | undefined][] = [
    [undefined, undefined],
    ['', undefined],
    ['berth_session=abc', 'abc'],
    ['theme=dark; berth_session=abc; other=1', 'abc'],
    ['xberth_session=abc', undefined],
    ['berth_session=', undefined],
    ['berth_sessions=abc', undefined],
  ];
  for (const [header, expected] of cases) assert.equal(sessionCookieValue(header), expected, String(header));
});

test('the cookie is HttpOnly, SameSite=Strict and Path=/, and Secure over TLS only', () => {
  assert.equal(
    sessionCookie('v', { maxAgeSeconds: 60, secure: false }),
    'berth_session=v; HttpOnly; SameSite=Strict; Path=/; Max-Age=60',
  );
  assert.match(sessionCookie('v', { maxAgeSeconds: 60, secure: true }), /; Secure$/);
});

test('a session is found by its cookie value until it expires; only a hash is stored', () => {
  withStore((store) => {
    store.tokens.create('alice', { role: 'viewer' });
    const token = store.db.prepare('SELECT id FROM tokens').get() as { id: string };
    const now = Date.parse('2026-12-01T10:00:00Z');
    const { id, session } = store.dashboardSessions.create(token.id, 60_000, now);
    assert.equal(store.dashboardSessions.find(id, now + 59_999)?.csrf, session.csrf);
    assert.equal(store.dashboardSessions.find(id, now + 60_000), undefined);
    assert.equal(store.dashboardSessions.find('other', now), undefined);
    const stored = store.db.prepare('SELECT * FROM dashboard_sessions').all();
    assert.equal(JSON.stringify(stored).includes(id), false);
  });
});

test('cookie auth: reads need no CSRF header, writes need the session value, a revoked token ends it', () => {
  withStore((store) => {
    store.tokens.create('alice', { role: 'viewer' });
    const token = store.db.prepare('SELECT id FROM tokens').get() as { id: string };
    const { id, session } = store.dashboardSessions.create(token.id, 60_000);
    const auth = new DashboardAuth(store.dashboardSessions, store.tokens);
    const cookie = `berth_session=${id}`;
    assert.equal(auth.owner(request('GET', {})), undefined);
    assert.equal(auth.owner(request('GET', { cookie }))?.id, token.id);
    assert.equal(auth.owner(request('HEAD', { cookie }))?.id, token.id);
    assert.equal(
      refusal(() => auth.owner(request('POST', { cookie }))),
      'csrf',
    );
    assert.equal(
      refusal(() => auth.owner(request('DELETE', { cookie, 'x-berth-csrf': 'x' }))),
      'csrf',
    );
    assert.equal(auth.owner(request('POST', { cookie, 'x-berth-csrf': session.csrf }))?.id, token.id);
    assert.equal(
      refusal(() => auth.owner(request('GET', { cookie: 'berth_session=unknown' }))),
      'unauthorized',
    );
    store.tokens.revoke('alice');
    assert.equal(
      refusal(() => auth.owner(request('GET', { cookie }))),
      'unauthorized',
    );
  });
});

test('the login limit allows ten failures a minute per address', () => {
  const limit = new LoginLimit(10, 60_000);
  for (let i = 0; i < 10; i++) {
    assert.equal(limit.allows('a', 1000 + i), true);
    limit.failed('a', 1000 + i);
  }
  assert.equal(limit.allows('a', 1010), false);
  assert.equal(limit.allows('b', 1010), true);
  assert.equal(limit.allows('a', 61_000), true);
});
