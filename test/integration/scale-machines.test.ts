// Scaling and unmanaged machines end to end: a real daemon, the real CLI, real machine
// processes and real HTTP through the real proxy (and straight to unmanaged machines).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineInfo, MachineStatusInfo, ScaleResultInfo, ScaleShowInfo } from '../../src/sdk/types.js';
import { dirSharedWithMachines, killGroup, TestDaemon } from '../helpers/daemon.js';
import { writeRolloutApp, type RolloutAppOptions } from '../helpers/rollout-app.js';

let daemon: TestDaemon;
let work: string;
let n = 0;

before(async () => {
  daemon = await TestDaemon.start();
  // Machines read flag files the test writes here.
  work = dirSharedWithMachines('berth-scale-');
});
after(async () => {
  await daemon.destroy();
  rmSync(work, { recursive: true, force: true });
});

async function deploy(o: RolloutAppOptions, extra: string[] = []): Promise<void> {
  const result = await daemon.cli(['deploy', writeRolloutApp(join(work, `r${n++}`), o), ...extra]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
}

async function managed(app: string): Promise<MachineInfo[]> {
  return (await daemon.machines(app)).filter((m) => m.managed);
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Machine ids the proxy routes to, seen over enough requests to meet each of `expected`. */
async function servedIds(app: string, expected: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < expected * 20 && seen.size < expected; i++) {
    const res = await daemon.proxied(app);
    assert.equal(res.status, 200, res.body);
    seen.add(res.body.trim().split(' ')[1]!);
  }
  return seen;
}

/** Keeps requests going through the proxy until stopped; counts the failures. */
function trafficTo(app: string) {
  let running = true;
  let total = 0;
  const failures: string[] = [];
  const done = (async () => {
    while (running) {
      total++;
      const res = await daemon.proxied(app).catch((err: Error) => ({ status: 0, body: err.message }));
      if (res.status !== 200) failures.push(`${res.status} ${res.body.slice(0, 80)}`);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return { total, failures };
    },
  };
}

// The rollout app plus /slow?mark=FILE&gate=FILE: writes FILE on arrival, answers once the gate
// file exists, so a test knows a request is in flight and chooses when it ends.
const SLOW_SERVER = `
import http from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const label = readFileSync('label.txt', 'utf8').trim();
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/slow') {
    writeFileSync(url.searchParams.get('mark'), '');
    const wait = setInterval(() => {
      if (!existsSync(url.searchParams.get('gate'))) return;
      clearInterval(wait);
      res.end(label + ' ' + process.env.BERTH_MACHINE_ID + '\\n');
    }, 20);
    return;
  }
  res.end(url.pathname === '/healthz' ? 'ok' : label + ' ' + process.env.BERTH_MACHINE_ID + '\\n');
});
server.listen(Number(process.env.PORT));
// No graceful shutdown of its own: only berth's drain keeps its in-flight requests alive.
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(0));
`;

async function getDirect(address: string, path = '/'): Promise<string> {
  const res = await fetch(`http://${address}${path}`);
  return (await res.text()).trim();
}

test('scale up 1 -> 3 on the current release, a deploy keeps 3, scale down 3 -> 1 drains without a failed request', async () => {
  await deploy({ app: 'sc', label: 'one' });
  const [first] = await managed('sc');

  const up = await daemon.cliJson<ScaleResultInfo>(['scale', 'count', '3', '-a', 'sc']);
  assert.deepEqual([up.from, up.to, up.release, up.started.length], [1, 3, 1, 2]);
  const three = await managed('sc');
  assert.equal(three.length, 3);
  assert.ok(three.every((m) => m.releaseVersion === 1 && m.state === 'started'));
  assert.deepEqual(await servedIds('sc', 3), new Set(three.map((m) => m.id)));

  const shown = await daemon.cli(['scale', 'show', '-a', 'sc']);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /sc: current release v1/);
  assert.match(shown.stdout, /^app\s+3\s+3\s+0\s+v1$/m);

  // No new release was made.
  const releases = await daemon.cliJson<unknown[]>(['releases', '-a', 'sc']);
  assert.equal(releases.length, 1);

  const slowApp = writeRolloutApp(join(work, `r${n++}`), { app: 'sc', label: 'two' });
  writeFileSync(join(slowApp, 'server.js'), SLOW_SERVER);
  const redeployed = await daemon.cli(['deploy', slowApp]);
  assert.equal(redeployed.code, 0, redeployed.stdout + redeployed.stderr);
  const afterDeploy = await managed('sc');
  assert.equal(afterDeploy.length, 3, 'a deploy keeps the scaled size');
  assert.ok(afterDeploy.every((m) => m.releaseVersion === 2));
  assert.ok(!afterDeploy.some((m) => m.id === first!.id));

  // Slow requests in flight on every machine, then the scale-down: the removed machines must
  // leave the proxy and let theirs finish before they stop.
  const marks = mkdtempSync(join(work, 'marks-'));
  chmodSync(marks, 0o1777);
  const gate = join(marks, 'gate');
  const slow = Array.from({ length: 6 }, (_, i) =>
    daemon.proxied('sc', `/slow?mark=${join(marks, `m${i}`)}&gate=${gate}`),
  );
  await waitFor('six slow requests in flight', async () =>
    Array.from({ length: 6 }, (_, i) => existsSync(join(marks, `m${i}`))).every(Boolean),
  );
  const traffic = trafficTo('sc');
  const scaling = daemon.cli(['scale', 'count', '1', '-a', 'sc']);
  const stopped = scaling.then(() => traffic.stop());
  let draining: string[];
  try {
    draining = await waitFor('two machines draining', async () => {
      const stopping = (await daemon.machines('sc')).filter((m) => m.state === 'stopping');
      return stopping.length === 2 ? stopping.map((m) => m.id) : undefined;
    });
  } finally {
    // Whatever happened, let the slow requests, the scale and so the load end.
    writeFileSync(gate, '');
  }
  const [slowAnswers, down, { total, failures }] = await Promise.all([Promise.all(slow), scaling, stopped]);
  assert.deepEqual(
    slowAnswers.map((r) => r.status),
    [200, 200, 200, 200, 200, 200],
  );
  const answeredBy = new Set(slowAnswers.map((r) => r.body.trim().split(' ')[1]!));
  assert.ok(
    draining.some((id) => answeredBy.has(id)),
    'a request in flight on a removed machine finished before it stopped',
  );
  assert.equal(down.code, 0, down.stdout + down.stderr);

  assert.match(down.stdout, /Drained and removed \w+, \w+/);
  assert.match(down.stdout, /Scaled app from 3 to 1 \(v2\)/);
  assert.deepEqual(failures, [], `${failures.length} of ${total} requests failed during the scale-down`);
  assert.ok(total > 10, `only ${total} requests were made`);
  const one = await managed('sc');
  assert.equal(one.length, 1);
  assert.ok(!draining.includes(one[0]!.id));
  // The oldest machine stays: the newest go first.
  assert.equal(
    one[0]!.id,
    afterDeploy.map((m) => m).sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0]!.id,
  );
  const show = await daemon.cliJson<ScaleShowInfo>(['scale', 'show', '-a', 'sc']);
  assert.deepEqual(show.groups, [
    { group: 'app', desired: 1, scaled: true, running: 1, stopped: 0, releases: [2] },
  ]);
});

