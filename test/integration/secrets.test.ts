// Secrets end to end, on each driver: the real CLI sets them, the daemon seals them, a real
// machine and its release command see them in their environment (the app answers with a hash,
// never the value), and then every file the daemon keeps, every log and every API response is
// searched for the value and found clean.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  chmodSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MachineInfo, ReleaseInfo, SecretsList } from '../../src/sdk/types.js';
import { eventually, hostPidOf, TestDaemon, type CliResult } from '../helpers/daemon.js';
import { Engine } from '../helpers/docker-engine.js';
import { containerOfMachine } from '../helpers/docker-home.js';
import { addDockerfile, testDrivers } from '../helpers/drivers.js';

const APP = 'vault';
/** Distinctive, random, and never printed by this test either. */
const TOKEN = `tok-${randomBytes(18).toString('hex')}`;
const PIPED = `piped-${randomBytes(12).toString('hex')}`;
const STAGED = `staged-${randomBytes(12).toString('hex')}`;
const OTHER = `other-${randomBytes(12).toString('hex')}`;
const VALUES = [TOKEN, PIPED, STAGED, OTHER];

const SERVER = `import http from 'node:http';
import { createHash } from 'node:crypto';
const sha = (v) => createHash('sha256').update(v).digest('hex');
console.log('booting; SECRET_TOKEN is ' + (process.env.SECRET_TOKEN === undefined ? 'absent' : 'present'));
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  const name = new URL(req.url, 'http://x').searchParams.get('name') ?? 'SECRET_TOKEN';
  const value = process.env[name];
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ present: value !== undefined, sha256: value === undefined ? null : sha(value),
    machine: process.env.BERTH_MACHINE_ID, pid: process.pid }));
});
server.listen(Number(process.env.PORT));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
`;
const RELEASE = `import { createHash } from 'node:crypto';
if (process.env.FAIL_RELEASE) { console.error('release command refuses: FAIL_RELEASE is set'); process.exit(1); }
const v = process.env.SECRET_TOKEN;
console.log('release command sees SECRET_TOKEN ' + (v === undefined ? 'absent' : 'sha256=' + createHash('sha256').update(v).digest('hex')));
`;

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');

