// Logs as the daemon keeps them, through the real CLI: each line's time, machine, group and
// release; `logs -f` across a deploy (the new machines' lines, the old ones' stop lines); the
// output of replaced, one-off (--rm) and release-command machines readable after they are gone;
// and the kept files held under their caps and retention.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogLine, MachineInfo } from '../../src/sdk/types.js';
import { CLI, TestDaemon, eventually } from '../helpers/daemon.js';
import { addDockerfile, testDrivers } from '../helpers/drivers.js';
import { writeRolloutApp } from '../helpers/rollout-app.js';

const STAMPED_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) ([0-9a-f]+) (\S+) v(\d+)( \[berth\])?: (.*)$/;

for (const driver of testDrivers()) {
  describe(`logs (${driver.name})`, { skip: driver.skip }, () => {
    const app = `logs-${driver.name}`;
    let daemon: TestDaemon;
    let work: string;
    before(async () => {
      await driver.prepare();
      daemon = await TestDaemon.start();
      work = mkdtempSync(join(tmpdir(), 'berth-logs-'));
    });
    after(async () => {
      await daemon.destroy();
      rmSync(work, { recursive: true, force: true });
    });

    let first: MachineInfo;
    test('every line carries its time, machine, process group and release, in text and --json', async () => {
      const dir = join(work, 'v1');
      writeRolloutApp(dir, { app, label: 'one', driver: driver.name });
      await daemon.deploy(dir, driver.deployArgs);
      first = (await daemon.machines(app))[0]!;
      const text = await eventually(
        async () => {
          const out = (await daemon.cli(['logs', '-a', app])).stdout;
          return /booting one/.test(out) ? out : undefined;
        },
        20_000,
        'the first machine to log',
      );
      const booting = text!.split('\n').find((l) => l.includes('booting one'))!;
      const [, time, machine, group, release] = STAMPED_LINE.exec(booting) ?? [];
      assert.ok(time && Math.abs(Date.parse(time) - Date.now()) < 600_000, booting);
      assert.equal(machine, first.id);
      assert.equal(group, 'app');
      assert.equal(release, '1');
      // The daemon's own line about the machine is there too.
      assert.match(
        text!,
        new RegExp(`${first.id} app v1 \\[berth\\]: machine ${first.id} \\(app\\) started`),
      );

      const json = await daemon.cli(['logs', '-a', app, '--json']);
      const records = json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as LogLine);
      const line = records.find((r) => r.line.includes('booting one'))!;
      assert.equal(line.machine, first.id);
      assert.equal(line.processGroup, 'app');
      assert.equal(line.release, 1);
      assert.equal(line.stream, 'stdout');
      assert.equal(line.time, time);
      // Oldest first.
      const times = records.map((r) => r.time);
      assert.deepEqual(times, [...times].sort());
    });

    test('logs -f follows a deploy: the release command, the new machine, the old one stopping', async () => {
      const child = spawn(process.execPath, [CLI, 'logs', '-a', app, '-f', '-n', '0'], { env: daemon.env });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      try {
        // Attached once a line it could only see live appears: the next deploy's.
        const dir = join(work, 'v2');
        writeRolloutApp(dir, {
          app,
          label: 'two',
          driver: driver.name,
          releaseCommand: 'node -e "console.log(\'migrating for two\')"',
        });
        await daemon.deploy(dir, driver.deployArgs);
        const second = (await daemon.machines(app)).find((m) => m.releaseVersion === 2)!;
        await eventually(
          () =>
            new RegExp(`${second.id} app v2: booting two`).test(out) &&
            /release_command v2: migrating for two/.test(out) &&
            new RegExp(
              `${first.id} app v1 \\[berth\\]: machine ${first.id} \\(app\\) stopped and destroyed`,
            ).test(out),
          30_000,
          'the deploy in the followed output',
        ).catch((err: Error) => {
          throw new Error(`${err.message}\n${out}`);
        });
        for (const line of out.trim().split('\n')) assert.match(line, STAMPED_LINE);
      } finally {
        child.kill('SIGINT');
      }
    });

    test('a replaced machine, a release command and a --rm machine stay readable once gone', async () => {
      const replaced = await daemon.cli(['logs', '-a', app, '--machine', first.id]);
      assert.equal(replaced.code, 0, replaced.stderr);
      assert.match(replaced.stdout, /app v1: booting one/);
      assert.match(replaced.stdout, /stopped and destroyed/);

      const v2 = await daemon.cli(['logs', '-a', app, '--release', 'v2']);
      assert.equal(v2.code, 0, v2.stderr);
      assert.match(v2.stdout, /release_command v2: migrating for two/);
      assert.match(v2.stdout, /app v2: booting two/);
      assert.doesNotMatch(v2.stdout, /booting one/);

      const made = await daemon.cliJson<MachineInfo>([
        'machine',
        'run',
        '-a',
        app,
        '--cmd',
        'sh -c "echo one-off says goodbye; sleep 0.3"',
        '--rm',
      ]);
      await eventually(
        async () => !(await daemon.machines(app)).some((m) => m.id === made.id),
        30_000,
        'the --rm machine to be destroyed',
      );
      const gone = await daemon.cli(['logs', '-a', app, '--machine', made.id]);
      assert.equal(gone.code, 0, gone.stderr);
      assert.match(gone.stdout, new RegExp(`${made.id} \\S+ v2: one-off says goodbye`));

      const unknown = await daemon.cli(['logs', '-a', app, '--machine', 'feedfacefeedface']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /has no machine feedfacefeedface/);
      const noRelease = await daemon.cli(['logs', '-a', app, '--release', 'v9']);
      assert.notEqual(noRelease.code, 0);
      assert.match(noRelease.stderr, /has no release v9/);
    });

    test('a machine that failed during a deploy: its output is kept under its release', async () => {
      const dir = join(work, 'v3');
      writeRolloutApp(dir, { app, label: 'three', behaviour: 'crash', driver: driver.name });
      const failed = await daemon.cli(['deploy', dir, ...driver.deployArgs]);
      assert.equal(failed.code, 4, failed.stdout + failed.stderr);
      const v3 = await daemon.cli(['logs', '-a', app, '--release', 'v3', '--json']);
      assert.equal(v3.code, 0, v3.stderr);
      const records = v3.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as LogLine);
      const crashed = records.find((r) => r.line === 'crashing on purpose');
      assert.ok(crashed, v3.stdout);
      assert.equal(crashed.release, 3);
      // Gone by now (reverted), and still readable by its id.
      assert.ok(!(await daemon.machines(app)).some((m) => m.id === crashed.machine));
      const byId = await daemon.cli(['logs', '-a', app, '--machine', crashed.machine]);
      assert.match(byId.stdout, /app v3: booting three in mode crash/);
    });
  });
}

