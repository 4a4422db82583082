// Schedules with a real daemon and real machines: every due time of an `every = "1s"` schedule
// runs once across a deploy and a daemon SIGKILL (checked from what the runs themselves wrote,
// against berth's records), and overlap = "skip" keeps a slow run from being doubled.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScheduleInfo, ScheduleRunInfo } from '../../src/sdk/schedule-types.js';
import { dirSharedWithMachines, eventually, sleep, TestDaemon } from '../helpers/daemon.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';

const work = mkdtempSync(join(tmpdir(), 'berth-schedules-'));
const shared = dirSharedWithMachines('berth-schedules-');
after(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(shared, { recursive: true, force: true });
});

// Each run appends "<due time> <release> <trigger>" to OUT, from inside its machine.
const TICK = `
import { appendFileSync } from 'node:fs';
const ms = Number(process.env.SLEEP_MS ?? '0');
appendFileSync(process.env.OUT, 'start ' + process.env.BERTH_SCHEDULE_DUE + ' ' + process.env.BERTH_RELEASE_VERSION + ' ' + process.env.BERTH_SCHEDULE_TRIGGER + '\\n');
setTimeout(() => appendFileSync(process.env.OUT, 'end ' + process.env.BERTH_SCHEDULE_DUE + '\\n'), ms);
`;
const SERVER = `
import http from 'node:http';
http.createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT));
`;

function writeApp(dir: string, o: { app: string; out: string; label: string; schedule: string[] }): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tick.js'), TICK);
  writeFileSync(join(dir, 'server.js'), SERVER);
  writeFileSync(join(dir, 'label.txt'), o.label);
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(
    join(dir, 'berth.toml'),
    [
      `app = "${o.app}"`,
      '[processes]',
      'app = "node server.js"',
      '[env]',
      `OUT = "${o.out}"`,
      '[http_service]',
      'internal_port = 8080',
      ...o.schedule,
    ].join('\n') + '\n',
  );
  return dir;
}

interface Line {
  due: string;
  release: number;
  trigger: string;
}

function startedRuns(file: string): Line[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('start '))
    .map((l) => {
      const [, due, release, trigger] = l.split(' ');
      return { due: due!, release: Number(release), trigger: trigger! };
    });
}

async function history(daemon: TestDaemon, app: string, name: string): Promise<ScheduleRunInfo[]> {
  return (
    await daemon.cliJson<{ runs: ScheduleRunInfo[] }>(['schedules', 'history', name, '-a', app, '-n', '1000'])
  ).runs;
}

test('an every = "1s" schedule runs each due time once across a deploy and a daemon SIGKILL', async () => {
  const daemon = await TestDaemon.start();
  try {
    const out = join(shared, 'ticks.txt');
    // A catch-up window wider than the outage plus a slow daemon start on a loaded machine, so
    // the latest due time while it was down is caught up rather than recorded missed.
    const schedule = [
      '[schedules.tick]',
      'every = "1s"',
      'command = "node tick.js"',
      'overlap = "allow"',
      'catch_up = "1m"',
    ];
    const v1 = writeApp(join(work, 'ticker-v1'), { app: 'ticker', out, label: 'v1', schedule });
    await daemon.deploy(v1);
    await eventually(() => startedRuns(out).length >= 3, 30_000, 'three runs of v1');

    // A deploy: runs move to v2 with no due time lost or doubled.
    const v2 = writeApp(join(work, 'ticker-v2'), { app: 'ticker', out, label: 'v2', schedule });
    await daemon.deploy(v2);
    await eventually(() => startedRuns(out).filter((l) => l.release === 2).length >= 2, 30_000, 'runs of v2');

    // SIGKILL, a few due times pass with no daemon, then a new daemon on the same home.
    daemon.kill9();
    await daemon.waitExit();
    const killedAt = Date.now();
    await sleep(3_500); // due times pass while no daemon runs
    await daemon.boot();
    const restartedAt = Date.now();
    await eventually(
      () => startedRuns(out).filter((l) => Date.parse(l.due) > restartedAt).length >= 3,
      30_000,
      'runs after the restart',
    );

    const lines = startedRuns(out);
    const dues = lines.map((l) => l.due);
    assert.equal(new Set(dues).size, dues.length, `a due time ran twice:\n${dues.join('\n')}`);
    const runs = await history(daemon, 'ticker', 'tick');
    const missed = new Set(runs.filter((r) => r.outcome === 'missed').map((r) => r.dueAt));
    const ran = new Set(dues);
    for (const due of missed) assert.ok(!ran.has(due), `${due} is recorded missed but ran`);
    // Every second from the first run to the last one written is either run or recorded missed.
    const first = Date.parse(dues[0]!);
    const last = Math.max(...dues.map((d) => Date.parse(d)));
    for (let at = first; at <= last; at += 1000) {
      const due = new Date(at).toISOString();
      assert.ok(ran.has(due) || missed.has(due), `${due} neither ran nor was recorded missed`);
    }
    // Missed ones were due while no daemon ran, and are older than the one caught up.
    assert.ok(missed.size >= 1, 'due times while the daemon was down are recorded missed');
    const catchUps = lines.filter((l) => l.trigger === 'catch-up');
    assert.equal(
      catchUps.length,
      1,
      `one catch-up run after the restart (down ${new Date(killedAt).toISOString()} to ${new Date(restartedAt).toISOString()}); ` +
        `the last runs: ${JSON.stringify(lines.slice(-8))}; missed: ${[...missed].join(' ')}\n` +
        daemon
          .daemonLog()
          .split('\n')
          .filter((l) => /schedule|catch|missed/.test(l))
          .join('\n'),
    );
    for (const due of missed) {
      const at = Date.parse(due);
      assert.ok(at < Date.parse(catchUps[0]!.due), `missed ${due} is not older than the catch-up run`);
      assert.ok(
        at >= killedAt - 1000 && at <= restartedAt,
        `missed ${due} was not due while the daemon was down`,
      );
    }
    // Both releases ran it; berth's records match the runs' own lines.
    assert.ok(lines.some((l) => l.release === 1) && lines.some((l) => l.release === 2));
    for (const line of lines) {
      const run = runs.find((r) => r.dueAt === line.due);
      assert.ok(run, `no record of the run due ${line.due}`);
      assert.equal(run.releaseVersion, line.release);
    }
    assert.match(daemon.daemonLog(), /runs now \(within the catch-up window\)/);

    const list = await daemon.cliJson<{ schedules: ScheduleInfo[] }>(['schedules', 'list', '-a', 'ticker']);
    assert.equal(list.schedules[0]?.name, 'tick');
    assert.ok(list.schedules[0]?.nextRunAt);
    assert.ok(list.schedules[0]?.lastRun);

    // Paused: no runs; resumed: runs again.
    await daemon.cliJson(['schedules', 'pause', 'tick', '-a', 'ticker']);
    await sleep(200); // a run claimed just before the pause may still start
    const pausedAt = Date.now();
    await eventually(() => Date.now() - pausedAt > 2500, 5000, 'time to pass');
    const duringPause = startedRuns(out).filter((l) => Date.parse(l.due) > pausedAt);
    assert.deepEqual(duringPause, [], 'a paused schedule ran');
    await daemon.cliJson(['schedules', 'resume', 'tick', '-a', 'ticker']);
    const resumedAt = Date.now();
    await eventually(
      () => startedRuns(out).some((l) => Date.parse(l.due) > resumedAt),
      20_000,
      'a run after resume',
    );
  } finally {
    await daemon.destroy();
  }
});