for (const driver of testDrivers()) {
  describe(`secrets (${driver.name})`, { skip: driver.skip }, () => {
    let daemon: TestDaemon;
    let dir: string;
    /** Every CLI result, searched for the values at the end. */
    const outputs: CliResult[] = [];

    async function cli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
      // Every deploy names the driver; the commands that deploy without a directory keep the app's.
      const result = await daemon.cli(args[0] === 'deploy' ? [...args, ...driver.deployArgs] : args, options);
      outputs.push(result);
      return result;
    }

    interface Seen {
      present: boolean;
      sha256: string | null;
      machine: string;
      pid: number;
    }

    async function seen(name: string): Promise<Seen> {
      const res = await daemon.proxied(APP, `/?name=${name}`);
      assert.equal(res.status, 200, res.body);
      return JSON.parse(res.body) as Seen;
    }

    async function releases(): Promise<ReleaseInfo[]> {
      return daemon.cliJson<ReleaseInfo[]>(['releases', '-a', APP]);
    }

    function writeApp(target: string): void {
      mkdirSync(target, { recursive: true });
      writeFileSync(join(target, 'server.js'), SERVER);
      writeFileSync(join(target, 'release.js'), RELEASE);
      writeFileSync(join(target, 'package.json'), '{"type":"module"}');
      addDockerfile(target, driver.name);
      writeFileSync(
        join(target, 'berth.toml'),
        [
          `app = "${APP}"`,
          'kill_timeout = "3s"',
          '[processes]',
          'app = "node server.js"',
          '[deploy]',
          'release_command = "node release.js"',
          'wait_timeout = "20s"',
          '[http_service]',
          'internal_port = 8080',
          '[[http_service.checks]]',
          'path = "/healthz"',
          'interval = "1s"',
          'timeout = "1s"',
          'grace_period = "0s"',
        ].join('\n') + '\n',
      );
    }

    before(async () => {
      await driver.prepare();
      daemon = await TestDaemon.start();
      dir = mkdtempSync(join(tmpdir(), 'berth-secrets-app-'));
      writeApp(dir);
    });
    after(async () => {
      await daemon.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    test('secrets set before the first release only stores them; the first deploy starts with them', async () => {
      assert.equal((await cli(['apps', 'create', APP])).code, 0);
      const set = await cli(['secrets', 'set', `SECRET_TOKEN=${TOKEN}`, '-a', APP]);
      assert.equal(set.code, 0, set.stderr);
      assert.match(
        set.stdout,
        /Stored on vault: set SECRET_TOKEN\. vault has no release yet: its first deploy/,
      );
      assert.equal((await releases()).length, 0);
      const key = statSync(join(daemon.home, 'master.key'));
      assert.equal(key.mode & 0o777, 0o600, 'master.key is private to its owner');

      const deploy = await cli(['deploy', dir]);
      assert.equal(deploy.code, 0, deploy.stderr + deploy.stdout);
      assert.match(deploy.stdout, new RegExp(`release command sees SECRET_TOKEN sha256=${sha256(TOKEN)}`));
      const view = await seen('SECRET_TOKEN');
      assert.deepEqual([view.present, view.sha256], [true, sha256(TOKEN)]);
      const [v1] = await releases();
      assert.match(v1!.secretsDigest ?? '', /^[0-9a-f]{12}$/);
    });

    test('the value reaches the machine by environment, never by its command line', async () => {
      const view = await seen('SECRET_TOKEN');
      let pid: number;
      if (driver.name === 'process') pid = hostPidOf(APP, daemon.home, view.pid);
      else {
        // The container's main process, as the host sees it; and the value is in none of its labels.
        const container = await containerOfMachine(new Engine(), daemon.home, view.machine);
        assert.ok(container, `no container of machine ${view.machine}`);
        assert.ok(!JSON.stringify(container.Labels).includes(TOKEN), 'a label holds the value');
        pid = (await new Engine().json<{ State: { Pid: number } }>('GET', `/containers/${container.Id}/json`))
          .State.Pid;
      }
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      assert.ok(!cmdline.includes(TOKEN));
      assert.ok(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`SECRET_TOKEN=${TOKEN}`));
    });

    test('secrets set deploys a new release of the current code and config, as deploy does', async () => {
      const before = await releases();
      const set = await cli(['secrets', 'set', `OTHER_TOKEN=${OTHER}`, '-a', APP]);
      assert.equal(set.code, 0, set.stderr + set.stdout);
      assert.match(set.stdout, /==> Release v2 of vault created: secrets: set OTHER_TOKEN/);
      assert.match(set.stdout, /release command sees SECRET_TOKEN sha256=/);
      assert.match(set.stdout, /v2 is live: http:\/\/vault\.localhost:\d+\s*$/);
      const [v2] = await releases();
      assert.equal(v2!.artifactDigest, before[0]!.artifactDigest);
      assert.equal(v2!.status, 'complete');
      assert.notEqual(v2!.secretsDigest, before[0]!.secretsDigest);
      assert.equal((await seen('OTHER_TOKEN')).sha256, sha256(OTHER));
      assert.equal((await seen('SECRET_TOKEN')).sha256, sha256(TOKEN));
    });

    test('a value of "-" is read from stdin, losing only the trailing newline', async () => {
      const set = await cli(['secrets', 'set', 'PIPED_TOKEN=-', '-a', APP], { input: `${PIPED}\n` });
      assert.equal(set.code, 0, set.stderr + set.stdout);
      assert.match(set.stdout, /secrets: set PIPED_TOKEN/);
      assert.equal((await seen('PIPED_TOKEN')).sha256, sha256(PIPED));
    });

    test('secrets list shows names, digests and dates, never values', async () => {
      const list = await daemon.cliJson<SecretsList>(['secrets', 'list', '-a', APP]);
      assert.deepEqual(
        list.secrets.map((s) => s.name),
        ['OTHER_TOKEN', 'PIPED_TOKEN', 'SECRET_TOKEN'],
      );
      for (const s of list.secrets) {
        assert.match(s.digest ?? '', /^[0-9a-f]{12}$/);
        assert.equal(s.pending, null);
        assert.equal(s.updatedBy, 'admin');
      }
      assert.equal(list.digest, (await releases())[0]!.secretsDigest);
      const shown = await cli(['secrets', 'list', '-a', APP]);
      assert.match(shown.stdout, /^NAME\s+DIGEST\s+UPDATED\s+PENDING$/m);
      assert.match(shown.stdout, /^SECRET_TOKEN\s+[0-9a-f]{12}\s+\d{4}-\d\d-\d\dT/m);
    });

    test('--stage stores a change without a release; secrets deploy applies it with one', async () => {
      const count = (await releases()).length;
      const staged = await cli(['secrets', 'set', `STAGED_TOKEN=${STAGED}`, '--stage', '-a', APP]);
      assert.equal(staged.code, 0, staged.stderr);
      assert.match(
        staged.stdout,
        /Staged on vault: set STAGED_TOKEN\. `berth secrets deploy -a vault` applies set STAGED_TOKEN/,
      );
      const unstaged = await cli(['secrets', 'unset', 'OTHER_TOKEN', '--stage', '-a', APP]);
      assert.equal(unstaged.code, 0, unstaged.stderr);
      assert.equal((await releases()).length, count, 'staging makes no release');
      assert.equal((await seen('STAGED_TOKEN')).present, false);
      assert.equal((await seen('OTHER_TOKEN')).present, true);

      const list = await cli(['secrets', 'list', '-a', APP]);
      assert.match(list.stdout, /^STAGED_TOKEN\s+-\s+-\s+set \([0-9a-f]{12}\), staged by admin$/m);
      assert.match(list.stdout, /^OTHER_TOKEN\s+[0-9a-f]{12}\s+\S+\s+unset, staged by admin$/m);
      assert.match(list.stdout, /Staged changes are pending: `berth secrets deploy -a vault` applies them/);

      const deploy = await cli(['secrets', 'deploy', '-a', APP]);
      assert.equal(deploy.code, 0, deploy.stderr + deploy.stdout);
      assert.match(deploy.stdout, /created: secrets: set STAGED_TOKEN; unset OTHER_TOKEN/);
      assert.match(deploy.stdout, /^\s+secrets applied: set STAGED_TOKEN; unset OTHER_TOKEN$/m);
      assert.equal((await seen('STAGED_TOKEN')).sha256, sha256(STAGED));
      assert.equal((await seen('OTHER_TOKEN')).present, false);
      const after = await daemon.cliJson<SecretsList>(['secrets', 'list', '-a', APP]);
      assert.deepEqual(after.pending, { set: [], unset: [] });

      const again = await cli(['secrets', 'deploy', '-a', APP]);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /error: app "vault" has no staged secret changes/);
      assert.match(again.stderr, /code: nothing_staged/);
    });

    test('secrets unset removes a secret with a new release', async () => {
      const unset = await cli(['secrets', 'unset', 'STAGED_TOKEN', '-a', APP]);
      assert.equal(unset.code, 0, unset.stderr + unset.stdout);
      assert.match(unset.stdout, /created: secrets: unset STAGED_TOKEN/);
      assert.equal((await seen('STAGED_TOKEN')).present, false);
      const unknown = await cli(['secrets', 'unset', 'NEVER_SET', '-a', APP]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /error: app "vault" has no secret NEVER_SET/);
      assert.match(unknown.stderr, /code: secret_not_found/);
    });

    test('a secrets release that fails exits as a failed deploy would; the change stays saved', async () => {
      const before = await seen('SECRET_TOKEN');
      const failed = await cli(['secrets', 'set', 'FAIL_RELEASE=1', '-a', APP]);
      assert.equal(failed.code, 3, failed.stderr + failed.stdout);
      assert.match(failed.stdout, /release command refuses: FAIL_RELEASE is set/);
      assert.match(failed.stdout, /Deploy failed; the previous release keeps serving/);
      assert.match(failed.stderr, /The secret changes are saved \(set FAIL_RELEASE\)/);
      assert.equal((await seen('SECRET_TOKEN')).pid, before.pid, 'the serving machine was not touched');
      assert.equal((await seen('FAIL_RELEASE')).present, false);
      const fixed = await cli(['secrets', 'unset', 'FAIL_RELEASE', '-a', APP]);
      assert.equal(fixed.code, 0, fixed.stderr + fixed.stdout);
    });

    test('bad names and malformed arguments are refused with a hint, and quote no value', async () => {
      const count = (await releases()).length;
      const cases: Array<[string[], RegExp, RegExp]> = [
        [['1BAD=x'], /"1BAD" is not a valid secret name/, /code: invalid_secret_name/],
        [
          ['MY-KEY=x'],
          /"MY-KEY" is not a valid secret name/,
          /hint: Secret names are environment variable names/,
        ],
        [['BERTH_APP=x'], /"BERTH_APP" is reserved/, /code: invalid_secret_name/],
        [['PORT=1'], /"PORT" is reserved/, /hint: berth sets PORT in every machine .* APP_PORT/],
        [
          [TOKEN],
          /argument 1 is not NAME=VALUE/,
          /hint: Write NAME=VALUE, or NAME=- to read the value from stdin/,
        ],
        [[`=${TOKEN}`], /argument 1 has no name before "="/, /hint: /],
        [['A=-', 'B=-'], /only one value can come from stdin/, /hint: /],
      ];
      for (const [args, message, hint] of cases) {
        const result = await cli(['secrets', 'set', ...args, '-a', APP]);
        assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, message);
        assert.match(result.stderr, hint);
      }
      assert.equal((await releases()).length, count, 'a refused change makes no release');

      // Straight to the API: 4xx with a hint, and a body that does not parse is not quoted back.
      const badName = await daemon.api('POST', `/v1/apps/${APP}/secrets`, {
        body: JSON.stringify({ set: { 'bad name': TOKEN } }),
        contentType: 'application/json',
      });
      assert.equal(badName.status, 400);
      const error = (JSON.parse(badName.body) as { error: { code: string; hint: string } }).error;
      assert.equal(error.code, 'invalid_secret_name');
      assert.match(error.hint, /letters, digits and underscores/);
      const port = await daemon.api('POST', `/v1/apps/${APP}/secrets`, {
        body: JSON.stringify({ set: { PORT: '1' } }),
        contentType: 'application/json',
      });
      assert.equal(port.status, 400);
      const portError = (JSON.parse(port.body) as { error: { message: string; hint: string } }).error;
      assert.match(portError.message, /"PORT" is reserved/);
      assert.match(portError.hint, /port the app must listen on/);
      const garbled = await daemon.api('POST', `/v1/apps/${APP}/secrets`, {
        body: `{"set": {"A": ${TOKEN}}}`,
        contentType: 'application/json',
      });
      assert.equal(garbled.status, 400);
      assert.ok(!garbled.body.includes(TOKEN), garbled.body);
      const wrongType = await daemon.api('POST', `/v1/apps/${APP}/secrets`, {
        body: JSON.stringify({ set: { A: 5 }, extra: TOKEN }),
        contentType: 'application/json',
      });
      assert.equal(wrongType.status, 400);
      assert.ok(!wrongType.body.includes(TOKEN), wrongType.body);
    });

    test('rollback keeps the current secrets and says so', async () => {
      const result = await cli(['rollback', 'v1', '-a', APP]);
      assert.equal(result.code, 0, result.stderr + result.stdout);
      assert.match(
        result.stdout,
        /Secrets are the app's, not the release's: v\d+ runs v1's code and config with the current secrets/,
      );
      // v1 was made with SECRET_TOKEN alone; the rollback runs with today's set.
      assert.equal((await seen('SECRET_TOKEN')).sha256, sha256(TOKEN));
      assert.equal((await seen('PIPED_TOKEN')).sha256, sha256(PIPED));
      const list = await daemon.cliJson<SecretsList>(['secrets', 'list', '-a', APP]);
      assert.equal((await releases())[0]!.secretsDigest, list.digest);
    });

    test('a restarted daemon decrypts with the persisted master key; a loose key file is refused', async () => {
      assert.equal(await daemon.terminate(), 0);
      chmodSync(join(daemon.home, 'master.key'), 0o644);
      await assert.rejects(daemon.boot(), /master\.key is readable by others \(mode 0644\)/);
      assert.match(daemon.daemonLog(), /chmod 600/);
      chmodSync(join(daemon.home, 'master.key'), 0o600);
      await daemon.boot();

      const set = await cli(['secrets', 'set', `OTHER_TOKEN=${OTHER}`, '-a', APP]);
      assert.equal(set.code, 0, set.stderr + set.stdout);
      assert.match(set.stdout, new RegExp(`release command sees SECRET_TOKEN sha256=${sha256(TOKEN)}`));
      assert.equal((await seen('SECRET_TOKEN')).sha256, sha256(TOKEN));
      assert.equal((await seen('OTHER_TOKEN')).sha256, sha256(OTHER));

      // A different master key does not open these secrets: the daemon refuses to start.
      assert.equal(await daemon.terminate(), 0);
      const wrong = randomBytes(32).toString('base64');
      await assert.rejects(
        daemon.boot({ BERTH_MASTER_KEY: wrong }),
        /does not open the secrets of app "vault"/,
      );
      await assert.rejects(
        daemon.boot({ BERTH_MASTER_KEY: 'not-a-key' }),
        /BERTH_MASTER_KEY is not a 32-byte key/,
      );
      await daemon.boot();
    });

    test("no secret value appears in the database, the logs, the API's answers or the CLI's output", async () => {
      const machines = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', APP]);
      const versions = (await releases()).map((r) => r.version);
      const paths = [
        '/v1/apps',
        `/v1/apps/${APP}`,
        `/v1/apps/${APP}/status`,
        `/v1/apps/${APP}/releases`,
        `/v1/apps/${APP}/machines`,
        `/v1/apps/${APP}/events`,
        `/v1/apps/${APP}/logs?lines=10000`,
        `/v1/apps/${APP}/secrets`,
        `/v1/apps/${APP}/lock`,
        '/v1/openapi.json',
        ...versions.flatMap((v) => [`/v1/apps/${APP}/releases/${v}`, `/v1/apps/${APP}/releases/${v}/events`]),
        ...machines.map((m) => `/v1/apps/${APP}/logs?machine=${m.id}&lines=10000`),
      ];
      const answers: string[] = [];
      for (const path of paths) answers.push(`${path}: ${(await daemon.api('GET', path)).body}`);
      for (const args of [
        ['status', '-a', APP],
        ['releases', '-a', APP],
        ['logs', '-a', APP],
        ['secrets', 'list', '-a', APP],
        ['secrets', 'list', '-a', APP, '--json'],
        ...versions.map((v) => ['releases', 'show', `v${v}`, '-a', APP, '--json']),
      ]) {
        const result = await cli(args);
        assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      }

      // Every file under the daemon's home: berth.db with its -wal and -shm, daemon.log, machine
      // logs (process); docker keeps a machine's output in the Engine's log file of its container,
      // and the container's labels are the Engine's.
      const files = listFiles(daemon.home);
      assert.ok(files.some((f) => f.endsWith('berth.db')));
      assert.ok(files.some((f) => f.endsWith('berth.db-wal')));
      assert.ok(files.some((f) => f.endsWith('daemon.log')));
      if (driver.name === 'process') assert.ok(files.some((f) => f.endsWith('machine.log')));
      else {
        const engine = new Engine();
        for (const machine of machines) {
          const container = await containerOfMachine(engine, daemon.home, machine.id);
          assert.ok(container, `no container of machine ${machine.id}`);
          const info = await engine.json<{ LogPath: string; Config: { Labels: Record<string, string> } }>(
            'GET',
            `/containers/${container.Id}/json`,
          );
          assert.ok(existsSync(info.LogPath), info.LogPath);
          files.push(info.LogPath);
          answers.push(`labels of ${machine.id}: ${JSON.stringify(info.Config.Labels)}`);
        }
      }
      const haystacks: Array<[string, Buffer]> = [
        ...files.map((f): [string, Buffer] => [f, readFileSync(f)]),
        ...answers.map((a): [string, Buffer] => [a.slice(0, a.indexOf(':')), Buffer.from(a)]),
        ...outputs.map((o, i): [string, Buffer] => [`cli output ${i}`, Buffer.from(o.stdout + o.stderr)]),
      ];
      // The value itself, and the encodings a careless log line might use.
      const needles = VALUES.flatMap((v) => [
        Buffer.from(v),
        Buffer.from(Buffer.from(v).toString('base64')),
        Buffer.from(Buffer.from(v).toString('hex')),
        Buffer.from(v, 'utf16le'),
      ]);
      const hits = haystacks.flatMap(([where, data]) =>
        needles.filter((n) => data.includes(n)).map(() => where),
      );
      assert.deepEqual(hits, [], 'a secret value leaked');
      // The check can find what it looks for: the machines did get the values.
      assert.equal((await seen('SECRET_TOKEN')).sha256, sha256(TOKEN));
    });

    test('BERTH_MASTER_KEY replaces master.key; a busy lock leaves the change staged; deploy applies it', async () => {
      const key = randomBytes(32).toString('hex');
      const other = await TestDaemon.start();
      const work = mkdtempSync(join(tmpdir(), 'berth-secrets-envkey-'));
      const paused = join(other.home, 'paused-at');
      try {
        await other.terminate();
        await other.boot({ BERTH_MASTER_KEY: key });
        writeApp(work);
        assert.equal((await other.cli(['apps', 'create', APP])).code, 0);
        const set = await other.cli(['secrets', 'set', `SECRET_TOKEN=${TOKEN}`, '-a', APP]);
        assert.equal(set.code, 0, set.stderr);
        assert.ok(
          !readdirSync(other.home).includes('master.key'),
          'no key file when the key comes from the environment',
        );
        assert.equal((await other.cli(['deploy', work, ...driver.deployArgs])).code, 0);

        // From now on every deploy stops before its build, holding the app's deploy lock.
        await other.terminate();
        await other.boot({ BERTH_MASTER_KEY: key }, { pauseAt: ['build'] });
        assert.equal((await other.cli(['deploy', work, '--detach', ...driver.deployArgs])).code, 0);
        await eventually(() => existsSync(paused), 20_000, 'the deploy to pause before its build');

        const locked = await other.cli(['secrets', 'set', 'LATER=2', '-a', APP]);
        assert.equal(locked.code, 2, locked.stderr);
        assert.match(locked.stderr, /code: deploy_locked/);
        assert.match(
          locked.stderr,
          /The secret changes stay staged: `berth secrets deploy -a vault` applies them/,
        );
        const list = JSON.parse(
          (await other.cli(['secrets', 'list', '-a', APP, '--json'])).stdout,
        ) as SecretsList;
        assert.deepEqual(list.pending, { set: ['LATER'], unset: [] });

        // Without the key the daemon refuses to start; with it (base64 this time) it decrypts.
        await other.terminate();
        rmSync(paused);
        await assert.rejects(other.boot(), /there is no master key/);
        await other.boot({ BERTH_MASTER_KEY: Buffer.from(key, 'hex').toString('base64') });
        const deploy = await other.cli(['deploy', work, ...driver.deployArgs]);
        assert.equal(deploy.code, 0, deploy.stderr + deploy.stdout);
        assert.match(deploy.stdout, /^\s+secrets applied: set LATER$/m);
        assert.match(deploy.stdout, new RegExp(`release command sees SECRET_TOKEN sha256=${sha256(TOKEN)}`));
        const res = await other.proxied(APP, '/?name=LATER');
        assert.equal((JSON.parse(res.body) as { sha256: string }).sha256, sha256('2'));
      } finally {
        await other.destroy();
        rmSync(work, { recursive: true, force: true });
      }
    });
  });
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
