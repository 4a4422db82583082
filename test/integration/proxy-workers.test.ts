// The proxy in worker processes (`berth server --proxy-workers 2`), with real machines, the
// real CLI and real HTTP: a deploy under steady traffic (keep-alive, new connections, and
// slow requests that must be drained, from a machine that exits at once on its kill signal)
// fails no request; the auto-stopper sees the workers' traffic; a scaled-to-zero app is woken
// through a worker, once for many concurrent requests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon, eventually } from '../helpers/daemon.js';

let daemon: TestDaemon;
let work: string;
let n = 0;
before(async () => {
  daemon = await TestDaemon.start({ BERTH_PROXY_WORKERS: '2' });
  work = mkdtempSync(join(tmpdir(), 'berth-workers-'));
});
after(async () => {
  await daemon.destroy();
  rmSync(work, { recursive: true, force: true });
});

// Exits the moment it gets its kill signal: a request still in flight then would fail, so
// only the proxy's drain (waiting for every worker's in-flight count) keeps them whole.
const SERVER = `
import http from 'node:http';
import { readFileSync } from 'node:fs';
const label = readFileSync('label.txt', 'utf8').trim();
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(label + ' ' + process.env.BERTH_MACHINE_ID + '\\n');
  }, req.url === '/slow' ? 1500 : 0);
});
server.listen(Number(process.env.PORT));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(0));
`;

function writeApp(app: string, label: string, extra: string[] = []): string {
  const dir = join(work, `a${n++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'server.js'), SERVER);
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'label.txt'), label);
  const lines = [
    `app = "${app}"`,
    'kill_timeout = "10s"',
    '[processes]',
    'app = "node server.js"',
    '[http_service]',
    'internal_port = 8080',
    ...extra,
    '[[http_service.checks]]',
    'path = "/healthz"',
    'interval = "1s"',
    'timeout = "1s"',
  ];
  writeFileSync(join(dir, 'berth.toml'), lines.join('\n') + '\n');
  return dir;
}

/** A GET through the proxy on `agent` (keep-alive or not); status 0 on a socket error. */
function get(app: string, path: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  const url = new URL(daemon.info.proxyUrl);
  return new Promise((resolve) => {
    const req = http.get(
      { host: url.hostname, port: url.port, path, agent, headers: { host: `${app}.localhost:${url.port}` } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve({ status: 0, body: '' }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, body: err.message }));
  });
}

test('the daemon says it serves the proxy from 2 worker processes', () => {
  assert.match(daemon.daemonLog(), /proxy: 2 worker processes \(pids \d+, \d+\)/);
});

test('a deploy under steady traffic through 2 workers fails no request, slow ones included', async () => {
  await daemon.deploy(writeApp('steady', 'one'));
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const fresh = new http.Agent({ keepAlive: false });
  const failures: string[] = [];
  const counts = { fast: 0, slow: 0, slowOld: 0 };
  let running = true;
  const loop = async (path: string, agent: http.Agent) => {
    while (running) {
      const res = await get('steady', path, agent);
      if (res.status !== 200) failures.push(`${path}: ${res.status} ${res.body.trim()}`);
      if (path === '/slow') {
        counts.slow++;
        if (res.body.startsWith('one ')) counts.slowOld++;
      } else {
        counts.fast++;
      }
    }
  };
  const loops = [
    ...Array.from({ length: 4 }, () => loop('/', keepAlive)),
    loop('/', fresh),
    ...Array.from({ length: 4 }, () => loop('/slow', keepAlive)),
  ];
  // Traffic on both releases' sides of the cutover.
  await eventually(async () => counts.fast > 50, 10_000, 'traffic before the deploy');
  const output = await daemon.deploy(writeApp('steady', 'two'));
  await eventually(
    async () => counts.fast > 0 && (await get('steady', '/', keepAlive)).body.startsWith('two '),
    10_000,
    'v2 to serve',
  );
  running = false;
  await Promise.all(loops);
  keepAlive.destroy();
  assert.match(output, /drained and stopped/);
  assert.deepEqual(failures, [], `${failures.length} of ${counts.fast + counts.slow} requests failed`);
  assert.ok(counts.fast > 100, `${counts.fast} fast requests`);
  assert.ok(counts.slowOld > 0, 'slow requests were in flight on the old machine');
  const list = await daemon.machines('steady');
  assert.equal(list.length, 1);
  assert.equal(list[0]!.releaseVersion, 2);
});

test('traffic through the workers keeps an app from auto-stopping; idle, it stops; a request wakes it through a worker', async () => {
  const scaleToZero = ['auto_stop_machines = "stop"', 'min_machines_running = 0', 'idle_timeout = "1s"'];
  await daemon.deploy(writeApp('sleepy', 'one', scaleToZero));
  const agent = new http.Agent({ keepAlive: true });
  // Three idle_timeouts of steady requests, each one seen only by a worker.
  const until = Date.now() + 3000;
  while (Date.now() < until) assert.equal((await get('sleepy', '/', agent)).status, 200);
  agent.destroy();
  assert.equal(
    (await daemon.events('sleepy')).filter((e) => e.kind === 'machine.idle_stop').length,
    0,
    'the app stopped while the workers were serving it',
  );

  const stoppedList = await eventually(
    async () => {
      const list = await daemon.machines('sleepy');
      return list.length === 1 && list[0]!.state === 'stopped' ? list : false;
    },
    20_000,
    'the idle machine to stop',
  );
  const stopped = stoppedList ? stoppedList[0] : undefined;
  const fresh = new http.Agent({ keepAlive: false });
  const responses = await Promise.all(Array.from({ length: 10 }, () => get('sleepy', '/', fresh)));
  assert.deepEqual(
    responses.map((r) => r.status),
    Array(10).fill(200),
    responses.map((r) => r.body).join(''),
  );
  assert.ok(responses.every((r) => r.body === `one ${stopped!.id}\n`));
  const woken = (await daemon.events('sleepy')).filter((e) => e.kind === 'machine.woken');
  assert.equal(woken.length, 1, 'one wake for all the requests, whichever worker held them');
});

test('--proxy-workers outside 1-64 is refused before anything starts, saying what to pass', async () => {
  const home = mkdtempSync(join(tmpdir(), 'berth-workers-bad-'));
  try {
    for (const value of ['0', '65', 'two']) {
      const result = await daemon.cli(['server', '--home', home, '--proxy-workers', value]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, new RegExp(`--proxy-workers "${value}" is not a number from 1 to 64`));
      assert.match(result.stderr, /1 serves in the daemon, N > 1 in N worker processes/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
