// A release stored before durations had ranges can hold one berth cannot wait out. Rolling
// back to it is refused before anything changes, naming the key, instead of failing later
// with an overflowed timer. Real daemon, real CLI; the old release is made by editing its
// stored config in berth.db, as an older berth would have written it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ReleaseInfo } from '../../src/sdk/types.js';
import { EXAMPLES, TestDaemon } from '../helpers/daemon.js';

const APP = 'olddurations';
let daemon: TestDaemon;

before(async () => {
  daemon = await TestDaemon.start();
});
after(async () => {
  await daemon.destroy();
});

test('a rollback to a release whose stored wait_timeout is 0 is refused, naming the key', async () => {
  for (let i = 0; i < 2; i++) {
    const deployed = await daemon.cli(['deploy', join(EXAMPLES, 'hello'), '-a', APP]);
    assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
  }
  // The first deploy created the app, and the event log says so.
  const events = JSON.parse((await daemon.api('GET', `/v1/apps/${APP}/events`)).body) as Array<{
    kind: string;
    message: string;
  }>;
  assert.ok(
    events.some((e) => e.kind === 'app.created' && /with its first deploy/.test(e.message)),
    JSON.stringify(events.map((e) => e.kind)),
  );

  const db = new Database(join(daemon.home, 'berth.db'));
  try {
    const row = db.prepare('SELECT config_json FROM releases WHERE app = ? AND version = 1').get(APP) as {
      config_json: string;
    };
    const config = JSON.parse(row.config_json) as { deploy: { waitTimeoutMs: number } };
    config.deploy.waitTimeoutMs = 0;
    db.prepare('UPDATE releases SET config_json = ? WHERE app = ? AND version = 1').run(
      JSON.stringify(config),
      APP,
    );
  } finally {
    db.close();
  }

  const refused = await daemon.cli(['rollback', 'v1', '-a', APP]);
  assert.equal(refused.code, 2, refused.stderr + refused.stdout);
  assert.match(refused.stderr, /deploy\.wait_timeout is 0\w*, not between 1s and 24h/);
  assert.match(refused.stderr, /hint: .*deploy the app again/);

  // Nothing changed: no new release, v2 still current and serving.
  const releases = await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', APP, '--json']);
  assert.deepEqual(
    releases.map((r) => [r.version, r.status]),
    [
      [2, 'complete'],
      [1, 'superseded'],
    ],
  );
  assert.equal((await daemon.proxied(APP, '/')).status, 200);
});
