// The rights decision as a table: role × right × app scope → allowed, or the missing right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accessRefusal,
  decideAccess,
  seesApp,
  type Access,
  type Grant,
  type Role,
} from '../../src/core/access.js';

const grant = (role: Role, apps: string[] | null = null): Grant => ({ name: 't', role, apps });

/** Expected: 'ok', or the right reported missing and why. */
type Expect = 'ok' | `role:${Access}` | `app:${Access}`;

const cases: Array<[Role, string[] | null, Access, string | undefined, Expect]> = [
  // public: anyone, even a metrics token
  ['metrics', null, 'public', undefined, 'ok'],
  ['viewer', ['a'], 'public', 'b', 'ok'],
  // token: any valid token (whoami)
  ['metrics', null, 'token', undefined, 'ok'],
  ['viewer', ['a'], 'token', undefined, 'ok'],
  // metrics: the metrics token, admins, readers of every app; not readers of some apps
  ['metrics', null, 'metrics', undefined, 'ok'],
  ['admin', null, 'metrics', undefined, 'ok'],
  ['viewer', null, 'metrics', undefined, 'ok'],
  ['deployer', null, 'metrics', undefined, 'ok'],
  ['viewer', ['a'], 'metrics', undefined, 'role:metrics'],
  ['deployer', ['a'], 'metrics', undefined, 'role:metrics'],
  // read
  ['admin', null, 'read', 'a', 'ok'],
  ['deployer', null, 'read', 'a', 'ok'],
  ['viewer', null, 'read', 'a', 'ok'],
  ['metrics', null, 'read', 'a', 'role:read'],
  ['viewer', ['a'], 'read', 'a', 'ok'],
  ['viewer', ['a'], 'read', 'b', 'app:read'],
  ['viewer', ['a'], 'read', undefined, 'ok'], // a listing: filtered, not refused
  // deploy
  ['admin', null, 'deploy', 'a', 'ok'],
  ['deployer', null, 'deploy', 'a', 'ok'],
  ['deployer', ['a', 'b'], 'deploy', 'b', 'ok'],
  ['deployer', ['a'], 'deploy', 'b', 'app:deploy'],
  ['deployer', ['a'], 'deploy', undefined, 'ok'], // an artifact upload: no app yet
  ['viewer', null, 'deploy', 'a', 'role:deploy'],
  ['viewer', ['a'], 'deploy', 'a', 'role:deploy'],
  ['metrics', null, 'deploy', undefined, 'role:deploy'],
  // admin
  ['admin', null, 'admin', 'a', 'ok'],
  ['admin', null, 'admin', undefined, 'ok'],
  ['deployer', null, 'admin', 'a', 'role:admin'],
  ['deployer', ['a'], 'admin', 'a', 'role:admin'],
  ['viewer', null, 'admin', undefined, 'role:admin'],
  ['metrics', null, 'admin', undefined, 'role:admin'],
];

for (const [role, apps, access, app, expect] of cases) {
  test(`access: ${role}${apps ? ` of ${apps.join(',')}` : ''} asking ${access}${app ? ` on ${app}` : ''} → ${expect}`, () => {
    const decision = decideAccess(grant(role, apps), access, app);
    if (expect === 'ok') {
      assert.deepEqual(decision, { allowed: true });
      return;
    }
    const [reason, missing] = expect.split(':');
    assert.equal(decision.allowed, false);
    if (decision.allowed) return;
    assert.equal(decision.reason, reason);
    assert.equal(decision.missing, missing);
    assert.equal(decision.app, app);
  });
}

test('access: listings show a limited token its apps, and no app-less events', () => {
  assert.equal(seesApp(grant('viewer'), 'x'), true);
  assert.equal(seesApp(grant('viewer'), null), true);
  assert.equal(seesApp(grant('viewer', ['a']), 'a'), true);
  assert.equal(seesApp(grant('viewer', ['a']), 'b'), false);
  assert.equal(seesApp(grant('viewer', ['a']), null), false);
});

test('access: a refusal is a 403 naming the token, the missing right and whom to ask', () => {
  const deployer = { name: 'ci', role: 'deployer' as const, apps: ['a'] };
  const other = decideAccess(deployer, 'deploy', 'b');
  assert.equal(other.allowed, false);
  if (other.allowed) return;
  const err = accessRefusal(deployer, other);
  assert.equal(err.status, 403);
  assert.equal(err.code, 'forbidden');
  assert.match(err.message, /token "ci" \(deployer of a\)/);
  assert.match(err.message, /deploy on app b/);
  assert.match(err.hint, /role deployer on app b/);
  assert.match(err.hint, /--app b/);

  const viewer = { name: 'eve', role: 'viewer' as const, apps: null };
  const admin = decideAccess(viewer, 'admin', undefined);
  if (admin.allowed) assert.fail('a viewer holds no admin right');
  assert.match(accessRefusal(viewer, admin).message, /token "eve" \(viewer\) lacks the admin right/);
  assert.match(accessRefusal(viewer, admin).hint, /role admin/);

  const metrics = { name: 'metrics', role: 'metrics' as const, apps: null };
  const read = decideAccess(metrics, 'read', undefined);
  if (read.allowed) assert.fail('the metrics token reads /metrics only');
  assert.match(accessRefusal(metrics, read).message, /the metrics token may only read GET \/metrics/);
});