test('scale: bad input is refused with a 4xx and a hint', async () => {
  const word = await daemon.cli(['scale', 'count', 'three', '-a', 'sc']);
  assert.equal(word.code, 2);
  assert.match(word.stderr, /"three" is not a machine count/);
  assert.match(word.stderr, /hint: .*0 to 100/);

  const many = await daemon.cli(['scale', 'count', '500', '-a', 'sc']);
  assert.equal(many.code, 2);
  assert.match(many.stderr, /500 machines is more than one group may have \(100\)/);

  const group = await daemon.cli(['scale', 'count', '2', '--process-group', 'wrker', '-a', 'sc']);
  assert.equal(group.code, 2);
  assert.match(group.stderr, /release v2 has no process group "wrker"/);
  assert.match(group.stderr, /hint: Its groups are: app\./);

  const negative = await daemon.api('POST', '/v1/apps/sc/scale', {
    body: JSON.stringify({ count: -1 }),
    contentType: 'application/json',
  });
  assert.equal(negative.status, 400);
  assert.match(negative.body, /not a machine count/);

  assert.equal((await daemon.cli(['apps', 'create', 'empty'])).code, 0);
  const empty = await daemon.cli(['scale', 'count', '2', '-a', 'empty']);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /app "empty" has no release to scale yet/);
  assert.match(empty.stderr, /hint: Deploy it first/);

  const missing = await daemon.cli(['scale', 'show', '-a', 'nope']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /app "nope" does not exist/);
  assert.equal((await managed('sc')).length, 1, 'nothing changed');
});

