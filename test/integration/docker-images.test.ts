// The test base images and the Docker example, against a real Engine (see test/helpers/docker-engine.ts):
// the locally made node:20-slim / node:20-alpine have what Dockerfiles and tests use, making
// them again with the same inputs changes nothing, and examples/docker-hello's unchanged
// Dockerfile builds on them and serves HTTP from its container.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import * as tar from 'tar';
import { EXAMPLES } from '../helpers/daemon.js';
import { dockerSkipReason, Engine, runToEnd } from '../helpers/docker-engine.js';
import {
  ensureTestImages,
  INPUTS_LABEL,
  makeTestImages,
  TEST_BASE_IMAGES,
} from '../helpers/docker-images.js';

const skip = dockerSkipReason();
const engine = skip ? undefined : new Engine();
const cleanups: (() => Promise<unknown>)[] = [];

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(5_000, () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Retries until the container's server answers (or 30 s pass, then the last error). */
async function getWhenUp(port: number, path: string): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await get(port, path);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

test(
  'the test base images have node, npm, sh and the usual tools, as root and as node',
  { skip },
  async () => {
    await ensureTestImages(engine);
    for (const image of TEST_BASE_IMAGES) {
      const script =
        'echo "sh ok"; sleep 0.01; cat /etc/passwd | grep -c :; node -e "console.log(process.version)"; ' +
        'npm --version >/dev/null && echo "npm ok"; touch /tmp/x && echo "tmp ok"; id -un';
      const asRoot = await runToEnd(engine!, image, ['sh', '-c', script]);
      assert.equal(asRoot.code, 0, asRoot.stderr);
      assert.deepEqual(asRoot.stdout.trim().split('\n'), [
        'sh ok',
        '2',
        process.version,
        'npm ok',
        'tmp ok',
        'root',
      ]);

      const asNode = await runToEnd(engine!, image, ['sh', '-c', 'cd && touch here && pwd && id -un'], {
        user: 'node',
      });
      assert.equal(asNode.code, 0, asNode.stderr);
      assert.deepEqual(asNode.stdout.trim().split('\n'), ['/home/node', 'node']);

      const cmd = await engine!.json<{ Config: { Cmd: string[]; Env: string[] } }>(
        'GET',
        `/images/${image}/json`,
      );
      assert.deepEqual(cmd.Config.Cmd, ['node']);
      assert.ok(cmd.Config.Env.some((line) => line.startsWith('PATH=/usr/local/sbin:/usr/local/bin:')));
    }
  },
);

test('making the test base images again with the same inputs leaves them as they are', { skip }, async () => {
  const first = await ensureTestImages(engine);
  const before = await engine!.json<{ Id: string }>('GET', `/images/${TEST_BASE_IMAGES[0]}/json`);
  const again = await makeTestImages(engine!);
  assert.equal(again.made, false);
  assert.equal(again.digest, first.digest);
  for (const name of TEST_BASE_IMAGES) {
    const image = await engine!.json<{ Id: string; Config: { Labels: Record<string, string> } }>(
      'GET',
      `/images/${name}/json`,
    );
    assert.equal(image.Id, before.Id, `${name} is the same image`);
    assert.equal(image.Config.Labels[INPUTS_LABEL], first.digest);
  }
});

test(
  'examples/docker-hello builds from its unchanged Dockerfile and answers on its published port',
  { skip },
  async () => {
    await ensureTestImages(engine);
    const dir = join(EXAMPLES, 'docker-hello');
    const tag = `berth-test/docker-hello:${process.pid}`;
    const context = Readable.from(tar.c({ cwd: dir, gzip: true, portable: true }, readdirSync(dir)));
    cleanups.push(() => engine!.call('DELETE', `/images/${encodeURIComponent(tag)}?force=1`));
    const build = await engine!.progress(
      'POST',
      `/build?t=${encodeURIComponent(tag)}&rm=1&forcerm=1`,
      context,
      'application/x-tar',
      300_000,
    );
    assert.match(build.output, /FROM node:20-slim/i);
    assert.match(build.output, /RUN npm ci --omit=dev/i);

    const container = await engine!.json<{ Id: string }>('POST', '/containers/create', {
      Image: tag,
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    cleanups.push(() => engine!.call('DELETE', `/containers/${container.Id}?force=1`));
    await engine!.json('POST', `/containers/${container.Id}/start`);
    const inspect = await engine!.json<{
      Config: { Cmd: string[]; WorkingDir: string };
      NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> };
    }>('GET', `/containers/${container.Id}/json`);
    assert.deepEqual(inspect.Config.Cmd, ['node', 'server.js']);
    assert.equal(inspect.Config.WorkingDir, '/app');
    const published = inspect.NetworkSettings.Ports['8080/tcp']?.[0];
    assert.ok(published, 'port 8080 is published');

    const health = await getWhenUp(Number(published.HostPort), '/healthz');
    assert.equal(health.status, 200);
    const hello = await get(Number(published.HostPort), '/');
    assert.equal(hello.status, 200);
    assert.match(hello.body, /^hello from a container: release vdev, machine local$/m);
  },
);
