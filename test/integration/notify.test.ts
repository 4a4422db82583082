// Notifications with a real daemon: a failed schedule run is POSTed to a receiver the test
// runs, which first answers 500 (the delivery is retried with backoff) and then 200; the
// signature is checked with the key given to `notify add`, and no secret value is sent.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, TestDaemon } from '../helpers/daemon.js';

const work = mkdtempSync(join(tmpdir(), 'berth-notify-'));
after(() => rmSync(work, { recursive: true, force: true }));

const SECRET_VALUE = 'hunter2-very-secret';
const SIGNING_KEY = 'signing-key-for-the-test';

test('a failed schedule run is delivered to the receiver, retried after 500s, signed, without secret values', async () => {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(received.length <= 2 ? 500 : 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/berth`;
  const daemon = await TestDaemon.start();
  try {
    const dir = join(work, 'failing');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    writeFileSync(join(dir, 'server.js'), 'setInterval(() => {}, 1000);\n');
    writeFileSync(
      join(dir, 'fail.js'),
      "console.log('boom: the token is ' + process.env.API_TOKEN);\nprocess.exit(3);\n",
    );
    writeFileSync(
      join(dir, 'berth.toml'),
      [
        'app = "failing"',
        '[processes]',
        'app = "node server.js"',
        '[schedules.report]',
        'cron = "0 0 1 1 *"',
        'command = "node fail.js"',
      ].join('\n') + '\n',
    );
    await daemon.deploy(dir);
    const set = await daemon.cli(['secrets', 'set', '-a', 'failing', `API_TOKEN=${SECRET_VALUE}`]);
    assert.equal(set.code, 0, set.stderr);
    const keyFile = join(work, 'key');
    writeFileSync(keyFile, `${SIGNING_KEY}\n`);
    const added = await daemon.cli(['notify', 'add', url, '-a', 'failing', '--secret-file', keyFile]);
    assert.equal(added.code, 0, added.stderr);
    assert.ok(!added.stdout.includes(SIGNING_KEY));
    const listed = await daemon.cli(['notify', 'list', '-a', 'failing']);
    assert.ok(!listed.stdout.includes('/hooks/berth'), 'the webhook path is shown');
    assert.match(listed.stdout, /yes/);

    const run = await daemon.cli(['schedules', 'run', 'report', '-a', 'failing', '--wait']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /exit code 3/);
    assert.ok(!run.stdout.includes(SECRET_VALUE), 'the kept log shows a secret value');

    await eventually(() => received.length >= 3, 30_000, 'a delivery after two 500s');
    const bodies = new Set(received.map((r) => r.body));
    assert.equal(bodies.size, 1, 'retries send the same notification');
    const last = received.at(-1)!;
    const expected = createHmac('sha256', SIGNING_KEY).update(last.body).digest('hex');
    assert.equal(last.headers['x-berth-signature'], `sha256=${expected}`);
    assert.equal(last.headers['x-berth-event'], 'schedule.failed');
    const payload = JSON.parse(last.body) as Record<string, unknown>;
    assert.equal(payload.app, 'failing');
    assert.equal(payload.kind, 'schedule.failed');
    assert.equal(payload.exitCode, 3);
    assert.equal(typeof payload.release, 'number');
    assert.equal(typeof payload.machine, 'string');
    assert.match(String(payload.logTail), /boom: the token is \[secret\]/);
    assert.match(String(payload.details), /berth schedules history report -a failing --run \d+/);
    for (const r of received) assert.ok(!r.body.includes(SECRET_VALUE) && !r.body.includes(SIGNING_KEY));

    await eventually(
      async () => (await daemon.events('failing')).some((e) => e.kind === 'notify.delivered'),
      10_000,
      'notify.delivered',
    );
    const events = await daemon.events('failing');
    assert.equal(events.filter((e) => e.kind === 'notify.failed').length, 2);
    assert.ok(events.some((e) => e.kind === 'schedule.failed'));
    for (const e of events)
      assert.ok(!JSON.stringify(e).includes(SECRET_VALUE), `event ${e.kind} shows a secret`);
    assert.ok(!daemon.daemonLog().includes(SECRET_VALUE));

    const removed = await daemon.cli(['notify', 'remove', '1', '-a', 'failing']);
    assert.equal(removed.code, 0, removed.stderr);
    const bad = await daemon.cli(['notify', 'add', 'ftp://x', '-a', 'failing']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not an http or https URL/);
  } finally {
    await daemon.destroy();
    receiver.close();
  }
});
