// Scale to zero on the docker driver, through the real daemon, CLI, proxy and Engine: an idle
// container is stopped and stays stopped (its exit, which the Engine reports while the stop
// is under way, is not taken for a crash to restart), and the next request wakes it, cycle
// after cycle.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, TestDaemon } from '../helpers/daemon.js';
import { testDrivers } from '../helpers/drivers.js';

const docker = testDrivers().find((d) => d.name === 'docker')!;
const APP = 'dozy';
const CYCLES = 3;

const SERVER = `
import http from 'node:http';
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(req.url === '/healthz' ? 'ok' : 'awake ' + process.env.BERTH_MACHINE_ID + '\\n');
});
server.listen(Number(process.env.PORT));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
`;

describe('scale to zero (docker)', { skip: docker.skip }, () => {
  let daemon: TestDaemon;
  let work: string;
  before(async () => {
    await docker.prepare();
    daemon = await TestDaemon.start();
    work = mkdtempSync(join(tmpdir(), 'berth-docker-s2z-'));
  });
  after(async () => {
    await daemon?.cli(['apps', 'destroy', APP, '--yes']);
    await daemon?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test(`an idle container is stopped, stays stopped, and the next request wakes it (${CYCLES} cycles)`, async () => {
    const dir = join(work, APP);
    mkdirSync(dir);
    writeFileSync(join(dir, 'server.js'), SERVER);
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    writeFileSync(
      join(dir, 'Dockerfile'),
      'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n',
    );
    writeFileSync(
      join(dir, 'fly.toml'),
      [
        `app = "${APP}"`,
        'kill_timeout = "3s"',
        '[deploy]',
        'wait_timeout = "30s"',
        '[http_service]',
        'internal_port = 8080',
        'auto_stop_machines = "stop"',
        'min_machines_running = 0',
        'idle_timeout = "1s"',
        '[[http_service.checks]]',
        'path = "/healthz"',
        'interval = "1s"',
        'timeout = "1s"',
        '',
      ].join('\n'),
    );
    const deployed = await daemon.cli(['deploy', ...docker.deployArgs, dir]);
    assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
    const [machine] = await daemon.machines(APP);

    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      await eventually(
        async () => (await daemon.machines(APP)).every((m) => m.state === 'stopped'),
        30_000,
        `cycle ${cycle}: the idle machine stopped`,
      );
      // Held until the machine is woken and healthy: a machine restarted behind the stop's
      // back would be started but never routed, and this request would wait for nothing.
      const res = await daemon.proxied(APP);
      assert.equal(res.status, 200, `cycle ${cycle}: ${res.body}`);
      assert.equal(res.body, `awake ${machine!.id}\n`);
    }
    const events = await daemon.events(APP);
    const exits = events.filter((e) => e.kind === 'machine.exited');
    assert.deepEqual(
      exits.map((e) => e.message),
      [],
      'a stopped container is not restarted as if it had crashed',
    );
    assert.equal(events.filter((e) => e.kind === 'machine.woken').length, CYCLES);
  });
});