test('scale up: new machines that never get healthy are removed and the group keeps its size', async () => {
  const flag = join(work, 'sick-flag');
  const dir = writeRolloutApp(join(work, `r${n++}`), { app: 'sick', label: 'one', waitTimeout: '3s' });
  writeFileSync(
    join(dir, 'server.js'),
    SLOW_SERVER.replace(
      "url.pathname === '/healthz' ? 'ok'",
      `url.pathname === '/healthz' ? (existsSync(${JSON.stringify(flag)}) ? (res.statusCode = 500, 'sick') : 'ok')`,
    ),
  );
  const deployed = await daemon.cli(['deploy', dir]);
  assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
  const [only] = await managed('sick');
  writeFileSync(flag, '');
  const result = await daemon.cli(['scale', 'count', '3', '-a', 'sick']);
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match(result.stderr, /waiting for health/);
  assert.match(result.stderr, /error: scaling app failed; the new machines were removed/);
  assert.match(result.stderr, /not healthy within 3s \(.*500/);
  assert.match(result.stderr, /code: scale_failed/);
  assert.deepEqual(
    (await managed('sick')).map((m) => m.id),
    [only!.id],
  );
  const show = await daemon.cliJson<ScaleShowInfo>(['scale', 'show', '-a', 'sick']);
  assert.deepEqual([show.groups[0]!.desired, show.groups[0]!.scaled], [1, false]);
  rmSync(flag);
  assert.equal((await daemon.proxied('sick')).status, 200);
});

test('scale: refused while a deploy holds the lock, naming the holder', async () => {
  const gate = join(work, 'gate');
  const dir = writeRolloutApp(join(work, `r${n++}`), {
    app: 'sc',
    label: 'three',
    releaseCommand: `sh -c 'while [ ! -f ${gate} ]; do sleep 0.05; done'`,
  });
  const started = await daemon.cli(['deploy', dir, '--detach']);
  assert.equal(started.code, 0, started.stderr);
  const refused = await daemon.cli(['scale', 'count', '2', '-a', 'sc']);
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /app "sc" is locked: held by admin \(deploy by admin/);
  assert.match(refused.stderr, /code: deploy_locked/);
  writeFileSync(gate, '');
  await waitFor('the gated deploy to finish', async () => {
    const [latest] = await daemon.cliJson<{ status: string }[]>(['releases', '-a', 'sc']);
    return latest!.status === 'complete';
  });
  assert.equal((await managed('sc')).length, 1);
});

test('apps destroy during a scale is refused naming the scale, and the scale finishes untouched', async () => {
  // While the hold file names another machine, a machine reports unhealthy: the scale (and its
  // lock) stays open until the test removes it.
  const hold = join(work, 'destroy-hold');
  const dir = writeRolloutApp(join(work, `r${n++}`), { app: 'dscale', label: 'one', waitTimeout: '60s' });
  writeFileSync(
    join(dir, 'server.js'),
    SLOW_SERVER.replace(
      "url.pathname === '/healthz' ? 'ok'",
      `url.pathname === '/healthz' ? (existsSync(${JSON.stringify(hold)}) && readFileSync(${JSON.stringify(hold)}, 'utf8') !== process.env.BERTH_MACHINE_ID ? (res.statusCode = 500, 'held') : 'ok')`,
    ),
  );
  const deployed = await daemon.cli(['deploy', dir]);
  assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
  const [first] = await managed('dscale');
  writeFileSync(hold, first!.id);

  const scaling = daemon.cli(['scale', 'count', '3', '-a', 'dscale']);
  await waitFor('the scale to start its machines', async () => (await managed('dscale')).length === 3);
  const refused = await daemon.cli(['apps', 'destroy', 'dscale', '--yes']);
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /app "dscale" is locked: held by admin \(scale app to 3 by admin/);
  assert.match(refused.stderr, /destroy the app once it ends/);
  assert.match(refused.stderr, /code: deploy_locked/);

  rmSync(hold);
  const scaled = await scaling;
  assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
  assert.match(scaled.stderr, /scaled app from 1 to 3/);
  const ids = await servedIds('dscale', 3);
  assert.equal(ids.size, 3, 'all three machines serve');

  const destroyed = await daemon.cli(['apps', 'destroy', 'dscale', '--yes']);
  assert.equal(destroyed.code, 0, destroyed.stdout + destroyed.stderr);
  assert.equal((await daemon.proxied('dscale')).status, 404);
  assert.ok(!existsSync(join(daemon.home, 'releases', 'dscale')));
  const lock = JSON.parse((await daemon.api('GET', '/v1/apps/dscale/lock')).body) as { error?: unknown };
  assert.ok(lock.error, 'no lock is left behind for the destroyed app');
});

test('machine run --release: an unmanaged machine with its own port, not routed by the proxy', async () => {
  await deploy({ app: 'um', label: 'one' });
  await deploy({ app: 'um', label: 'two' });
  const ran = await daemon.cli([
    'machine',
    'run',
    '-a',
    'um',
    '--release',
    'v1',
    '--port',
    '8080',
    '--name',
    'side',
  ]);
  assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  assert.match(ran.stdout, /Machine \w+ \(side\) started: unmanaged, app on v1/);
  const address = /Address: http:\/\/(\S+) \(not routed by the app's proxy/.exec(ran.stdout)?.[1];
  assert.ok(address, ran.stdout);
  const side = (await daemon.machines('um')).find((m) => m.name === 'side')!;
  assert.equal(side.managed, false);
  assert.equal(side.releaseVersion, 1);
  assert.equal(side.address, address);
  assert.equal(await getDirect(address), `one ${side.id}`);
  // The proxy serves the group only.
  const served = await servedIds('um', 1);
  for (let i = 0; i < 20; i++) served.add((await daemon.proxied('um')).body.trim().split(' ')[1]!);
  assert.ok(!served.has(side.id));

  const list = await daemon.cli(['machine', 'list', '-a', 'um']);
  assert.match(list.stdout, /ID\s+NAME\s+GROUP\s+RELEASE\s+STATE\s+MANAGED/);
  assert.match(list.stdout, new RegExp(`${side.id}\\s+side\\s+app\\s+v1\\s+started\\s+no`));
});

test('an unmanaged machine keeps its id, start time and release across a deploy, a rollback and a scale', async () => {
  const side = (await daemon.machines('um')).find((m) => m.name === 'side')!;
  const same = async (after: string) => {
    const now = (await daemon.machines('um')).find((m) => m.id === side.id);
    assert.ok(now, `the unmanaged machine is gone after ${after}`);
    assert.deepEqual(
      [now.state, now.releaseVersion, now.startedAt, now.restarts, now.managed],
      [side.state, side.releaseVersion, side.startedAt, side.restarts, false],
      `changed by ${after}`,
    );
    assert.equal(await getDirect(side.address!), `one ${side.id}`);
  };

  await deploy({ app: 'um', label: 'three' });
  await same('a deploy');
  assert.ok((await managed('um')).every((m) => m.releaseVersion === 3));

  const rollback = await daemon.cli(['rollback', '-a', 'um']);
  assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
  await same('a rollback');
  assert.ok((await managed('um')).every((m) => m.releaseVersion === 4));

  const secrets = await daemon.cli(['secrets', 'set', 'SIDE_TOKEN=s3cr3t-side', '-a', 'um']);
  assert.equal(secrets.code, 0, secrets.stdout + secrets.stderr);
  await same('a secrets deploy');
  assert.ok((await managed('um')).every((m) => m.releaseVersion === 5));

  const up = await daemon.cliJson<ScaleResultInfo>(['scale', 'count', '2', '-a', 'um']);
  assert.deepEqual([up.from, up.to], [1, 2], 'the unmanaged machine is not counted in the group');
  await same('a scale up');
  const down = await daemon.cliJson<ScaleResultInfo>(['scale', 'count', '0', '-a', 'um']);
  assert.equal(down.removed.length, 2);
  assert.ok(!down.removed.includes(side.id));
  await same('a scale down to zero');
  assert.equal((await managed('um')).length, 0);
  const up1 = await daemon.cliJson<ScaleResultInfo>(['scale', 'count', '1', '-a', 'um']);
  assert.equal(up1.started.length, 1);
  await same('a scale back to one');
});

test('machine run --dir with -e, --cmd and --port runs an uploaded directory without a release', async () => {
  const dir = join(work, 'side-dir');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'marker.txt'), 'from the side directory\n');
  writeFileSync(
    join(dir, 'env.js'),
    `import http from 'node:http';
import { readFileSync } from 'node:fs';
const marker = readFileSync('marker.txt', 'utf8').trim();
const server = http.createServer((req, res) => res.end(JSON.stringify({ marker, greeting: process.env.GREETING, url: process.env.DATABASE_URL, release: process.env.BERTH_RELEASE_VERSION })));
server.listen(Number(process.env.PORT));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
`,
  );
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  const before = (await daemon.cliJson<unknown[]>(['releases', '-a', 'um'])).length;
  const made = await daemon.cliJson<MachineInfo>([
    'machine',
    'run',
    '-a',
    'um',
    '--dir',
    dir,
    '--cmd',
    'node env.js',
    '-e',
    'GREETING=hello there',
    '-e',
    'DATABASE_URL=postgres://u:p@h/db?x=1',
    '--port',
    '3000',
    '--name',
    'envy',
  ]);
  assert.equal(made.managed, false);
  assert.equal(made.name, 'envy');
  assert.equal(made.command, 'node env.js');
  const answer = JSON.parse(await getDirect(made.address!)) as Record<string, string>;
  assert.deepEqual(answer, {
    marker: 'from the side directory',
    greeting: 'hello there',
    url: 'postgres://u:p@h/db?x=1',
    release: String(made.releaseVersion),
  });
  assert.equal(
    (await daemon.cliJson<unknown[]>(['releases', '-a', 'um'])).length,
    before,
    'no release was made',
  );

  const status = await daemon.cliJson<MachineStatusInfo>(['machine', 'status', 'envy', '-a', 'um']);
  assert.deepEqual(status.runConfig?.envNames, ['DATABASE_URL', 'GREETING']);
  assert.match(status.runConfig?.artifact ?? '', /^sha256:/);
  assert.ok(!JSON.stringify(status).includes('postgres://'), 'env values never leave the daemon');

  // A clone of an unmanaged machine runs the same tree and config, and stays unmanaged.
  const clone = await daemon.cliJson<MachineInfo>(['machine', 'clone', 'envy', '-a', 'um']);
  assert.notEqual(clone.id, made.id);
  assert.equal(clone.managed, false);
  assert.equal(clone.name, null);
  const cloned = await waitFor('the clone to answer', async () =>
    getDirect(clone.address!).catch(() => undefined),
  );
  assert.deepEqual(JSON.parse(cloned), answer);

  // The tree stays while either machine runs it, and goes with the last one.
  const destroyed = await daemon.cli(['machine', 'destroy', made.id, '-a', 'um', '--force']);
  assert.equal(destroyed.code, 0, destroyed.stderr);
  // The process driver keeps an app's uploaded trees under machine-trees/<app>/<digest>.
  const trees = join(daemon.home, 'machine-trees', 'um', status.runConfig!.artifact!.replace('sha256:', ''));
  assert.ok(existsSync(trees));
  assert.equal((await daemon.cli(['machine', 'destroy', clone.id, '-a', 'um', '--force'])).code, 0);
  await waitFor('the uploaded tree to be removed', async () => !existsSync(trees));
});

