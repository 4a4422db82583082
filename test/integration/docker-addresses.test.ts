// Where the proxy and health checks reach a container. Docker's port forwarder accepts a
// connection on a published port before the app listens (and after it stopped), so a machine
// must be reached at its own bridge address, which refuses until the app listens: otherwise a
// connect-based readiness check passes at once and the proxy sends requests to nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { DockerHandle, MachineSpec, PreparedRelease } from '../../src/drivers/driver.js';
import { createDockerDriver, type DockerDriver } from '../../src/drivers/docker/docker-driver.js';
import { connectEngine } from '../../src/drivers/docker/engine.js';
import { homeId } from '../../src/drivers/docker/names.js';
import { canConnect } from '../../src/daemon/readiness.js';
import { packDirectory } from '../../src/artifacts/pack.js';
import { eventually } from '../helpers/daemon.js';
import { dockerHostForTests, dockerSkipReason, Engine } from '../helpers/docker-engine.js';
import { ensureTestImages } from '../helpers/docker-images.js';

const skip = dockerSkipReason();
const root = mkdtempSync(join(tmpdir(), 'berth-docker-addresses-'));
const home = join(root, 'home');
const app = `dka${randomBytes(4).toString('hex')}`;
const driverLog: string[] = [];

let docker: Docker;
let driver: DockerDriver;
let release: PreparedRelease;
let count = 0;

function spec(command: string): MachineSpec {
  return {
    machineId: `m${++count}${randomBytes(3).toString('hex')}`,
    app,
    releaseVersion: 1,
    processGroup: 'app',
    command,
    env: {},
    ports: [8080],
    prepared: release,
    killSignal: 'SIGTERM',
    killTimeoutMs: 2_000,
  };
}

describe('docker machine addresses', { skip }, () => {
  before(async () => {
    const host = dockerHostForTests()!;
    await ensureTestImages(new Engine(host));
    docker = connectEngine(host);
    driver = await createDockerDriver({ home, dockerHost: host, log: (line) => driverLog.push(line) });
    const artifact = await packDirectory(mkdtempSync(join(root, 'src-')));
    release = await driver.prepareRelease({
      app,
      releaseVersion: 1,
      artifactPath: artifact.path,
      artifactDigest: artifact.digest,
      build: { args: {}, image: 'node:20-slim' },
      env: {},
      maxUnpackedBytes: 16 * 1024 * 1024,
      timeoutMs: 60_000,
      onProgress: () => {},
    });
  });

  after(async () => {
    driver?.close();
    if (docker) {
      const label = `berth.home=${homeId(home)}`;
      for (const c of await docker.listContainers({ all: true, filters: { label: [label] } })) {
        await docker.getContainer(c.Id).remove({ force: true, v: true });
      }
      for (const image of await docker.listImages({ filters: { reference: [`berth/${app}`] } })) {
        for (const tag of image.RepoTags ?? [])
          await docker
            .getImage(tag)
            .remove()
            .catch(() => {});
      }
    }
    rmSync(root, { recursive: true, force: true });
  });

  test('a container that never listens does not answer at its address; one that listens does', async (t) => {
    if (!driver.reachesBridge) {
      // Rootless Docker, Docker Desktop: only published ports reach containers from here.
      t.skip(`this host does not reach containers' bridge addresses: ${driverLog.join('; ')}`);
      return;
    }
    const silent = (await driver.start(spec('node -e "setInterval(() => {}, 1000)"'))) as DockerHandle;
    const listening = (await driver.start(
      spec(`node -e "require('node:net').createServer((s) => s.end('hi')).listen(8080)"`),
    )) as DockerHandle;
    const info = await docker.getContainer(silent.containerId).inspect();
    const ip = info.NetworkSettings.Networks.bridge?.IPAddress;
    // The address is the container's own; the published port is for people.
    assert.ok(ip, 'the container has a bridge address');
    assert.deepEqual(silent.addresses, { '8080': `${ip}:8080` });
    assert.match(silent.published['8080']!, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(silent.addresses['8080'], silent.published['8080']);

    // Running, yet nothing listens: the address refuses, so readiness waits and the proxy skips it.
    assert.deepEqual(await driver.inspect(silent), { state: 'running' });
    assert.equal(await canConnect(silent.addresses['8080']!, 2_000), false);

    await eventually(
      () => canConnect(listening.addresses['8080']!),
      20_000,
      'the listening container to answer',
    );
    assert.equal(await canConnect(silent.addresses['8080']!, 2_000), false, 'still nothing listens');
  });

  test('the handle says where the container is published, for people', async () => {
    const machine = spec('node -e "setInterval(() => {}, 1000)"');
    const handle = (await driver.start(machine)) as DockerHandle;
    assert.match(driver.describe(handle), /^container [0-9a-f]{12}, published on 127\.0\.0\.1:\d+$/);
    // A later daemon recovering it by label finds the same addresses.
    assert.deepEqual(await driver.recover(machine.machineId), handle);
  });
});
