// `berth run` and `berth console`: a temporary machine of a release (its env and secrets, its
// group's volumes only when asked), joined to the client's session and destroyed at the end,
// whichever way it ends (the command exits, the client goes away). Both are `machine run --rm`
// machines, so a daemon restarted meanwhile still destroys them when they exit.
import { commandLine } from '../core/shell-words.js';
import type { ExitStatus } from '../core/session-frames.js';
import type { ExecRequest } from '../drivers/driver.js';
import type { Machine } from '../store/machines.js';
import type { Store } from '../store/store.js';
import type { DaemonDrivers } from './drivers.js';
import type { MachineControl } from './machine-control.js';
import { sleep } from './readiness.js';
import { describeExit, type MachineSupervisor } from './supervisor.js';
import { joinSession, type AcceptSession, type SessionPeer } from './session-peer.js';

export interface OneOffRequest {
  /** Default: the app's current release. */
  release?: number;
  /** Mount the group's volumes. */
  volumes?: boolean;
}

/** What a console machine runs while the shell is in it: nothing, until it is told to stop. */
const CONSOLE_IDLE = "trap 'exit 0' HUP INT QUIT TERM USR1 USR2; while :; do sleep 3600 & wait $!; done";
/** The console's shell: bash where the machine has it, else sh. */
const CONSOLE_SHELL = [
  '/bin/sh',
  '-c',
  'if command -v bash >/dev/null 2>&1; then exec bash -i; else exec sh -i; fi',
];

export class OneOffRuns {
  constructor(
    private readonly deps: {
      store: Store;
      supervisor: MachineSupervisor;
      drivers: DaemonDrivers;
      machineControl: MachineControl;
    },
  ) {}

  /** Runs `command` (arguments as given) in a new machine; streams its output, then its exit. */
  async run(
    app: string,
    request: OneOffRequest & { command: string[] },
    accept: AcceptSession,
  ): Promise<void> {
    const line = commandLine(request.command);
    const machine = await this.start(app, request, line);
    try {
      const peer = accept();
      peer.send('note', `machine ${machine.id} runs \`${line}\` on v${machine.releaseVersion}`);
      const exit = await this.output(machine, peer);
      if (exit === undefined) return; // the client went away: the machine is stopped below
      this.deps.store.events.append({
        app,
        releaseVersion: machine.releaseVersion,
        machineId: machine.id,
        kind: 'machine.exited',
        message: `machine ${machine.id} exited (${describeExit({ state: 'exited', ...exit })}); destroying it (berth run)`,
        data: { exitCode: exit.exitCode, signal: exit.signal },
      });
      await this.end(machine);
      peer.finish(exit);
    } finally {
      await this.end(machine);
    }
  }

  /** A shell on a PTY in a new machine that runs nothing else. */
  async console(
    app: string,
    request: OneOffRequest & { tty: NonNullable<ExecRequest['tty']> },
    accept: AcceptSession,
  ): Promise<void> {
    // A driver that cannot exec refuses before a machine is started for nothing.
    const release = await this.deps.machineControl.releaseFor(app, request.release);
    const refused = this.deps.drivers.forRelease(release).refuseExec?.();
    if (refused) throw refused;
    const machine = await this.start(app, request, CONSOLE_IDLE);
    try {
      const handle = machine.handle!;
      const session = await this.deps.drivers
        .forHandle(handle)
        .exec(handle, { command: CONSOLE_SHELL, tty: request.tty });
      const peer = accept();
      peer.send(
        'note',
        `machine ${machine.id} on v${machine.releaseVersion}; it is destroyed when the shell exits`,
      );
      const exit = await joinSession(session, peer);
      await this.end(machine);
      peer.finish(exit);
    } finally {
      await this.end(machine);
    }
  }

  /**
   * Console machines left by an earlier daemon: their shell went with that daemon's session
   * and they would wait for ever, so they are destroyed when the daemon starts.
   */
  async removeOrphanConsoles(): Promise<void> {
    for (const machine of this.deps.store.machines.listLive()) {
      if (machine.managed || machine.command !== CONSOLE_IDLE || !machine.runConfig?.autoDestroy) continue;
      await this.deps.supervisor.retire(machine.id, { drain: false });
    }
  }

  private start(app: string, request: OneOffRequest, command: string): Promise<Machine> {
    return this.deps.machineControl.run(
      app,
      {
        command,
        autoDestroy: true,
        ...(request.release !== undefined && { release: request.release }),
        ...(request.volumes && { volumes: true }),
      },
      { attended: true },
    );
  }

  /** Every line the machine writes, then how it exited; undefined when the client left first. */
  private async output(machine: Machine, peer: SessionPeer): Promise<ExitStatus | undefined> {
    const handle = machine.handle!;
    const driver = this.deps.drivers.forHandle(handle);
    const gone = new AbortController();
    peer.onClose(() => gone.abort());
    await driver.followLogs(handle, (text) => peer.send('stdout', `${text}\n`), gone.signal, {
      fromStart: true,
      untilExit: true,
    });
    for (;;) {
      if (gone.signal.aborted) return undefined;
      const observed = await driver.inspect(handle);
      if (observed.state === 'exited') {
        // Its node was lost (swarm): the command's end is unknown, and the CLI exits non-zero.
        if (observed.lost) peer.send('stderr', `berth: machine ${machine.id}: ${observed.lost}\n`);
        return { exitCode: observed.exitCode, signal: observed.signal };
      }
      if (observed.state === 'missing') return { exitCode: null, signal: null };
      await sleep(100);
    }
  }

  private async end(machine: Machine): Promise<void> {
    await this.deps.supervisor.retire(machine.id, { drain: false });
    this.deps.supervisor.unattend(machine.id);
  }
}
