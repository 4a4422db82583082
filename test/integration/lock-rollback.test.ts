// Rollback, `releases show` and the deploy lock, end to end on each driver: real daemon, real
// CLI, real machines. The app is examples/hello with a server that serves content.txt, so
// releases differ by what they answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventInfo, LockInfo, ReleaseInfo } from '../../src/sdk/types.js';
import { EXAMPLES, TestDaemon } from '../helpers/daemon.js';
import { homeFilter } from '../helpers/home-filter.js';
import { Engine } from '../helpers/docker-engine.js';
import { testDrivers } from '../helpers/drivers.js';

const APP = 'rb';

const SERVER = `import http from 'node:http';
import { readFileSync } from 'node:fs';
const content = readFileSync(new URL('./content.txt', import.meta.url), 'utf8').trim();
const server = http.createServer((req, res) => res.end(\`content \${content}\\n\`));
server.listen(Number(process.env.PORT), () => console.log('listening'));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
`;
const CRASHING_SERVER = `console.error('boom: cannot start'); process.exit(1);\n`;
const DOCKERFILE = 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n';

for (const driver of testDrivers()) {
  describe(`rollback and the deploy lock (${driver.name})`, { skip: driver.skip }, () => {
    let daemon: TestDaemon;
    let dir: string;

    before(async () => {
      await driver.prepare();
      daemon = await TestDaemon.start();
      dir = mkdtempSync(join(tmpdir(), 'berth-rb-app-'));
      cpSync(join(EXAMPLES, 'hello'), dir, { recursive: true });
      if (driver.name === 'docker') writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
    });
    after(async () => {
      await daemon?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    function deploy(content: string, args: string[] = [], server = SERVER) {
      writeFileSync(join(dir, 'content.txt'), content + '\n');
      writeFileSync(join(dir, 'server.js'), server);
      return daemon.cli(['deploy', dir, '-a', APP, ...driver.deployArgs, ...args]);
    }

    async function body(): Promise<string> {
      return (await daemon.proxied(APP)).body.trim();
    }

    test('three releases that serve, then one that fails', async () => {
      for (const content of ['one', 'two', 'three']) {
        const result = await deploy(content);
        assert.equal(result.code, 0, result.stderr + result.stdout);
      }
      const failed = await deploy('four', [], CRASHING_SERVER);
      // 3: failed before going live; 4: a new machine failed and the rollout was reverted.
      assert.ok([3, 4].includes(failed.code), failed.stderr + failed.stdout);
      assert.equal(await body(), 'content three');
    });

    test('berth rollback goes back to the last complete release before the current one', async () => {
      const result = await daemon.cli(['rollback', '-a', APP]);
      assert.equal(result.code, 0, result.stderr + result.stdout);
      assert.match(result.stdout, /==> Release v5 of rb created: rollback to v2/);
      assert.match(result.stdout, /v5 is live: http:\/\/rb\.localhost:\d+\s*$/);
      assert.equal(await body(), 'content two');
    });

    test('berth rollback vN goes back to that release, as admin, with its artifact', async () => {
      const result = await daemon.cli(['rollback', 'v1', '-a', APP]);
      assert.equal(result.code, 0, result.stderr + result.stdout);
      assert.match(result.stdout, /Release v6 of rb created: rollback to v1/);
      // v1's build still exists: it runs as it is, nothing is unpacked or built again.
      assert.match(result.stdout, new RegExp(`runs v1's build as it is \\(${driver.name} driver\\)`));
      assert.doesNotMatch(result.stdout, /unpacked/);
      assert.doesNotMatch(result.stdout, /building berth\//);
      assert.equal(await body(), 'content one');

      const releases = await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', APP]);
      assert.deepEqual(
        releases.map((r) => [r.version, r.status, r.description, r.createdBy]),
        [
          [6, 'complete', 'rollback to v1', 'admin'],
          [5, 'superseded', 'rollback to v2', 'admin'],
          [4, 'failed', 'deploy', 'admin'],
          [3, 'superseded', 'deploy', 'admin'],
          [2, 'superseded', 'deploy', 'admin'],
          [1, 'superseded', 'deploy', 'admin'],
        ],
      );
      const byVersion = new Map(releases.map((r) => [r.version, r]));
      assert.equal(byVersion.get(6)!.artifactDigest, byVersion.get(1)!.artifactDigest);
      assert.equal(byVersion.get(5)!.artifactDigest, byVersion.get(2)!.artifactDigest);
      const table = await daemon.cli(['releases', '-a', APP]);
      assert.match(table.stdout, /^v6\s+complete\s+rollback to v1\s+admin/m);
    });

    test('a rollback to a failed or unknown release is refused and makes no release', async () => {
      const failed = await daemon.cli(['rollback', 'v4', '-a', APP]);
      assert.equal(failed.code, 2, failed.stderr);
      assert.match(failed.stderr, /error: cannot roll back to v4: it failed .*and never served/);
      assert.match(failed.stderr, /hint: /);
      assert.match(failed.stderr, /code: no_rollback_target/);

      const unknown = await daemon.cli(['rollback', 'v99', '-a', APP, '--json']);
      assert.equal(unknown.code, 2);
      assert.equal(
        (JSON.parse(unknown.stdout) as { error: { code: string } }).error.code,
        'release_not_found',
      );

      const bad = await daemon.cli(['rollback', 'latest', '-a', APP]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /"latest" is not a release version/);

      const releases = await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', APP]);
      assert.equal(releases[0]!.version, 6);
    });

    test('berth releases show prints the release and its whole deploy log', async () => {
      const shown = await daemon.cli(['releases', 'show', 'v5', '-a', APP]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /^Release\s+v5 of rb \(superseded\)$/m);
      assert.match(shown.stdout, /^Why\s+rollback to v2$/m);
      assert.match(shown.stdout, /^By\s+admin$/m);
      assert.match(shown.stdout, new RegExp(`^Driver\\s+${driver.name}$`, 'm'));
      assert.match(shown.stdout, /^Artifact\s+sha256:[0-9a-f]{64}$/m);
      assert.match(shown.stdout, /^Deploy log:$/m);
      assert.match(shown.stdout, /^\s+\d\d:\d\d:\d\d\s+release v5 created by admin$/m);
      assert.match(shown.stdout, /release v5 is live/);

      const failed = await daemon.cli(['releases', '-a', APP, 'show', '4']);
      assert.equal(failed.code, 0, failed.stderr);
      assert.match(failed.stdout, /^Failed\s+\S/m);
      assert.match(failed.stdout, /release v4 failed/);

      const json = await daemon.cliJson<{ release: ReleaseInfo & { config: unknown }; events: EventInfo[] }>([
        'releases',
        'show',
        'v5',
        '-a',
        APP,
      ]);
      assert.equal(json.release.version, 5);
      assert.equal(json.release.description, 'rollback to v2');
      assert.ok(json.release.config);
      assert.ok(json.events.every((e) => e.releaseVersion === 5));
      assert.equal(json.events[0]!.kind, 'release.created');
      assert.ok(json.events.some((e) => e.kind === 'release.complete'));

      const missing = await daemon.cli(['releases', 'show', 'v42', '-a', APP]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /has no release v42/);
    });

    test('a rollback whose artifact and build were pruned is refused with a way forward', async () => {
      const releases = await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', APP]);
      const v2 = releases.find((r) => r.version === 2)!;
      rmSync(join(daemon.home, 'artifacts', 'sha256', `${v2.artifactDigest.slice(7)}.tar.gz`));
      // The driver's build of v2 (a rollback would run it as it is, without the artifact): the
      // process driver's tree, or the docker driver's image.
      if (driver.name === 'process')
        rmSync(join(daemon.home, 'releases', APP, 'v2'), { recursive: true, force: true });
      else await removeImageOf(daemon.home, 2);
      const result = await daemon.cli(['rollback', 'v2', '-a', APP]);
      assert.equal(result.code, 2, result.stderr + result.stdout);
      assert.match(result.stderr, /the source of v2 \(sha256:[0-9a-f]{12}\) is no longer stored/);
      assert.match(result.stderr, /hint: .*berth deploy -a rb/);
      assert.match(result.stderr, /code: artifact_not_found/);
      assert.equal((await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', APP]))[0]!.version, 6);
    });

    /** Removes the image the docker driver built for release `version` of the app. */
    async function removeImageOf(home: string, version: number): Promise<void> {
      const engine = new Engine();
      const filter = homeFilter(home, `berth.app=${APP}`, `berth.release=${version}`);
      const images = await engine.json<{ Id: string }[]>('GET', `/images/json?filters=${filter}`);
      assert.equal(images.length, 1, `one image of v${version}`);
      await engine.json('DELETE', `/images/${images[0]!.Id}?force=1`);
    }

    // A deployer that died holding the lock: a row with a fresh heartbeat and a far expiry.
    const GHOST_SINCE = new Date(Date.now() - 90_000).toISOString();
    function insertGhostLock(): void {
      const db = new Database(join(daemon.home, 'berth.db'));
      try {
        const now = new Date().toISOString();
        const expires = new Date(Date.now() + 10 * 60_000).toISOString();
        db.prepare('INSERT OR REPLACE INTO deploy_locks VALUES (?, ?, ?, ?, ?, ?)').run(
          APP,
          'ghost',
          'ci-bot',
          GHOST_SINCE,
          now,
          expires,
        );
      } finally {
        db.close();
      }
    }
    const SINCE_SHOWN = GHOST_SINCE.replace(/\.\d+Z$/, 'Z');

    test('berth lock status shows who holds the lock and since when', async () => {
      const free = await daemon.cli(['lock', 'status', '-a', APP]);
      assert.equal(free.code, 0, free.stderr);
      assert.match(free.stdout, /rb is not locked/);
      insertGhostLock();
      const held = await daemon.cli(['lock', 'status', '-a', APP]);
      assert.equal(held.code, 0, held.stderr);
      assert.match(
        held.stdout,
        new RegExp(
          `rb is locked: held by ci-bot \\(ghost\\) since ${SINCE_SHOWN}, \\d+m\\d+s ago; expires in \\S+ unless renewed`,
        ),
      );
      const { lock } = await daemon.cliJson<{ lock: LockInfo }>(['lock', 'status', '-a', APP]);
      assert.equal(lock.owner, 'ghost');
      assert.equal(lock.user, 'ci-bot');
      assert.equal(lock.acquiredAt, GHOST_SINCE);
      assert.equal(lock.expired, false);
    });

    test('a bad --lock-wait is refused before anything is sent', async () => {
      const result = await daemon.cli(['deploy', dir, '-a', APP, '--lock-wait', 'soon']);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--lock-wait "soon" is not a duration/);
    });

    // The next two need the deploy path to take the lock (DeployLocks.acquire with lockWaitMs).
    test('a deploy of a locked app fails at once, naming the holder and since when', async () => {
      insertGhostLock();
      const result = await deploy('five');
      assert.equal(result.code, 2, result.stderr + result.stdout);
      assert.doesNotMatch(result.stderr, /after waiting/, 'without --lock-wait it must not wait');
      assert.match(
        result.stderr,
        new RegExp(`error: app "rb" is locked: held by ci-bot \\(ghost\\) since ${SINCE_SHOWN}`),
      );
      assert.match(result.stderr, /berth lock release -a rb/);
      assert.match(result.stderr, /code: deploy_locked/);
      assert.equal(await body(), 'content one');
    });

    test('berth deploy --lock-wait 3s waits about 3s, then fails the same way', async () => {
      insertGhostLock();
      const started = Date.now();
      const result = await deploy('five', ['--lock-wait', '3s']);
      const waited = Date.now() - started;
      assert.equal(result.code, 2, result.stderr + result.stdout);
      assert.ok(waited >= 3_000, `waited only ${waited}ms`);
      assert.ok(waited < 15_000, `waited ${waited}ms`);
      assert.match(result.stderr, /is locked after waiting 3s: held by ci-bot \(ghost\)/);
    });

    test('berth lock release needs --yes, breaks the lock, records who did, and the next deploy runs', async () => {
      insertGhostLock();
      const refused = await daemon.cli(['lock', 'release', '-a', APP]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /held by ci-bot \(ghost\)/);
      assert.match(refused.stderr, /--yes/);
      assert.equal(
        (await daemon.cliJson<{ lock: LockInfo | null }>(['lock', 'status', '-a', APP])).lock?.owner,
        'ghost',
      );

      const released = await daemon.cli(['lock', 'release', '-a', APP, '--yes']);
      assert.equal(released.code, 0, released.stderr);
      assert.match(released.stdout, /Broke the deploy lock of rb; it was held by ci-bot \(ghost\)/);
      assert.equal(
        (await daemon.cliJson<{ lock: LockInfo | null }>(['lock', 'status', '-a', APP])).lock,
        null,
      );

      const events = JSON.parse((await daemon.api('GET', `/v1/apps/${APP}/events`)).body) as EventInfo[];
      const broken = events.find((e) => e.kind === 'lock.released');
      assert.ok(broken, 'a lock.released event');
      assert.match(broken.message, /broken by admin/);
      assert.equal(broken.data?.brokenBy, 'admin');
      assert.equal(broken.data?.owner, 'ghost');

      const again = await daemon.cli(['lock', 'release', '-a', APP, '--yes', '--json']);
      assert.deepEqual(JSON.parse(again.stdout), { released: null });

      const result = await deploy('six');
      assert.equal(result.code, 0, result.stderr + result.stdout);
      assert.equal(await body(), 'content six');
      // The deploy gave its lock back.
      assert.equal(
        (await daemon.cliJson<{ lock: LockInfo | null }>(['lock', 'status', '-a', APP])).lock,
        null,
      );
    });

    test('lock status of an app that does not exist says so', async () => {
      const result = await daemon.cli(['lock', 'status', '-a', 'nope']);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /app "nope" does not exist/);
    });
  });
}
