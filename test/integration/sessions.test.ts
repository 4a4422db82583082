// One-off commands, commands inside running machines and a console, with a real daemon and the
// real CLI, on each driver: `berth run` streams the output of a temporary machine of the release
// (its env and secrets, its volumes with --volumes), exits with its code and leaves no machine;
// `berth exec` runs inside a running machine with its environment and files, stdin forwarded;
// `berth console` and `exec -t` are driven through a real PTY (node-pty), typing commands and
// reading their output, a resize included.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pty from 'node-pty';
import { CLI, REPO_ROOT, TestDaemon, eventually } from '../helpers/daemon.js';
import { testDrivers } from '../helpers/drivers.js';
import { writeRolloutApp } from '../helpers/rollout-app.js';

const APP = 'sessions';
const SECRET = 'sekret-value-42';
/** The terminal's size as a program in the machine sees it (images may have no stty). */
const SIZE = `node -p "process.stdout.rows + ' ' + process.stdout.columns"`;

/** The real CLI on a real terminal: what it printed so far, and its exit. */
class TerminalCli {
  output = '';
  readonly exit: Promise<number>;
  private readonly term: pty.IPty;

  constructor(args: string[], env: NodeJS.ProcessEnv, size = { cols: 90, rows: 30 }) {
    this.term = pty.spawn(process.execPath, [CLI, ...args], {
      name: 'xterm-256color',
      cwd: REPO_ROOT,
      env: env as Record<string, string>,
      ...size,
    });
    this.term.onData((data) => (this.output += data));
    this.exit = new Promise((resolve) => this.term.onExit(({ exitCode }) => resolve(exitCode)));
  }

  type(text: string): void {
    this.term.write(text);
  }

  resize(cols: number, rows: number): void {
    this.term.resize(cols, rows);
  }

  /** Waits until the output matches, and returns the match. */
  async waitFor(pattern: RegExp, what: string): Promise<RegExpMatchArray> {
    const match = await eventually(
      (): RegExpMatchArray | undefined => pattern.exec(this.output) ?? undefined,
      60_000,
      `${what} in:\n${this.output}`,
    );
    return match!;
  }
}

