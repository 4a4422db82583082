// Volumes with a real daemon, the real CLI and the real proxy, on each driver: data written
// through HTTP keeps its checksum across a deploy, a rollback, a daemon killed with SIGKILL and
// restarted, and a new mount destination; a new source and the canary and bluegreen strategies
// are refused before anything changes; `volumes` create/list/show/destroy and their errors.
// A volume is a directory of the host on the process driver and a named volume on docker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MachineInfo, VolumeInfo } from '../../src/sdk/types.js';
import { TestDaemon, eventually, httpRequest } from '../helpers/daemon.js';
import { Engine } from '../helpers/docker-engine.js';
import { engineVolumeOf, volumesOfHome } from '../helpers/docker-home.js';
import { testDrivers, type TestDriver } from '../helpers/drivers.js';
import { writeVolumeApp, type VolumeAppOptions } from '../helpers/volume-app.js';

const APP = 'vols';
const canMount = process.platform === 'linux' && process.getuid?.() === 0;

/** Where a driver keeps a volume's data, as the test reaches it on this host. */
interface Storage {
  /** Whether the volume still has its storage. */
  exists(volume: VolumeInfo): Promise<boolean>;
  /** The host directory holding the volume's files. */
  dataDir(volume: VolumeInfo): Promise<string>;
  /** The volumes' storage left under the daemon's home. */
  left(home: string): Promise<string[]>;
}

function storageOf(driver: TestDriver): Storage {
  if (driver.name === 'process') {
    // A directory under <home>/volumes: the volume's path.
    return {
      exists: async (volume) => existsSync(volume.path),
      dataDir: async (volume) => volume.path,
      left: async (home) => readdirSync(join(home, 'volumes')),
    };
  }
  // A named volume of the Engine, labelled with the volume's id; the tests run on its host.
  return {
    exists: async (volume) => (await engineVolumeOf(new Engine(), volume.id)) !== undefined,
    dataDir: async (volume) => {
      const found = await engineVolumeOf(new Engine(), volume.id);
      assert.ok(found, `no Engine volume is labelled berth.volume=${volume.id}`);
      return found.Mountpoint;
    },
    left: (home) => volumesOfHome(new Engine(), home),
  };
}