/** An app that writes a numbered 100-byte line every few milliseconds, forever. */
function writeChattyApp(dir: string, app: string, driverName: 'process' | 'docker'): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'server.js'),
    "let n = 0; setInterval(() => console.log('chatty line ' + String(n++).padStart(8, '0') + ' ' + 'x'.repeat(70)), 2);\n",
  );
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'berth.toml'), `app = "${app}"\n\n[processes]\napp = "node server.js"\n`);
  addDockerfile(dir, driverName);
}

describe('log caps and retention', () => {
  const MAX_MACHINE = 16 * 1024;
  const MAX_TOTAL = 48 * 1024;
  let daemon: TestDaemon;
  let work: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'berth-logcaps-'));
    daemon = await TestDaemon.start({
      BERTH_LOG_MAX_MACHINE: '16KiB',
      BERTH_LOG_MAX_TOTAL: '48KiB',
      BERTH_LOG_RETENTION: '7d',
    });
  });
  after(async () => {
    await daemon.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  const keptFiles = () => {
    const root = join(daemon.home, 'logs');
    return readdirSync(root).flatMap((app) =>
      readdirSync(join(root, app)).map((name) => {
        const path = join(root, app, name);
        return { app, name, path, bytes: statSync(path).size };
      }),
    );
  };

  test('each machine rotates within its cap, all of them stay under the total, the newest lines are kept', async () => {
    const dir = join(work, 'chatty');
    writeChattyApp(dir, 'chatty', 'process');
    await daemon.deploy(dir);
    await daemon.cli(['scale', 'count', '3', '-a', 'chatty']);
    // Three machines at ~50 KB/s each fill the 48 KiB total many times over.
    await eventually(
      () => keptFiles().some((f) => f.name.endsWith('.log.1')),
      30_000,
      'a machine log to be rotated',
    );
    await eventually(
      async () => {
        const total = keptFiles().reduce((sum, f) => sum + f.bytes, 0);
        return total > MAX_TOTAL * 0.5;
      },
      30_000,
      'the kept logs to grow near the total cap',
    );
    for (let round = 0; round < 5; round++) {
      const files = keptFiles();
      const total = files.reduce((sum, f) => sum + f.bytes, 0);
      // One line past a cap at most: rotation and deletion happen as the line that crosses it is kept.
      assert.ok(total <= MAX_TOTAL + 1024, `total ${total} over the cap: ${JSON.stringify(files)}`);
      for (const f of files) assert.ok(f.bytes <= MAX_MACHINE / 2 + 1024, `${f.name} is ${f.bytes} bytes`);
      // The process driver's own log file is emptied as it is copied: it holds what the app wrote
      // since the last copy (0.1 s apart, more on a starved machine: 22 KB was seen at a load
      // average of 15), never the whole history.
      const machineDirs = readdirSync(join(daemon.home, 'machines'));
      for (const id of machineDirs) {
        let size = 0;
        try {
          size = statSync(join(daemon.home, 'machines', id, 'machine.log')).size;
        } catch {
          continue;
        }
        assert.ok(size <= 4 * MAX_MACHINE, `machines/${id}/machine.log is ${size} bytes`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // The newest lines are there, numbered after the deleted ones.
    const logs = await daemon.cli(['logs', '-a', 'chatty', '-n', '5', '--json']);
    const numbers = logs.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as LogLine).line)
      .filter((l) => l.startsWith('chatty line'))
      .map((l) => Number(l.split(' ')[2]));
    assert.ok(numbers.length > 0 && numbers.every((n) => n > 100), logs.stdout);
  });

  test('logs of gone machines past the retention period are deleted when the daemon starts', async () => {
    const machines = await daemon.machines('chatty');
    await daemon.cli(['scale', 'count', '1', '-a', 'chatty']);
    const kept = (await daemon.machines('chatty'))[0]!;
    const gone = machines.find((m) => m.id !== kept.id)!;
    await eventually(
      async () =>
        (await daemon.cli(['logs', '-a', 'chatty', '--machine', gone.id])).stdout.includes('destroyed'),
      30_000,
      'the scaled-down machine to be destroyed',
    );
    await daemon.terminate();
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
    for (const f of keptFiles().filter((f) => f.name.startsWith(gone.id)))
      utimesSync(f.path, eightDaysAgo, eightDaysAgo);
    await daemon.boot({
      BERTH_LOG_MAX_MACHINE: '16KiB',
      BERTH_LOG_MAX_TOTAL: '48KiB',
      BERTH_LOG_RETENTION: '7d',
    });
    assert.ok(!keptFiles().some((f) => f.name.startsWith(gone.id)));
    const expired = await daemon.cli(['logs', '-a', 'chatty', '--machine', gone.id]);
    assert.equal(expired.stdout, '');
    const live = await daemon.cli(['logs', '-a', 'chatty', '--machine', kept.id, '-n', '3']);
    assert.match(live.stdout, /chatty line/);
  });
});