for (const driver of testDrivers()) {
  describe(`run, exec and console (${driver.name})`, { skip: driver.skip }, () => {
    let daemon: TestDaemon;
    let dir: string;
    let machineId: string;

    before(async () => {
      await driver.prepare();
      daemon = await TestDaemon.start();
      dir = writeRolloutApp(mkdtempSync(join(tmpdir(), 'berth-sessions-')), {
        app: APP,
        label: 'one',
        mountDestination: '/data',
        driver: driver.name,
      });
      await daemon.deploy(dir, driver.deployArgs);
      // v2: the secret's release.
      const secret = await daemon.cli(['secrets', 'set', `SESSION_SECRET=${SECRET}`, '-a', APP]);
      assert.equal(secret.code, 0, secret.stderr);
      const machines = await daemon.machines(APP);
      assert.equal(machines.length, 1);
      machineId = machines[0]!.id;
    });

    after(async () => {
      await daemon?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('run streams the output of a temporary machine with the release env and secrets, and exits with its code', async () => {
      const result = await daemon.cli([
        'run',
        '-a',
        APP,
        '--',
        'sh',
        '-c',
        'echo "out $BERTH_APP v$BERTH_RELEASE_VERSION"; echo "secret=$SESSION_SECRET"; echo oops >&2; cat label.txt; exit 7',
      ]);
      assert.equal(result.code, 7, result.stderr);
      assert.match(result.stdout, new RegExp(`^out ${APP} v2$`, 'm'));
      assert.match(result.stdout, new RegExp(`^secret=${SECRET}$`, 'm'));
      assert.match(result.stdout, /^oops$/m);
      // The release's files, and a last line without its newline, come through.
      assert.match(result.stdout, /^one$/m);
      const note = /==> machine (\w+) runs/.exec(result.stderr);
      assert.ok(note, result.stderr);
      // Gone when the command returns: only the deployed machine is left.
      assert.deepEqual(
        (await daemon.machines(APP)).map((m) => m.id),
        [machineId],
      );
      const events = await daemon.events(APP);
      const exited = events.find((e) => e.kind === 'machine.exited' && e.machineId === note[1]);
      assert.ok(exited, 'the exit of the run is an event');
      assert.match(exited.message, /exit code 7/);
      // Its output stays readable once the machine is gone.
      const kept = await daemon.cli(['logs', '-a', APP, '--machine', note[1]!]);
      assert.equal(kept.code, 0, kept.stderr);
      assert.match(kept.stdout, new RegExp(`out ${APP} v2$`, 'm'));
      assert.match(kept.stdout, /oops$/m);
    });

    test('run exits 0, passes arguments as given, and a missing program is 127', async () => {
      const ok = await daemon.cli(['run', '-q', '-a', APP, '--', 'echo', 'two  spaces', "it's", '$HOME']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, "two  spaces it's $HOME\n");
      assert.equal(ok.stderr, '');
      const missing = await daemon.cli(['run', '-q', '-a', APP, '--', 'no-such-program-here']);
      assert.equal(missing.code, 127, missing.stdout + missing.stderr);
    });

    test('run --volumes sees the data of the group volume, and run without it does not', async () => {
      const write = await daemon.cli([
        'run',
        '-q',
        '--volumes',
        '-a',
        APP,
        '--',
        'sh',
        '-c',
        'echo from-run > /data/note.txt',
      ]);
      assert.equal(write.code, 0, write.stderr);
      // The deployed machine holds the same volume.
      const read = await daemon.cli(['exec', '-a', APP, machineId, '--', 'cat', '/data/note.txt']);
      assert.equal(read.code, 0, read.stderr);
      assert.equal(read.stdout, 'from-run\n');
      const without = await daemon.cli(['run', '-q', '-a', APP, '--', 'sh', '-c', 'cat /data/note.txt']);
      assert.notEqual(without.code, 0);
    });

    test('run refuses an unknown app, an unknown release and no command, with a usage exit code', async () => {
      const app = await daemon.cli(['run', '-a', 'nope', '--', 'true']);
      assert.equal(app.code, 2);
      assert.match(app.stderr, /app "nope" does not exist/);
      const release = await daemon.cli(['run', '-a', APP, '--release', 'v99', '--', 'true']);
      assert.equal(release.code, 2);
      assert.match(release.stderr, /no release v99/);
      const none = await daemon.cli(['run', '-a', APP]);
      assert.equal(none.code, 2);
    });

    test('exec runs inside the running machine, with its environment and stdin, and returns its exit code', async () => {
      const result = await daemon.cli(
        [
          'exec',
          '-a',
          APP,
          machineId,
          '--',
          'sh',
          '-c',
          'echo "id=$BERTH_MACHINE_ID secret=$SESSION_SECRET"; cat; exit 3',
        ],
        { input: 'piped input\n' },
      );
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stdout, new RegExp(`^id=${machineId} secret=${SECRET}$`, 'm'));
      assert.match(result.stdout, /^piped input$/m);
      // It sees what the machine's own process wrote, in the machine's own filesystem.
      const files = await daemon.cli([
        'exec',
        '-a',
        APP,
        machineId,
        '--',
        'sh',
        '-c',
        'cat label.txt mode.txt',
      ]);
      assert.equal(files.stdout, 'oneok'); // both written without a newline
      // The machine still serves: exec changed nothing.
      assert.equal((await daemon.proxied(APP, '/')).status, 200);
    });

    if (driver.name === 'process') {
      test('exec on the process driver keeps the daemon home hidden, as the machine has it', async () => {
        const result = await daemon.cli([
          'exec',
          '-a',
          APP,
          machineId,
          '--',
          'sh',
          '-c',
          `ls -a ${daemon.home}`,
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.doesNotMatch(result.stdout, /credentials|berth\.db/);
      });

      test('a command killed by a signal exits 128+N', async () => {
        const result = await daemon.cli(['run', '-q', '-a', APP, '--', 'sh', '-c', 'kill -TERM $$']);
        assert.equal(result.code, 143, result.stdout + result.stderr);
      });
    }

    test('exec refuses a machine that does not exist', async () => {
      const result = await daemon.cli(['exec', '-a', APP, 'nosuchmachine', '--', 'true']);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /no machine "nosuchmachine"/);
    });

    test('console opens a shell on a PTY in a temporary machine, follows resizes and exits with the shell', async () => {
      const cli = new TerminalCli(['console', '-a', APP], daemon.env);
      const [, consoleMachine] = await cli.waitFor(/==> machine (\w+) on v2/, 'the console machine');
      assert.notEqual(consoleMachine, machineId);
      cli.type('echo "sum=$((6*7)) app=$BERTH_APP"\r');
      await cli.waitFor(new RegExp(`sum=42 app=${APP}`), 'the output of a typed command');
      cli.type(`${SIZE}\r`);
      await cli.waitFor(/^30 90\r?$/m, 'the terminal size');
      cli.resize(100, 40);
      // A resize may take a moment to reach the remote PTY: ask until it has.
      await eventually(
        async () => {
          cli.type(`${SIZE}\r`);
          return /^40 100\r?$/m.test(cli.output) || undefined;
        },
        60_000,
        'the new size',
      );
      cli.type('exit 4\r');
      assert.equal(await cli.exit, 4);
      await eventually(
        async () => !(await daemon.machines(APP)).some((m) => m.id === consoleMachine) || undefined,
        20_000,
        'the console machine to be destroyed',
      );
    });

    test('exec -t runs on a PTY of the local terminal size', async () => {
      const cli = new TerminalCli(
        ['exec', '-t', '-a', APP, machineId, '--', 'sh', '-c', `${SIZE}; test -t 0 && echo on-a-tty`],
        daemon.env,
        {
          cols: 77,
          rows: 22,
        },
      );
      assert.equal(await cli.exit, 0, cli.output);
      assert.match(cli.output, /22 77/);
      assert.match(cli.output, /on-a-tty/);
    });
  });
}
