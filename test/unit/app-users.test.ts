import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FIRST_APP_UID,
  LAST_APP_UID,
  MemoryAppUsers,
  uidForApp,
} from '../../src/drivers/process/app-users.js';
import { Store } from '../../src/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-app-users-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('app uids: the lowest free uid of the range, never one the host has, stable per app', () => {
  const cases: Array<{ host: number[]; given: Record<string, number>; app: string; want: number }> = [
    { host: [], given: {}, app: 'a', want: FIRST_APP_UID },
    { host: [FIRST_APP_UID], given: {}, app: 'a', want: FIRST_APP_UID + 1 },
    { host: [], given: { a: FIRST_APP_UID }, app: 'b', want: FIRST_APP_UID + 1 },
    { host: [FIRST_APP_UID + 1], given: { a: FIRST_APP_UID }, app: 'b', want: FIRST_APP_UID + 2 },
    // An app keeps its uid, even one the host has since given to an account.
    { host: [FIRST_APP_UID + 5], given: { a: FIRST_APP_UID + 5 }, app: 'a', want: FIRST_APP_UID + 5 },
  ];
  for (const c of cases) {
    const registry = new MemoryAppUsers();
    for (const [app, uid] of Object.entries(c.given)) registry.claim(app, uid);
    assert.equal(
      uidForApp(registry, c.app, (uid) => c.host.includes(uid)),
      c.want,
      JSON.stringify(c),
    );
    assert.equal(registry.uidOf(c.app), c.want);
  }
});

test('app uids: a full range is an error, not a shared uid', () => {
  const registry = new MemoryAppUsers();
  assert.throws(() => uidForApp(registry, 'a', () => true), /no free uid left in 61184-65519/);
  assert.equal(LAST_APP_UID, 65519);
});

test('app uids: kept in berth.db, so a restarted daemon gives each app the same user', () => {
  const file = join(dir, 'berth.db');
  const first = new Store(file);
  const a = uidForApp(first.appUsers, 'a', () => false);
  const b = uidForApp(first.appUsers, 'b', () => false);
  assert.notEqual(a, b);
  assert.equal(first.appUsers.claim('c', a), false, 'a uid is never given twice');
  first.close();
  const second = new Store(file);
  assert.equal(
    uidForApp(second.appUsers, 'b', () => true),
    b,
  );
  assert.deepEqual([...second.appUsers.taken()].sort(), [a, b].sort());
  second.close();
});
