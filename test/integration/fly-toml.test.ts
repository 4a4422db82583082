// fly.toml as fly reads it, through the real CLI and daemon: the driver a build implies, the
// refusals of what the process driver cannot run (buildpacks, an empty command), and a machine
// that listens on a fixed port instead of $PORT, reported within seconds instead of at the
// deploy's wait_timeout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReleaseInfo } from '../../src/sdk/types.js';
import { TestDaemon } from '../helpers/daemon.js';

let daemon: TestDaemon;
let work: string;
before(async () => {
  daemon = await TestDaemon.start();
  work = mkdtempSync(join(tmpdir(), 'berth-flytoml-'));
});
after(async () => {
  await daemon.destroy();
  rmSync(work, { recursive: true, force: true });
});

/** A directory holding fly.toml and the given files. */
function appDir(name: string, flyToml: string, files: Record<string, string> = {}): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'fly.toml'), flyToml);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

/** A port nothing listens on now, for an app that insists on its own. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Validated {
  valid: boolean;
  driver: { name: string; reason: string } | null;
  diagnostics: { severity: string; path: string; message: string; code?: string }[];
}

test('config validate names the driver the build implies: an image, a named Dockerfile, a Dockerfile at the root, a tree', async () => {
  const cases = [
    {
      dir: appDir('image', 'app = "img"\n[build]\nimage = "nginx:1.27"\n'),
      driver: 'docker',
      reason: /\[build\] image = "nginx:1.27"/,
    },
    {
      dir: appDir('named', 'app = "named"\n[build]\ndockerfile = "Dockerfile.prod"\nbuild-target = "web"\n'),
      driver: 'docker',
      reason: /\[build\] dockerfile = "Dockerfile.prod"/,
    },
    {
      dir: appDir('root', 'app = "root"\n[http_service]\ninternal_port = 8080\n', {
        Dockerfile: 'FROM node:20-slim\n',
      }),
      driver: 'docker',
      reason: /a Dockerfile in the directory/,
    },
    {
      dir: appDir('tree', 'app = "tree"\n[processes]\napp = "node server.js"\n'),
      driver: 'process',
      reason: /no \[build\] image/,
    },
  ];
  for (const c of cases) {
    const text = await daemon.cli(['config', 'validate', c.dir]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stderr, new RegExp(`note: this config implies the ${c.driver} driver`));
    assert.match(text.stderr, c.reason);
    const json = JSON.parse((await daemon.cli(['config', 'validate', c.dir, '--json'])).stdout) as Validated;
    assert.equal(json.driver?.name, c.driver);
    assert.match(json.driver.reason, c.reason);
  }
});

test('config validate: fly defaults for ports, said where berth chooses; buildpacks refused with unsupported_builder', async () => {
  const defaults = appDir(
    'defaults',
    [
      'app = "defaults"',
      '[[services]]',
      'protocol = "tcp"',
      '[[services.ports]]',
      'port = 80',
      'handlers = ["http"]',
      '[[services.tcp_checks]]',
      'interval = "15s"',
      '[checks.alive]',
      'type = "http"',
      'path = "/up"',
    ].join('\n'),
  );
  const result = await daemon.cli(['config', 'validate', defaults, '--json']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const parsed = JSON.parse(result.stdout) as Validated & {
    config: { services: { internalPort: number; checks: { port: number }[] }[]; checks: { port: number }[] };
  };
  assert.equal(parsed.config.services[0]!.internalPort, 8080);
  assert.equal(parsed.config.services[0]!.checks[0]!.port, 8080);
  assert.equal(parsed.config.checks[0]!.port, 8080);
  assert.ok(
    parsed.diagnostics.some(
      (d) => d.path === 'checks.alive' && /no port; berth checks port 8080/.test(d.message),
    ),
    JSON.stringify(parsed.diagnostics),
  );

  const buildpacks = appDir('buildpacks', 'app = "bp"\n[build]\nbuilder = "heroku/buildpacks:20"\n');
  const refused = await daemon.cli(['config', 'validate', buildpacks]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /fly\.toml:3: error: build\.builder: buildpacks are not supported/);
  assert.match(refused.stderr, /hint: .*add a Dockerfile/);
  const json = JSON.parse(
    (await daemon.cli(['config', 'validate', buildpacks, '--json'])).stdout,
  ) as Validated;
  assert.equal(json.valid, false);
  assert.deepEqual(
    json.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code),
    ['unsupported_builder'],
  );
  const deploy = await daemon.cli(['deploy', buildpacks]);
  assert.equal(deploy.code, 2, 'refused before anything is sent');
});

test('an empty [processes] command is valid config, refused by the process driver before anything changes', async () => {
  const dir = appDir(
    'empty',
    'app = "empty"\n[processes]\napp = ""\n[http_service]\ninternal_port = 8080\n',
    {
      Dockerfile: 'FROM node:20-slim\nCMD ["node", "server.js"]\n',
    },
  );
  assert.equal((await daemon.cli(['config', 'validate', dir])).code, 0);
  // Chosen by hand: with an Engine at hand, the Dockerfile would pick the docker driver.
  const result = await daemon.cli(['deploy', dir, '--driver', 'process']);
  assert.equal(result.code, 3, result.stdout + result.stderr);
  assert.match(
    result.stderr,
    /note: this config implies the docker driver \(a Dockerfile in the directory\)/,
  );
  assert.match(result.stdout, /process group "app" has an empty command \(\[processes\] app = ""\)/);
  assert.match(result.stdout, /hint: Write the command in \[processes\].*docker driver/);
  assert.deepEqual(await daemon.machines('empty'), []);
  const [release] = await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', 'empty']);
  assert.equal(release!.status, 'failed');
});

test('a machine listening on a fixed port instead of $PORT fails with wrong_port, naming the port, long before wait_timeout', async () => {
  const fixed = await freePort();
  const server = `require('http').createServer((q, s) => s.end('hi')).listen(${fixed}, '127.0.0.1');\n`;
  const toml = (checks: string) =>
    [
      'app = "fixed"',
      '[processes]',
      'app = "node server.js"',
      '[deploy]',
      // Were the wrong port noticed only at wait_timeout, the CLI call would time out first.
      'wait_timeout = "5m"',
      '[http_service]',
      `internal_port = ${fixed}`,
      checks,
    ].join('\n');

  // Without checks: the wait for the port to open.
  const plain = await daemon.cli(['deploy', appDir('fixed', toml(''), { 'server.js': server }), '--json']);
  assert.equal(plain.code, 4, plain.stdout + plain.stderr);
  const events = plain.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map(
      (l) => JSON.parse(l) as { kind: string; message: string; data?: { code?: string; ports?: number[] } },
    );
  const wrong = events.find((e) => e.kind === 'machine.wrong_port');
  assert.ok(wrong, plain.stdout);
  assert.equal(wrong.data?.code, 'wrong_port');
  assert.deepEqual(wrong.data?.ports, [fixed]);
  assert.match(wrong.message, new RegExp(`listening on port ${fixed}, not on its \\$PORT \\(\\d+\\)`));
  const [release] = await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', 'fixed']);
  assert.match(release!.failureReason ?? '', /wrong_port: it listens on port \d+/);
  assert.match(
    release!.failureReason ?? '',
    /hint: Make the app listen on the port in the PORT environment variable.*docker driver/,
  );
  assert.deepEqual(await daemon.machines('fixed'), []);

  // With a health check: the same, while the check fails.
  const checked = await daemon.cli([
    'deploy',
    appDir('fixed-checked', toml('[[http_service.checks]]\npath = "/"\ninterval = "1s"'), {
      'server.js': server,
    }),
  ]);
  assert.equal(checked.code, 4, checked.stdout + checked.stderr);
  assert.match(checked.stdout, new RegExp(`wrong_port: it listens on port ${fixed} \\(its internal_port\\)`));
  assert.match(checked.stdout, /hint: Make the app listen on the port in the PORT environment variable/);
});