for (const driver of testDrivers()) {
  describe(`volumes (${driver.name})`, { skip: driver.skip }, () => {
    // The process driver needs root on Linux to mount; docker always can. Each case runs on one
    // kind of host and shows as skipped, with the reason, on the other.
    const mounts = driver.name === 'docker' || canMount;
    const needsRoot = mounts ? false : 'needs root on Linux to mount volumes';
    const needsNoRoot =
      driver.name === 'docker'
        ? 'the docker driver always mounts volumes'
        : mounts && 'checks the refusal without root; this host can mount';
    const storage = storageOf(driver);

    let daemon: TestDaemon;
    let work: string;
    let n = 0;
    before(async () => {
      await driver.prepare();
      daemon = await TestDaemon.start();
      work = mkdtempSync(join(tmpdir(), 'berth-volumes-'));
    });
    after(async () => {
      await daemon.destroy();
      rmSync(work, { recursive: true, force: true });
    });

    const destA = () => join(work, 'mnt-a');
    const destB = () => join(work, 'mnt-b');

    function deploy(o: Partial<VolumeAppOptions> & { label: string }, extra: string[] = []) {
      const options: VolumeAppOptions = { app: APP, destination: destA(), ...o };
      return daemon.cli([
        'deploy',
        writeVolumeApp(join(work, `v${n++}`), { ...options, driver: driver.name }),
        ...driver.deployArgs,
        ...extra,
      ]);
    }

    async function machines(): Promise<MachineInfo[]> {
      return daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', APP]);
    }

    async function volumes(): Promise<VolumeInfo[]> {
      return daemon.cliJson<VolumeInfo[]>(['volumes', 'list', '-a', APP]);
    }

    /** "label checksum path" from the app, through the proxy. */
    async function read(): Promise<{ label: string; sha: string; path: string }> {
      const res = await daemon.proxied(APP, '/read');
      assert.equal(res.status, 200, res.body);
      const [label, sha, path] = res.body.split(' ');
      return { label: label!, sha: sha!, path: path! };
    }

    test(
      'without root, a deploy with [mounts] fails naming the cause and the fix',
      { skip: needsNoRoot },
      async () => {
        const result = await deploy({ label: 'one' });
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, /cannot give machines their volumes/);
        assert.match(result.stderr, /root/);
      },
    );
    let checksum: string;
    let machineId: string;

    test(
      'first deploy attaches a new volume; data written through the proxy is on it',
      { skip: needsRoot },
      async () => {
        const result = await deploy({ label: 'one', initialSize: '2gb' });
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /volume vol_[0-9a-f]{16} \(data\) attached to machine/);
        const [machine] = await machines();
        machineId = machine!.id;
        const [volume] = await volumes();
        assert.equal(volume!.machineId, machineId);
        assert.equal(volume!.name, 'data');
        assert.equal(volume!.sizeBytes, 2 * 1024 ** 3);

        const payload = randomBytes(4096).toString('hex');
        checksum = createHash('sha256').update(payload).digest('hex');
        const url = new URL(daemon.info.proxyUrl);
        const written = await httpRequest(
          {
            host: url.hostname,
            port: Number(url.port),
            path: '/write',
            method: 'POST',
            headers: { host: `${APP}.${daemon.info.domain}:${url.port}` },
          },
          payload,
        );
        assert.equal(written.status, 200);
        assert.equal(written.body, checksum);
        assert.deepEqual(await read(), { label: 'one', sha: checksum, path: join(destA(), 'blob.txt') });
        // The data is in the volume's storage, not at the destination on the host.
        assert.ok(existsSync(join(await storage.dataDir(volume!), 'blob.txt')));
        assert.ok(!existsSync(join(destA(), 'blob.txt')), 'the bind mount stays inside the machine');
      },
    );

    test(
      "volumes list says where each volume's data is",
      {
        skip: needsRoot,
      },
      async () => {
        const [volume] = await volumes();
        // process: its directory under the home; docker: the name of its Engine volume.
        const where =
          driver.name === 'process'
            ? join(daemon.home, 'volumes', volume!.id)
            : (await engineVolumeOf(new Engine(), volume!.id))?.Name;
        assert.equal(volume!.path, where);
      },
    );

    test(
      'a new release replaces the machine in place and reads the same checksum',
      { skip: needsRoot },
      async () => {
        const result = await deploy({ label: 'two' });
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /machines with volumes are replaced in place: stop, then start/);
        const list = await machines();
        assert.deepEqual(
          list.map((m) => [m.id, m.releaseVersion]),
          [[machineId, 2]],
        );
        assert.deepEqual(await read(), { label: 'two', sha: checksum, path: join(destA(), 'blob.txt') });
        assert.equal((await volumes()).length, 1);
      },
    );

    test('rollback replaces it in place again and reads the same checksum', { skip: needsRoot }, async () => {
      const result = await daemon.cli(['rollback', '-a', APP]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /replaced in place: stop, then start/);
      assert.deepEqual(
        (await machines()).map((m) => m.id),
        [machineId],
      );
      assert.deepEqual(await read(), { label: 'one', sha: checksum, path: join(destA(), 'blob.txt') });
    });

    test(
      'the daemon killed with SIGKILL and restarted adopts the machine with its volume mounted',
      { skip: needsRoot },
      async () => {
        const before = daemon.machineRefs().get(machineId);
        daemon.kill9();
        await daemon.waitExit();
        await daemon.boot();
        assert.equal(daemon.machineRefs().get(machineId), before, 'the same process or container, adopted');
        const adopted = await eventually(
          async () => {
            const r = await read();
            return r.sha === checksum ? r : undefined;
          },
          15_000,
          'the adopted machine to answer',
        );
        assert.equal(adopted!.label, 'one');
      },
    );

    test('changing destination mounts the same data at the new path', { skip: needsRoot }, async () => {
      const result = await deploy({ label: 'three', destination: destB() });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.deepEqual(await read(), { label: 'three', sha: checksum, path: join(destB(), 'blob.txt') });
      assert.deepEqual(
        (await machines()).map((m) => m.id),
        [machineId],
      );
      assert.equal((await volumes()).length, 1);
    });

    test(
      'changing source is refused before anything changes, naming both sources',
      { skip: needsRoot },
      async () => {
        const releases = await daemon.cliJson<unknown[]>(['releases', '-a', APP]);
        const result = await deploy({ label: 'four', source: 'other', destination: destB() });
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, /holds volume "data", but this release mounts source "other"/);
        assert.equal((await daemon.cliJson<unknown[]>(['releases', '-a', APP])).length, releases.length);
        assert.equal((await read()).label, 'three');
      },
    );

    for (const strategy of ['canary', 'bluegreen']) {
      test(`the ${strategy} strategy is refused with volumes, pointing at rolling`, async () => {
        const result = await deploy({ label: 'five', destination: destB(), strategy });
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, new RegExp(`the ${strategy} strategy cannot be used with volumes`));
        assert.match(result.stderr, /strategy = "rolling"/);
        assert.equal((await read()).label, 'three');
      });
    }

    test(
      'volumes: several share a name; an attached one is not destroyed without --force',
      { skip: needsRoot },
      async () => {
        const bad = await daemon.cli(['volumes', 'create', 'Bad-Name', '-a', APP]);
        assert.notEqual(bad.code, 0);
        assert.match(bad.stderr, /not a valid volume name/);
        assert.match(bad.stderr, /lowercase letters, digits and underscores/);
        const badSize = await daemon.cli(['volumes', 'create', 'data', '--size', 'lots', '-a', APP]);
        assert.notEqual(badSize.code, 0);
        assert.match(badSize.stderr, /"lots" is not a size/);
        const apiBad = await daemon.api('POST', `/v1/apps/${APP}/volumes`, {
          body: JSON.stringify({ name: 'data', size: '0mb' }),
          contentType: 'application/json',
        });
        assert.equal(apiBad.status, 400);
        assert.match(apiBad.body, /out of range/);
        const noApp = await daemon.cli(['volumes', 'list', '-a', 'nope']);
        assert.notEqual(noApp.code, 0);
        assert.match(noApp.stderr, /app "nope" does not exist/);

        const spare = await daemon.cliJson<VolumeInfo>([
          'volumes',
          'create',
          'data',
          '--size',
          '500mb',
          '-a',
          APP,
        ]);
        assert.match(spare.id, /^vol_[0-9a-f]{16}$/);
        assert.equal(spare.machineId, null);
        const list = await volumes();
        assert.deepEqual(
          list.map((v) => v.name),
          ['data', 'data'],
        );
        const attached = list.find((v) => v.machineId === machineId)!;

        const shown = await daemon.cli(['volumes', 'show', attached.id, '-a', APP]);
        assert.equal(shown.code, 0);
        assert.match(shown.stdout, new RegExp(`machine ${machineId}`));
        assert.match(shown.stdout, /does not enforce it/);
        const missing = await daemon.cli(['volumes', 'show', 'vol_0000000000000000', '-a', APP]);
        assert.notEqual(missing.code, 0);
        assert.match(missing.stderr, /has no volume/);

        const refused = await daemon.cli(['volumes', 'destroy', attached.id, '-a', APP]);
        assert.notEqual(refused.code, 0);
        assert.match(refused.stderr, new RegExp(`attached to machine ${machineId} at ${destB()}`));
        assert.match(refused.stderr, /--force/);
        assert.ok(await storage.exists(attached));

        const freed = await daemon.cli(['volumes', 'destroy', spare.id, '-a', APP]);
        assert.equal(freed.code, 0, freed.stderr);
        assert.ok(!(await storage.exists(spare)));
      },
    );

    test(
      'volumes destroy --force drains and stops the machine that holds it, and deletes its data',
      {
        skip: needsRoot,
      },
      async () => {
        const [attached] = await volumes();
        assert.equal(attached?.machineId, machineId);
        const forced = await daemon.cli(['volumes', 'destroy', attached.id, '--force', '-a', APP]);
        assert.equal(forced.code, 0, forced.stderr);
        assert.match(
          forced.stdout,
          new RegExp(`Machine ${machineId} had the volume mounted at ${destB()}: it was drained and stopped`),
        );
        assert.equal((await machines())[0]!.state, 'stopped');
        assert.deepEqual(await volumes(), []);
        assert.deepEqual(await storage.left(daemon.home), []);
      },
    );

    test(
      'adding [mounts] to a running app moves its machine in place onto a new volume; apps destroy deletes it',
      { skip: needsRoot },
      async () => {
        const app = 'vols-added';
        const dir = join(work, 'added-host');
        const plain = await deploy({ app, label: 'plain', destination: dir, noMounts: true });
        assert.equal(plain.code, 0, plain.stdout + plain.stderr);
        const [before] = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', app]);
        const mounted = await deploy({ app, label: 'mounted', destination: dir });
        assert.equal(mounted.code, 0, mounted.stdout + mounted.stderr);
        assert.match(mounted.stdout, /replaced in place: stop, then start/);
        const [after] = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', app]);
        assert.equal(after!.id, before!.id);
        const [volume] = await daemon.cliJson<VolumeInfo[]>(['volumes', 'list', '-a', app]);
        assert.equal(volume!.machineId, after!.id);
        assert.ok(await storage.exists(volume!));

        const destroyed = await daemon.cli(['apps', 'destroy', app, '--yes']);
        assert.equal(destroyed.code, 0, destroyed.stderr);
        assert.ok(!(await storage.exists(volume!)), "the app's volumes go with it");
      },
    );
  });
}
