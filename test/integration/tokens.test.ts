// Tokens through the real CLI: create, list, whoami and revoke; a deployer of one app refused on
// another with a hint, and refused creating an app; what a deployer token does is attributed to
// its name in `releases` and `events`; the last admin token cannot be revoked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { writeRolloutApp } from '../helpers/rollout-app.js';
import type { CreatedTokenInfo, TokenInfo, WhoamiInfo } from '../../src/sdk/token-types.js';

test('tokens: create, list, whoami, revoke; a deployer deploys its app only, and is named for it', async () => {
  const daemon = await TestDaemon.start();
  const work = mkdtempSync(join(tmpdir(), 'berth-tokens-it-'));
  try {
    const as = (token: string) => ({ env: { BERTH_TOKEN: token } });

    // The first admin token, from <home>/credentials, is named admin.
    assert.deepEqual(await daemon.cliJson<WhoamiInfo>(['whoami']), {
      name: 'admin',
      role: 'admin',
      apps: null,
      expiresAt: null,
    });

    // Create: printed once, with the warning; --json carries the secret too.
    const text = await daemon.cli(['tokens', 'create', 'ci-web', '--role', 'deployer', '--app', 'web']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Created token ci-web \(deployer of web\)/);
    assert.match(text.stdout, /it will not be shown again/);
    const deployer = /^\s+(berth_\S+)$/m.exec(text.stdout)?.[1];
    assert.ok(deployer, text.stdout);
    const viewer = await daemon.cliJson<CreatedTokenInfo>(['tokens', 'create', 'alice', '--expires', '30d']);
    assert.equal(viewer.token.role, 'viewer');
    const days = (Date.parse(viewer.token.expiresAt!) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `expires in ${days} days`);

    const again = await daemon.cli(['tokens', 'create', 'alice']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /a token named alice already exists/);
    const badRole = await daemon.cli(['tokens', 'create', 'bob', '--role', 'owner']);
    assert.notEqual(badRole.code, 0);
    assert.match(badRole.stderr, /--role "owner" is not a role/);

    const { tokens } = await daemon.cliJson<{ tokens: TokenInfo[] }>(['tokens', 'list']);
    assert.deepEqual(
      tokens.map((t) => [t.name, t.role, t.apps, t.createdBy]),
      [
        ['admin', 'admin', null, null],
        ['metrics', 'metrics', null, null],
        ['ci-web', 'deployer', ['web'], 'admin'],
        ['alice', 'viewer', null, 'admin'],
      ],
    );
    assert.ok(!JSON.stringify(tokens).includes('berth_'), 'no token or hash is listed');
    const table = await daemon.cli(['tokens', 'list']);
    assert.match(table.stdout, /ci-web\s+deployer\s+web\s+never/);

    const who = await daemon.cli(['whoami'], as(deployer));
    assert.equal(who.stdout.trim(), 'ci-web (deployer of web)');

    // Only an admin creates apps, even by a first deploy; then the deployer deploys its app.
    const web = writeRolloutApp(join(work, 'web'), { app: 'web', label: 'one' });
    const first = await daemon.cli(['deploy', web], as(deployer));
    assert.notEqual(first.code, 0);
    assert.match(first.stderr, /token "ci-web" \(deployer of web\) lacks the admin right on app web/);
    assert.equal((await daemon.cli(['apps', 'create', 'web'])).code, 0);
    const deployed = await daemon.cli(['deploy', web], as(deployer));
    assert.equal(deployed.code, 0, deployed.stderr);
    const releases = await daemon.cli(['releases', '-a', 'web'], as(deployer));
    assert.match(releases.stdout, /v1\s+\S+\s+deploy\s+ci-web\s/);
    const events = await daemon.cli(['events', '-a', 'web'], as(deployer));
    assert.match(events.stdout, /ci-web/);

    // Another app: 403 naming the missing right, and whom to ask for what.
    assert.equal((await daemon.cli(['apps', 'create', 'api'])).code, 0);
    const api = writeRolloutApp(join(work, 'api'), { app: 'api', label: 'one' });
    const other = await daemon.cli(['deploy', api], as(deployer));
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /token "ci-web" \(deployer of web\) has no right on app api/);
    assert.match(other.stderr, /ask an admin for a token with role deployer on app api/i);
    // A limited token lists its own apps only.
    const apps = await daemon.cli(['apps', 'list', '--json'], as(deployer));
    assert.deepEqual(
      (JSON.parse(apps.stdout) as Array<{ name: string }>).map((a) => a.name),
      ['web'],
    );

    // A viewer reads but cannot manage tokens or set secrets.
    assert.equal((await daemon.cli(['releases', '-a', 'web'], as(viewer.secret))).code, 0);
    const list = await daemon.cli(['tokens', 'list'], as(viewer.secret));
    assert.notEqual(list.code, 0);
    assert.match(list.stderr, /token "alice" \(viewer\) lacks the admin right/);
    const secret = await daemon.cli(['secrets', 'set', 'KEY=v', '-a', 'web', '--stage'], as(viewer.secret));
    assert.match(secret.stderr, /lacks the deploy right on app web/);

    // Revoke: the token stops working at once; the last admin token cannot go.
    const revoked = await daemon.cli(['tokens', 'revoke', 'ci-web']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /Revoked token ci-web/);
    const after = await daemon.cli(['whoami'], as(deployer));
    assert.notEqual(after.code, 0);
    assert.match(after.stderr, /not valid/);
    const last = await daemon.cli(['tokens', 'revoke', 'admin']);
    assert.notEqual(last.code, 0);
    assert.match(last.stderr, /admin is the last admin token that works/);
    assert.match(last.stderr, /Create another admin token first/);
    const audit = await daemon.cli(['events', '-n', '50']);
    assert.match(audit.stdout, /token ci-web \(deployer of web\) created by admin/);
    assert.match(audit.stdout, /token ci-web \(deployer\) revoked by admin/);
    // The release the revoked token made still names it.
    assert.match((await daemon.cli(['releases', '-a', 'web'])).stdout, /ci-web/);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await daemon.destroy();
  }
});