test('machine run --rm: the machine is destroyed when its process exits', async () => {
  const made = await daemon.cliJson<MachineInfo>([
    'machine',
    'run',
    '-a',
    'um',
    '--cmd',
    'sh -c "echo one-off job; sleep 0.5"',
    '--rm',
  ]);
  assert.equal(made.managed, false);
  await waitFor(
    'the --rm machine to be destroyed',
    async () => !(await daemon.machines('um')).some((m) => m.id === made.id),
  );
  const status = await daemon.cli(['machine', 'status', made.id, '-a', 'um']);
  assert.equal(status.code, 2);
  assert.match(status.stderr, /app "um" has no machine/);
});

test('machine stop, start, status and destroy of an unmanaged machine', async () => {
  const side = (await daemon.machines('um')).find((m) => m.name === 'side')!;
  const stopped = await daemon.cli(['machine', 'stop', 'side', '-a', 'um']);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, /drained and stopped/);
  assert.equal((await daemon.machines('um')).find((m) => m.id === side.id)!.state, 'stopped');
  await assert.rejects(fetch(`http://${side.address}/`));

  const again = await daemon.cli(['machine', 'stop', 'side', '-a', 'um']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /is already stopped/);

  // A stopped machine may be destroyed without --force; a started one may not.
  const started = await daemon.cliJson<MachineInfo>(['machine', 'start', 'side', '-a', 'um']);
  assert.equal(started.state, 'started');
  assert.equal(started.releaseVersion, 1);
  await waitFor('the restarted machine to answer', async () =>
    getDirect(started.address!).catch(() => undefined),
  );

  const status = await daemon.cli(['machine', 'status', 'side', '-a', 'um']);
  assert.equal(status.code, 0, status.stderr);
  for (const line of [
    /State\s+started/,
    /Release\s+v1/,
    /Group\s+app/,
    /Managed\s+no/,
    /Address\s+127\.0\.0\.1:\d+/,
    /Restarts\s+0/,
    /Started at\s+\d{4}-/,
    /Recent events:/,
    /stopped/,
  ]) {
    assert.match(status.stdout, line);
  }

  const refused = await daemon.cli(['machine', 'destroy', 'side', '-a', 'um']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /machine \w+ is started; refusing to destroy it/);
  assert.match(refused.stderr, /hint: .*--force/);
  assert.match(refused.stderr, /code: machine_conflict/);
  const forced = await daemon.cli(['machine', 'destroy', 'side', '-a', 'um', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.ok(!(await daemon.machines('um')).some((m) => m.id === side.id));
});

test('a managed machine stopped by hand stays stopped across a deploy; clone grows the group', async () => {
  await deploy({ app: 'mg', label: 'one' });
  const [only] = await managed('mg');
  const clone = await daemon.cliJson<MachineInfo>(['machine', 'clone', only!.id, '-a', 'mg']);
  assert.equal(clone.managed, true);
  assert.equal(clone.state, 'started');
  assert.deepEqual(await servedIds('mg', 2), new Set([only!.id, clone.id]));
  const show = await daemon.cliJson<ScaleShowInfo>(['scale', 'show', '-a', 'mg']);
  assert.equal(show.groups[0]!.desired, 2);

  const stopped = await daemon.cli(['machine', 'stop', clone.id, '-a', 'mg']);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.deepEqual(await servedIds('mg', 1), new Set([only!.id]));

  await deploy({ app: 'mg', label: 'two' });
  const after = await managed('mg');
  assert.equal(after.length, 2);
  const kept = after.find((m) => m.id === clone.id);
  assert.ok(kept, 'the stopped machine was kept');
  assert.equal(kept.state, 'stopped');
  assert.equal(kept.releaseVersion, 2, 'moved to the new release without starting');
  const running = after.filter((m) => m.state === 'started');
  assert.equal(running.length, 1);
  assert.equal((await daemon.proxied('mg')).body.split(' ')[0], 'two');

  // A secrets change deploys a new release the same way: the stopped machine stays stopped.
  const secrets = await daemon.cli(['secrets', 'set', 'MG_TOKEN=s3cr3t-mg', '-a', 'mg']);
  assert.equal(secrets.code, 0, secrets.stdout + secrets.stderr);
  const afterSecrets = await managed('mg');
  const stillStopped = afterSecrets.find((m) => m.id === clone.id);
  assert.equal(stillStopped?.state, 'stopped', 'a secrets deploy does not start a stopped machine');
  assert.equal(stillStopped?.releaseVersion, 3, 'moved to the secrets release without starting');
  const serving = afterSecrets.filter((m) => m.state === 'started');
  assert.equal(serving.length, 1);

  const started = await daemon.cliJson<MachineInfo>(['machine', 'start', clone.id, '-a', 'mg']);
  assert.equal(started.state, 'started');
  assert.equal(started.releaseVersion, 3);
  assert.deepEqual(await servedIds('mg', 2), new Set([serving[0]!.id, clone.id]));
});

test('an unmanaged machine is restarted with its own config when it crashes, and adopted by a new daemon', async () => {
  const made = await daemon.cliJson<MachineInfo>([
    'machine',
    'run',
    '-a',
    'um',
    '--release',
    'v1',
    '--port',
    '8080',
    '-e',
    'EXTRA=kept',
    '--name',
    'crashy',
    '--cmd',
    'node -e "require(\'http\').createServer((q, s) => s.end(process.env.EXTRA)).listen(+process.env.PORT)"',
  ]);
  assert.equal(await getDirect(made.address!), 'kept');
  killGroup(daemon.machinePids().get(made.id)!);
  const restarted = await waitFor('the machine to be restarted', async () => {
    const m = (await daemon.machines('um')).find((x) => x.id === made.id);
    return m && m.restarts === 1 && m.state === 'started' ? m : undefined;
  });
  assert.equal(restarted.managed, false);
  assert.equal(restarted.releaseVersion, 1);
  assert.match(restarted.lastExit ?? '', /killed by SIGKILL|exit code/);
  assert.equal(
    await waitFor('it to answer', async () => getDirect(restarted.address!).catch(() => undefined)),
    'kept',
  );

  await daemon.terminate();
  await daemon.boot();
  const adopted = (await daemon.machines('um')).find((m) => m.id === made.id)!;
  assert.deepEqual(
    [adopted.state, adopted.startedAt, adopted.address, adopted.restarts],
    [restarted.state, restarted.startedAt, restarted.address, 1],
  );
  assert.equal(await getDirect(adopted.address!), 'kept');
  assert.equal((await daemon.cli(['machine', 'destroy', 'crashy', '-a', 'um', '--force'])).code, 0);
});

test('a deploy that adds a process group starts it at one and keeps the scaled size of the others', async () => {
  const dir = writeRolloutApp(join(work, `r${n++}`), { app: 'mg', label: 'three' });
  const toml = readFileSync(join(dir, 'berth.toml'), 'utf8');
  writeFileSync(
    join(dir, 'berth.toml'),
    toml.replace('app = "node server.js"', 'app = "node server.js"\nworker = "node server.js"'),
  );
  const result = await daemon.cli(['deploy', dir]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const groups = (await managed('mg')).map((m) => `${m.processGroup}:v${m.releaseVersion}:${m.state}`).sort();
  assert.deepEqual(groups, ['app:v4:started', 'app:v4:started', 'worker:v4:started']);
  const show = await daemon.cliJson<ScaleShowInfo>(['scale', 'show', '-a', 'mg']);
  assert.deepEqual(
    show.groups.map((g) => [g.group, g.desired, g.scaled]),
    [
      ['app', 2, true],
      ['worker', 1, false],
    ],
  );
  const workers = await daemon.cliJson<ScaleResultInfo>(['scale', 'count', '2', '-g', 'worker', '-a', 'mg']);
  assert.deepEqual([workers.group, workers.from, workers.to], ['worker', 1, 2]);
  const noGroup = await daemon.cli(['scale', 'count', '1', '-a', 'mg']);
  assert.equal(noGroup.code, 0, 'with several groups the default is "app"');
  assert.match(noGroup.stdout, /Scaled app from 2 to 1/);
});

test('machine commands: bad input gets a 4xx and a hint', async () => {
  const cases: Array<[string[], RegExp, RegExp]> = [
    [
      ['machine', 'run', '-a', 'um', '--release', 'v99'],
      /app "um" has no release v99 to run/,
      /berth releases/,
    ],
    [
      ['machine', 'run', '-a', 'um', '--release', 'v1', '--dir', '.'],
      /--release and --dir cannot be used together/,
      /--release vN/,
    ],
    [['machine', 'run', '-a', 'um', '-e', 'NOVALUE'], /"NOVALUE" is not NAME=VALUE/, /-e NAME=VALUE/],
    [['machine', 'run', '-a', 'um', '-e', 'PORT=1'], /PORT is set by berth/, /Pick another name/],
    [['machine', 'run', '-a', 'um', '--port', 'http'], /"http" is not a port/, /1 to 65535/],
    [['machine', 'run', '-a', 'um', '--port', '70000'], /"70000" is not a port/, /1 to 65535/],
    [
      ['machine', 'run', '-a', 'um', '--name', 'Bad_Name'],
      /"Bad_Name" is not a usable machine name/,
      /lowercase/,
    ],
    [
      ['machine', 'run', '-a', 'um', '--dir', '/nonexistent/dir'],
      /directory \/nonexistent\/dir does not exist/,
      /--dir/,
    ],
    [
      ['machine', 'run', '-a', 'empty'],
      /app "empty" has no release to run a machine from/,
      /berth deploy -a empty/,
    ],
    [['machine', 'status', 'nosuch', '-a', 'um'], /app "um" has no machine "nosuch"/, /berth machine list/],
    [['machine', 'start', 'nosuch', '-a', 'um'], /has no machine "nosuch"/, /berth machine list/],
  ];
  for (const [args, message, hint] of cases) {
    const result = await daemon.cli(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
    assert.match(result.stderr, new RegExp(`hint: .*${hint.source}`), args.join(' '));
  }
  const [running] = await managed('um');
  const twice = await daemon.cli(['machine', 'start', running!.id, '-a', 'um']);
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, /is already started/);

  const dup = await daemon.cliJson<MachineInfo>(['machine', 'run', '-a', 'um', '--name', 'dup']);
  const taken = await daemon.cli(['machine', 'run', '-a', 'um', '--name', 'dup']);
  assert.equal(taken.code, 2);
  assert.match(taken.stderr, /already has a machine named "dup"/);
  assert.equal((await daemon.cli(['machine', 'destroy', dup.id, '-a', 'um', '-f'])).code, 0);

  const api = await daemon.api('POST', '/v1/apps/um/machines', {
    body: JSON.stringify({ env: { 'BAD NAME': 'x' } }),
    contentType: 'application/json',
  });
  assert.equal(api.status, 400);
  assert.match(api.body, /not an environment variable name/);
});
