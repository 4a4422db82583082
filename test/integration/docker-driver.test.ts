// The Docker driver against a real Engine (DOCKER_HOST, else /var/run/docker.sock): images built
// from artifacts packed by berth's own packer, containers started, stopped, watched, logged and
// adopted. Nothing is pulled but the image that cannot exist. Everything the tests create is
// labelled with their own home or named after their own app, and removed in after().
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import { packDirectory } from '../../src/artifacts/pack.js';
import type { AppConfig } from '../../src/core/config/types.js';
import { BerthError } from '../../src/core/errors.js';
import type { DockerHandle, MachineSpec, PreparedRelease, PrepareRequest } from '../../src/drivers/driver.js';
import { createDockerDriver, type DockerDriver } from '../../src/drivers/docker/docker-driver.js';
import { connectEngine } from '../../src/drivers/docker/engine.js';
import { homeId } from '../../src/drivers/docker/names.js';
import { makeTarGz } from '../helpers/archives.js';
import { eventually } from '../helpers/daemon.js';
import { ensureNodeBaseImage } from '../helpers/docker-base-image.js';
import { httpGet } from '../helpers/http-get.js';

const dockerHost =
  process.env.DOCKER_HOST ?? (existsSync('/var/run/docker.sock') ? 'unix:///var/run/docker.sock' : undefined);
const skip =
  dockerHost === undefined
    ? 'no Docker Engine: DOCKER_HOST is unset and /var/run/docker.sock is absent'
    : false;

const root = mkdtempSync(join(tmpdir(), 'berth-docker-driver-'));
const home = join(root, 'home');
const app = `dk${randomBytes(4).toString('hex')}`;
const driverLog: string[] = [];

const SERVER = `
const http = require('node:http');
http
  .createServer((req, res) => {
    if (req.url === '/env') return res.end(JSON.stringify(process.env));
    res.end('hello from ' + (process.argv[2] || 'the image CMD'));
  })
  .listen(Number(process.env.PORT), () => console.log('listening on ' + process.env.PORT));
`;

// Apart in time: the Engine reads stdout and stderr separately, so only order in time is kept.
const LOGGER = `
let i = 0;
const timer = setInterval(() => {
  i++;
  if (i <= 5) (i % 2 ? process.stdout : process.stderr).write('line ' + i + '\\n');
  else console.log('tick ' + (i - 5));
}, 30);
`;

const DOCKERFILE = `
FROM node:20-slim AS base
WORKDIR /app
COPY . .

FROM base AS web
ARG GREETING=unset
RUN echo "built with $GREETING" > /app/build-arg.txt
RUN node -e "console.error('a warning on stderr')"
CMD ["node", "server.js"]

FROM base AS never
RUN exit 9
`;

let docker: Docker;
let driver: DockerDriver;
let release: Extract<PreparedRelease, { driver: 'docker' }>;
const buildOutput: string[] = [];
let machineCount = 0;

async function packedApp(files: Record<string, string>): Promise<string> {
  const dir = join(root, `src-${randomBytes(3).toString('hex')}`);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return (await packDirectory(dir)).path;
}

function prepareRequest(
  version: number,
  artifactPath: string,
  build: Partial<AppConfig['build']>,
  output: string[] = [],
): PrepareRequest {
  return {
    app,
    releaseVersion: version,
    artifactPath,
    artifactDigest: 'sha256:unused',
    build: { args: {}, ...build },
    env: {},
    maxUnpackedBytes: 64 * 1024 * 1024,
    timeoutMs: 120_000,
    onProgress: (event) => output.push(event.line),
  };
}

function specFor(overrides: Partial<MachineSpec> = {}): MachineSpec {
  return {
    machineId: `m${++machineCount}${randomBytes(3).toString('hex')}`,
    app,
    releaseVersion: 1,
    processGroup: 'app',
    command: '',
    env: { GREETING: 'berth', API_TOKEN: 'secret-value-123' },
    ports: [8080],
    prepared: release,
    killSignal: 'SIGTERM',
    killTimeoutMs: 5_000,
    ...overrides,
  };
}