test('overlap = "skip" records a due time as skipped while the last run still goes; a run by hand runs once', async () => {
  const daemon = await TestDaemon.start();
  try {
    const out = join(shared, 'slow.txt');
    const dir = writeApp(join(work, 'slow'), {
      app: 'slow',
      out,
      label: 'v1',
      schedule: [
        '[schedules.slow]',
        'every = "1s"',
        'command = "SLEEP_MS=3500 node tick.js"',
        'overlap = "skip"',
      ],
    });
    await daemon.deploy(dir);
    await eventually(
      async () => (await history(daemon, 'slow', 'slow')).filter((r) => r.outcome === 'ok').length >= 2,
      60_000,
      'two finished runs',
    );
    const runs = await history(daemon, 'slow', 'slow');
    assert.ok(
      runs.some((r) => r.outcome === 'skipped'),
      'no skipped run',
    );
    // The runs' own lines: no run started before the previous one ended.
    const events = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    let open = 0;
    for (const line of events) {
      open += line.startsWith('start ') ? 1 : -1;
      assert.ok(open <= 1, `two runs overlapped:\n${events.join('\n')}`);
    }
    const skipped = new Set(runs.filter((r) => r.outcome === 'skipped').map((r) => r.dueAt));
    for (const line of startedRuns(out)) assert.ok(!skipped.has(line.due), `skipped ${line.due} ran`);

    // `schedules run --wait` on a schedule that is not due: once, now.
    await daemon.cliJson(['schedules', 'pause', 'slow', '-a', 'slow']);
    const manual = await daemon.cli(['schedules', 'run', 'slow', '-a', 'slow', '--wait', '--json']);
    assert.equal(manual.code, 0, manual.stderr);
    const { run } = JSON.parse(manual.stdout) as { run: ScheduleRunInfo };
    assert.equal(run.trigger, 'manual');
    assert.equal(run.outcome, 'ok');
    assert.equal(run.exitCode, 0);
    assert.equal(startedRuns(out).filter((l) => l.trigger === 'manual').length, 1);

    // The metrics count each outcome and the release's usage counts the runs that ran a machine.
    const after = await history(daemon, 'slow', 'slow');
    const count = (outcome: string) => after.filter((r) => r.outcome === outcome).length;
    const scraped = await daemon.api('GET', '/metrics');
    assert.equal(scraped.status, 200, scraped.body);
    const families = parsePrometheusText(scraped.body);
    const labels = { app: 'slow', release: 'v1', schedule: 'slow' };
    assert.equal(
      sampleValue(families, 'berth_schedule_runs_total', { ...labels, outcome: 'ok' }),
      count('ok'),
    );
    assert.equal(
      sampleValue(families, 'berth_schedule_runs_total', { ...labels, outcome: 'skipped' }),
      count('skipped'),
    );
    const status = await daemon.cliJson<{ usage: { total: { scheduleRuns: number } } }>([
      'status',
      '-a',
      'slow',
      '--json',
    ]);
    assert.equal(status.usage.total.scheduleRuns, count('ok') + count('failed') + count('timeout'));

    const missing = await daemon.cli(['schedules', 'run', 'nope', '-a', 'slow']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no schedule "nope"/);
  } finally {
    await daemon.destroy();
  }
});

test('a schedule whose config is invalid fails the deploy with the key and the fix', async () => {
  const daemon = await TestDaemon.start();
  try {
    const dir = writeApp(join(work, 'bad'), {
      app: 'bad',
      out: join(shared, 'bad.txt'),
      label: 'v1',
      schedule: ['[schedules.x]', 'cron = "61 * * * *"', 'timezone = "Mars/Olympus"', 'command = "true"'],
    });
    const result = await daemon.cli(['deploy', dir]);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    const text = result.stdout + result.stderr;
    assert.match(text, /schedules\.x\.cron/);
    assert.match(text, /minute/);
    assert.match(text, /schedules\.x\.timezone/);
  } finally {
    await daemon.destroy();
  }
});