/** The app answers once it listens; until then the Engine's port proxy drops the connection. */
async function answer(address: string, path = '/'): Promise<string> {
  const body = await eventually(
    async () => {
      const res = await httpGet(address, path);
      return res.status === 200 ? res.body : undefined;
    },
    20_000,
    `an answer from ${address}${path}`,
  );
  return body!;
}

async function exitOf(handle: DockerHandle) {
  return eventually(
    async () => {
      const state = await driver.inspect(handle);
      return state.state === 'exited' ? state : undefined;
    },
    20_000,
    'the container to exit',
  );
}

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<BerthError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof BerthError, `not a BerthError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected a ${code} error`);
}

describe('docker driver', { skip }, () => {
  before(async () => {
    docker = connectEngine(dockerHost!);
    await ensureNodeBaseImage(docker);
    driver = await createDockerDriver({ home, dockerHost: dockerHost!, log: (line) => driverLog.push(line) });
    const artifact = await packedApp({
      Dockerfile: DOCKERFILE,
      '.dockerignore': 'secret.txt\n',
      'secret.txt': 'must not reach the image',
      'server.js': SERVER,
      'logger.js': LOGGER,
    });
    const prepared = await driver.prepareRelease(
      prepareRequest(1, artifact, { target: 'web', args: { GREETING: 'from-build-args' } }, buildOutput),
    );
    assert.equal(prepared.driver, 'docker');
    release = prepared as typeof release;
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
      for (const v of (await docker.listVolumes({ filters: { label: [label] } })).Volumes ?? []) {
        await docker.getVolume(v.Name).remove();
      }
    }
    rmSync(root, { recursive: true, force: true });
  });

  test('builds a Dockerfile from a packed artifact: target, build args, .dockerignore, tag and labels', async () => {
    assert.equal(release.image, `berth/${app}:v1`);
    assert.match(release.imageId, /^sha256:[0-9a-f]{64}$/);
    assert.ok(await driver.releaseAvailable(release));
    const image = await docker.getImage(release.image).inspect();
    assert.equal(image.Id, release.imageId);
    // berth's labels are added to whatever the base image has.
    const labels = image.Config.Labels ?? {};
    const wanted = ['berth.managed', 'berth.app', 'berth.release', 'berth.home'];
    assert.deepEqual(
      wanted.map((key) => labels[key]),
      ['true', app, '1', homeId(home)],
    );
    assert.deepEqual(image.Config.Cmd, ['node', 'server.js']);
    // The build output streamed, step by step.
    assert.ok(
      buildOutput.some((line) => /Step \d+\/\d+ : FROM node:20-slim/.test(line)),
      buildOutput.join('\n'),
    );
    // What RUN wrote to stderr, which the Engine colours, arrives as plain text.
    assert.ok(buildOutput.includes('a warning on stderr'), buildOutput.join('\n'));
    assert.ok(!buildOutput.some((line) => line.includes('\u001b')), 'no escape sequences');
    // The stage after the target never ran (it would fail), and the build arg reached RUN.
    assert.ok(!buildOutput.some((line) => line.includes('exit 9')));
    const handle = (await driver.start(
      specFor({
        command: "node -e \"process.stdout.write(require('fs').readdirSync('.').join(' '))\"",
        ports: [],
      }),
    )) as DockerHandle;
    await exitOf(handle);
    const listing = (await driver.tailLogs(handle, 10)).join('\n');
    assert.match(listing, /build-arg\.txt/);
    assert.doesNotMatch(listing, /secret\.txt/);
    const arg = (await driver.start(
      specFor({
        command: "node -e \"process.stdout.write(require('fs').readFileSync('build-arg.txt','utf8'))\"",
        ports: [],
      }),
    )) as DockerHandle;
    await exitOf(arg);
    assert.deepEqual(await driver.tailLogs(arg, 10), ['built with from-build-args']);
  });

  test('the Engine reads .dockerignore from the context it is sent', async () => {
    // An artifact that holds an ignored file (berth's packer would have left it out).
    const artifact = join(root, 'crafted.tar.gz');
    writeFileSync(
      artifact,
      await makeTarGz([
        { path: 'Dockerfile', type: 'file', body: 'FROM node:20-slim\nCOPY . /ctx/\n' },
        { path: '.dockerignore', type: 'file', body: 'ignored.txt\n' },
        { path: 'ignored.txt', type: 'file', body: 'x' },
        { path: 'kept.txt', type: 'file', body: 'y' },
      ]),
    );
    const prepared = await driver.prepareRelease(prepareRequest(2, artifact, {}));
    assert.equal(prepared.driver, 'docker');
    const handle = (await driver.start(
      specFor({
        prepared,
        command: "node -e \"process.stdout.write(require('fs').readdirSync('/ctx').join(' '))\"",
        ports: [],
      }),
    )) as DockerHandle;
    await exitOf(handle);
    const [listing] = await driver.tailLogs(handle, 1);
    assert.match(listing ?? '', /kept\.txt/);
    assert.doesNotMatch(listing ?? '', /ignored\.txt/);
  });

  test('a failed build is build_failed with its last error line, and leaves no image', async () => {
    const output: string[] = [];
    const artifact = await packedApp({ Dockerfile: 'FROM node:20-slim\nRUN echo about to fail && exit 3\n' });
    const err = await rejectsWith(
      driver.prepareRelease(prepareRequest(3, artifact, {}, output)),
      'build_failed',
      /returned a non-zero code: 3/,
    );
    assert.match(err.hint, /Dockerfile/);
    assert.ok(output.includes('about to fail'), output.join('\n'));
    await assert.rejects(docker.getImage(`berth/${app}:v3`).inspect(), /no such image/i);

    const tooBig = { ...prepareRequest(3, artifact, {}), maxUnpackedBytes: 1024 };
    await rejectsWith(driver.prepareRelease(tooBig), 'build_failed', /build context is more than 1024 bytes/);

    const missing = await packedApp({ 'server.js': SERVER });
    await rejectsWith(driver.prepareRelease(prepareRequest(3, missing, {})), 'build_failed', /Dockerfile/);
  });

  test('a fly builder with nothing else to build is refused: use a Dockerfile', async () => {
    const artifact = await packedApp({ Dockerfile: 'FROM node:20-slim\n' });
    await rejectsWith(
      driver.prepareRelease(prepareRequest(4, artifact, { builder: 'heroku/builder:24' })),
      'unsupported_builder',
      /builder "heroku\/builder:24" is not supported, use a Dockerfile/,
    );
  });

  test('[build] image present on the Engine is used as given, tagged for the release', async () => {
    const output: string[] = [];
    const artifact = await packedApp({ 'fly.toml': '' });
    const prepared = await driver.prepareRelease(
      prepareRequest(5, artifact, { image: 'node:20-slim' }, output),
    );
    const base = await docker.getImage('node:20-slim').inspect();
    assert.deepEqual(prepared, { driver: 'docker', image: `berth/${app}:v5`, imageId: base.Id });
    assert.ok((await docker.getImage(`berth/${app}:v5`).inspect()).RepoTags?.includes('node:20-slim'));
    assert.ok(output.some((line) => /using image node:20-slim/.test(line)));
    assert.deepEqual(await driver.defaultCommands({ processes: {} } as unknown as AppConfig, prepared), {
      app: '',
    });
  });

  test('an image that cannot be pulled is image_pull_failed naming it and why', async () => {
    const artifact = await packedApp({ 'fly.toml': '' });
    const image = 'berth-test.invalid/no-such-image:1';
    const err = await rejectsWith(
      driver.prepareRelease(prepareRequest(6, artifact, { image })),
      'image_pull_failed',
      /could not pull image "berth-test\.invalid\/no-such-image:1": .+/,
    );
    assert.match(err.hint, /\[build\] image/);
    await assert.rejects(docker.getImage(`berth/${app}:v6`).inspect(), /no such image/i);
  });

  test('a machine serves on its internal port at its address and on a published loopback port; env and PORT reach it', async () => {
    const spec = specFor();
    const handle = (await driver.start(spec)) as DockerHandle;
    assert.deepEqual(Object.keys(handle.addresses), ['8080']);
    assert.match(handle.addresses['8080']!, /^[\d.]+:\d+$/);
    assert.deepEqual(Object.keys(handle.published), ['8080']);
    assert.match(handle.published['8080']!, /^127\.0\.0\.1:\d+$/);
    assert.equal(await answer(handle.addresses['8080']!), 'hello from the image CMD');
    assert.equal(await answer(handle.published['8080']!), 'hello from the image CMD');
    const env = JSON.parse(await answer(handle.addresses['8080']!, '/env')) as Record<string, string>;
    assert.equal(env.PORT, '8080');
    assert.equal(env.GREETING, 'berth');
    assert.equal(env.API_TOKEN, 'secret-value-123');
    // The image's ENV applies; nothing of the daemon host's environment is added.
    const base = await docker.getImage('node:20-slim').inspect();
    assert.equal(
      `PATH=${env.PATH}`,
      base.Config.Env.find((e) => e.startsWith('PATH=')),
    );
    assert.equal(env.DOCKER_HOST, undefined);
    assert.deepEqual(await driver.inspect(handle), { state: 'running' });

    const info = await docker.getContainer(handle.containerId).inspect();
    assert.equal(info.Name, `/${handle.containerName}`);
    assert.deepEqual(info.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
    const labels = info.Config.Labels;
    assert.equal(labels['berth.app'], app);
    assert.equal(labels['berth.machine'], spec.machineId);
    assert.equal(labels['berth.group'], 'app');
    assert.equal(labels['berth.release'], '1');
    assert.ok(!JSON.stringify(labels).includes('secret-value-123'));
    await driver.stop(handle, { signal: 'SIGTERM', timeoutMs: 5_000 });
  });

  test('a [processes] command replaces the CMD, as words or through sh -c', async () => {
    const words = (await driver.start(specFor({ command: 'node server.js "as words"' }))) as DockerHandle;
    assert.equal(await answer(words.addresses['8080']!), 'hello from as words');
    const shell = (await driver.start(
      specFor({ command: 'echo starting $GREETING && exec node server.js "via sh"' }),
    )) as DockerHandle;
    assert.equal(await answer(shell.addresses['8080']!), 'hello from via sh');
    assert.deepEqual(await driver.tailLogs(shell, 2), ['starting berth', 'listening on 8080']);
    const info = await docker.getContainer(shell.containerId).inspect();
    assert.deepEqual(info.Config.Cmd, [
      '/bin/sh',
      '-c',
      'echo starting $GREETING && exec node server.js "via sh"',
    ]);
    await driver.stop(words, { signal: 'SIGTERM', timeoutMs: 5_000 });
    await driver.stop(shell, { signal: 'SIGTERM', timeoutMs: 5_000 });
  });

  test("the image's ENTRYPOINT runs in front of a [processes] command as of its own CMD", async () => {
    const artifact = await packedApp({
      Dockerfile: [
        'FROM node:20-slim',
        'COPY entry.sh /entry.sh',
        'ENTRYPOINT ["/bin/sh", "/entry.sh"]',
        'CMD ["node", "-e", "console.log(\'the image CMD\')"]',
      ].join('\n'),
      'entry.sh': 'echo "entrypoint before: $*"\nexec "$@"\n',
    });
    const prepared = await driver.prepareRelease(prepareRequest(7, artifact, {}));
    const run = async (command: string) => {
      const handle = (await driver.start(specFor({ prepared, command, ports: [] }))) as DockerHandle;
      await exitOf(handle);
      return driver.tailLogs(handle, 10);
    };
    assert.deepEqual(await run(''), [
      "entrypoint before: node -e console.log('the image CMD')",
      'the image CMD',
    ]);
    assert.deepEqual(await run('node -e "console.log(6 * 7)"'), [
      'entrypoint before: node -e console.log(6 * 7)',
      '42',
    ]);
    assert.deepEqual(await run('echo via $GREETING'), [
      'entrypoint before: /bin/sh -c echo via $GREETING',
      'via berth',
    ]);
  });

  test('stop sends kill_signal, waits kill_timeout, then SIGKILL', async () => {
    const trap =
      'trap "echo caught INT; exit 7" INT; echo ready; node -e "setInterval(() => {}, 1000)" & wait';
    const graceful = (await driver.start(specFor({ command: trap, ports: [] }))) as DockerHandle;
    await eventually(async () => (await driver.tailLogs(graceful, 5)).includes('ready'), 20_000, 'ready');
    await driver.stop(graceful, { signal: 'SIGINT', timeoutMs: 20_000 });
    assert.deepEqual(await driver.inspect(graceful), { state: 'exited', exitCode: 7, signal: null });
    assert.ok((await driver.tailLogs(graceful, 5)).includes('caught INT'));

    const stubborn =
      'trap "echo ignoring" TERM; echo ready; while true; do node -e "setTimeout(() => {}, 200)"; done';
    const ignoring = (await driver.start(specFor({ command: stubborn, ports: [] }))) as DockerHandle;
    await eventually(async () => (await driver.tailLogs(ignoring, 5)).includes('ready'), 20_000, 'ready');
    await driver.stop(ignoring, { signal: 'TERM', timeoutMs: 300 });
    assert.deepEqual(await driver.inspect(ignoring), { state: 'exited', exitCode: null, signal: 'SIGKILL' });
    // Stopping what has stopped is a no-op.
    await driver.stop(ignoring, { signal: 'SIGTERM', timeoutMs: 300 });
  });

  test('an exit is reported through onExit and inspect', async () => {
    const exits: { machineId: string; exitCode: number | null; signal: string | null }[] = [];
    driver.onExit((machineId, exit) => exits.push({ machineId, ...exit }));
    const spec = specFor({ command: 'node -e "setTimeout(() => process.exit(3), 300)"', ports: [] });
    const handle = (await driver.start(spec)) as DockerHandle;
    const seen = await eventually(() => exits.find((e) => e.machineId === spec.machineId), 20_000, 'onExit');
    assert.deepEqual(seen, { machineId: spec.machineId, exitCode: 3, signal: null });
    assert.deepEqual(await driver.inspect(handle), { state: 'exited', exitCode: 3, signal: null });
    // A machine's next run is a fresh container under the same name.
    const again = (await driver.start(spec)) as DockerHandle;
    assert.equal(again.containerName, handle.containerName);
    assert.notEqual(again.containerId, handle.containerId);
    assert.deepEqual(await driver.inspect(handle), { state: 'missing' });
    await eventually(
      () => exits.filter((e) => e.machineId === spec.machineId).length === 2,
      20_000,
      'second exit',
    );
  });

  test('logs: the last lines as written, then new lines as they come', async () => {
    const handle = (await driver.start(specFor({ command: 'node logger.js', ports: [] }))) as DockerHandle;
    const first = await eventually(
      async () => {
        const lines = await driver.tailLogs(handle, 1000);
        return lines.includes('tick 1') ? lines : undefined;
      },
      20_000,
      'the first tick',
    );
    // stdout and stderr each keep their order; between them the Engine keeps order in time only,
    // and a busy host can run two of the logger's timers at once.
    const lines = first!;
    assert.deepEqual(
      [...lines.slice(0, 5)].sort(),
      ['line 1', 'line 2', 'line 3', 'line 4', 'line 5'],
      lines.join(','),
    );
    assert.deepEqual(
      lines.filter((line) => ['line 1', 'line 3', 'line 5', 'tick 1'].includes(line)),
      ['line 1', 'line 3', 'line 5', 'tick 1'],
    );
    assert.equal((await driver.tailLogs(handle, 2)).length, 2);

    const followed: string[] = [];
    const abort = new AbortController();
    const following = driver.followLogs(handle, (line) => followed.push(line), abort.signal);
    await eventually(() => followed.length >= 3, 20_000, 'followed lines');
    abort.abort();
    await following;
    assert.ok(
      followed.every((line) => /^tick \d+$/.test(line)),
      followed.join(','),
    );
    const ticks = followed.map((line) => Number(line.slice(5)));
    assert.ok(ticks[0]! > 1 && ticks.every((n, i) => i === 0 || n === ticks[i - 1]! + 1), followed.join(','));
    await driver.stop(handle, { signal: 'SIGTERM', timeoutMs: 5_000 });
  });

  test('a volume keeps its data from one container to the next', async () => {
    const volumeId = `vol_${randomBytes(8).toString('hex')}`;
    const mounts = [{ volumeId, destination: '/data' }];
    const writer = (await driver.start(
      specFor({
        command: "node -e \"require('fs').writeFileSync('/data/kept', 'still here')\"",
        ports: [],
        mounts,
      }),
    )) as DockerHandle;
    assert.deepEqual(await exitOf(writer), { state: 'exited', exitCode: 0, signal: null });
    await driver.destroy(writer);
    await driver.destroy(writer);
    assert.deepEqual(await driver.inspect(writer), { state: 'missing' });
    const reader = (await driver.start(
      specFor({
        command: "node -e \"process.stdout.write(require('fs').readFileSync('/data/kept', 'utf8'))\"",
        ports: [],
        mounts,
      }),
    )) as DockerHandle;
    await exitOf(reader);
    assert.deepEqual(await driver.tailLogs(reader, 5), ['still here']);
    // A running container holds the volume; an exited one that still names it goes with it.
    const holder = (await driver.start(specFor({ command: 'sleep 60', ports: [], mounts }))) as DockerHandle;
    await rejectsWith(driver.removeVolume(volumeId), 'volume_attached', /still used/);
    await driver.stop(holder, { signal: 'SIGKILL', timeoutMs: 1_000 });
    await driver.removeVolume(volumeId);
    assert.deepEqual(await driver.inspect(reader), { state: 'missing' });
    await driver.destroy(holder);
    await driver.removeVolume(volumeId);
    await assert.rejects(docker.getVolume(`berth-${volumeId}`).inspect(), /no such volume/i);
  });

  test('[[vm]] sizing becomes container limits', async () => {
    const handle = (await driver.start(
      specFor({ limits: { memoryMb: 96, cpus: 0.5 }, ports: [], command: 'node -e ""' }),
    )) as DockerHandle;
    const info = await docker.getContainer(handle.containerId).inspect();
    assert.equal(info.HostConfig.Memory, 96 * 1024 * 1024);
    assert.equal(info.HostConfig.NanoCpus, 500_000_000);
    assert.equal(info.HostConfig.Init, true);
  });

  test('a new driver on the same home adopts running containers by label; another home sees none', async () => {
    const spec = specFor();
    const handle = (await driver.start(spec)) as DockerHandle;
    const later = await createDockerDriver({ home, dockerHost: dockerHost!, log: () => {} });
    const other = await createDockerDriver({
      home: join(root, 'other-home'),
      dockerHost: dockerHost!,
      log: () => {},
    });
    try {
      assert.deepEqual(await later.recover(spec.machineId), handle);
      assert.deepEqual(await later.inspect(handle), { state: 'running' });
      assert.equal(await answer(handle.addresses['8080']!), 'hello from the image CMD');
      assert.equal(await other.recover(spec.machineId), undefined);
      assert.deepEqual(await other.inspect(handle), { state: 'missing' });
      assert.equal(await later.recover('no-such-machine'), undefined);
      await later.stop(handle, { signal: 'SIGTERM', timeoutMs: 5_000 });
      assert.equal((await driver.inspect(handle)).state, 'exited');
    } finally {
      later.close();
      other.close();
    }
  });

  test('pruning keeps the last 10 release images and the ones named, and never the base image', async () => {
    const artifact = await packedApp({ 'fly.toml': '' });
    const prepared: PreparedRelease[] = [];
    for (let version = 101; version <= 113; version++) {
      prepared.push(
        await driver.prepareRelease(prepareRequest(version, artifact, { image: 'node:20-slim' })),
      );
    }
    await driver.pruneReleases(app, [prepared[1]!]);
    const tags = (await docker.listImages({ filters: { reference: [`berth/${app}`] } }))
      .flatMap((image) => image.RepoTags ?? [])
      .map((tag) => Number(tag.split(':v')[1]))
      .sort((a, b) => a - b);
    assert.deepEqual(
      tags.filter((v) => v > 100),
      [102, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113],
    );
    // The older ones go too: v5 was only a second name of the base image; the images this file
    // built stay while its stopped containers still use them (the Engine refuses, berth waits).
    assert.ok(!tags.includes(5), tags.join(','));
    assert.ok(tags.includes(1), tags.join(','));
    await docker.getImage('node:20-slim').inspect();
    assert.ok(await driver.releaseAvailable(prepared[0]!));

    // A destroyed app keeps none of its release images, not even the newest.
    await driver.pruneReleases(app, [], { appDestroyed: true });
    const left = (await docker.listImages({ filters: { reference: [`berth/${app}`] } }))
      .flatMap((image) => image.RepoTags ?? [])
      .filter((tag) => Number(tag.split(':v')[1]) > 100);
    assert.deepEqual(left, []);
    await docker.getImage('node:20-slim').inspect();
  });

  test(
    'exits are still reported after the event stream drops, including those during the outage',
    {
      skip: dockerHost?.startsWith('unix://') ? false : 'needs the Engine on a unix socket',
    },
    async () => {
      // A relay in front of the Engine's socket that can cut every connection and refuse new ones.
      const enginePath = new URL(dockerHost!).pathname;
      const relayPath = join(root, 'relay.sock');
      const open = new Set<Socket>();
      let refusing = false;
      const relay = createServer((client) => {
        if (refusing) return void client.destroy();
        const upstream = connect(enginePath);
        open.add(client).add(upstream);
        const close = () => (
          client.destroy(),
          upstream.destroy(),
          open.delete(client),
          open.delete(upstream)
        );
        client.on('error', close).on('close', close);
        upstream.on('error', close).on('close', close);
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => relay.listen(relayPath, resolve));
      const log: string[] = [];
      const watcher = await createDockerDriver({
        home,
        dockerHost: `unix://${relayPath}`,
        log: (l) => log.push(l),
      });
      const exits: string[] = [];
      watcher.onExit((machineId) => exits.push(machineId));
      try {
        const first = specFor({ command: 'node -e ""', ports: [] });
        await driver.start(first);
        await eventually(() => exits.includes(first.machineId), 20_000, 'the first exit');

        refusing = true;
        for (const socket of open) socket.destroy();
        await eventually(() => log.some((l) => /reconnecting/.test(l)), 20_000, 'the drop to be noticed');
        const during = specFor({ command: 'node -e ""', ports: [] });
        const handle = (await driver.start(during)) as DockerHandle;
        await exitOf(handle);
        refusing = false;
        await eventually(() => exits.includes(during.machineId), 20_000, 'the exit during the outage');
        assert.ok(
          log.some((l) => /watching container exits again/.test(l)),
          log.join('\n'),
        );
        assert.equal(exits.filter((id) => id === first.machineId).length, 1);
      } finally {
        watcher.close();
        for (const socket of open) socket.destroy();
        await new Promise((resolve) => relay.close(resolve));
      }
    },
  );

  test('isolation and mounts are stated', async () => {
    const isolation = await driver.isolation();
    assert.equal(isolation.homeHidden, true);
    assert.equal(isolation.processesContained, true);
    assert.match(isolation.summary, /containers/);
    assert.deepEqual(await driver.mountCapability(), { ok: true });
    assert.deepEqual(driverLog, []);
  });
});
