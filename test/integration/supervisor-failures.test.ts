// Machines the daemon could not finish, on each driver: one the supervisor cannot restart
// (something is in its way) is reported and retried with backoff while the daemon and the
// app's other machines carry on; one a scale-up started just before the daemon died is
// finished on restart; one killed from outside is restarted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MachineInfo, MachineStatusInfo } from '../../src/sdk/types.js';
import { eventually, killGroup, TestDaemon } from '../helpers/daemon.js';
import { Engine } from '../helpers/docker-engine.js';
import { testDrivers, type TestDriver } from '../helpers/drivers.js';
import { writeRolloutApp } from '../helpers/rollout-app.js';

/** Kills a machine's run from outside the daemon: its process group, or its container. */
async function killMachine(driver: TestDriver, daemon: TestDaemon, machineId: string): Promise<void> {
  const handle = daemon.machineHandles().get(machineId)!;
  if (driver.name === 'process') killGroup(handle.pid!);
  else await new Engine().json('POST', `/containers/${handle.containerId}/kill`);
}

/**
 * Puts something in the machine's way that keeps a restart from starting it, and returns what
 * takes it away again. process: its release's tree, copied out on each start, is moved away.
 * docker: its container is renamed and another running container takes its name, which the
 * driver will not remove.
 */
async function blockRestart(
  driver: TestDriver,
  daemon: TestDaemon,
  app: string,
  machineId: string,
): Promise<() => Promise<void>> {
  if (driver.name === 'process') {
    const tree = join(daemon.home, 'releases', app, 'v1');
    renameSync(tree, `${tree}.away`);
    return async () => renameSync(`${tree}.away`, tree);
  }
  const engine = new Engine();
  const { containerId, containerName } = daemon.machineHandles().get(machineId)!;
  await engine.json('POST', `/containers/${containerId}/rename?name=${containerName}-away`);
  const squatter = await engine.json<{ Id: string }>('POST', `/containers/create?name=${containerName}`, {
    Image: 'node:20-slim',
    Cmd: ['sleep', '600'],
    HostConfig: { NetworkMode: 'none' },
  });
  await engine.json('POST', `/containers/${squatter.Id}/start`);
  return async () => {
    await engine.json('DELETE', `/containers/${squatter.Id}?force=1`);
  };
}

for (const driver of testDrivers()) {
  describe(`machines the daemon could not finish (${driver.name})`, { skip: driver.skip }, () => {
    let daemon: TestDaemon;
    let work: string;

    before(async () => {
      await driver.prepare();
      daemon = await TestDaemon.start();
      work = mkdtempSync(join(tmpdir(), 'berth-supervise-'));
    });
    after(async () => {
      await daemon?.destroy();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    test('a machine that cannot be restarted is reported and retried; the daemon keeps serving', async () => {
      const deployed = await daemon.cli([
        'deploy',
        writeRolloutApp(join(work, 'a'), { app: 'fragile', label: 'one', driver: driver.name }),
        ...driver.deployArgs,
      ]);
      assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
      const scaled = await daemon.cli(['scale', 'count', '2', '-a', 'fragile']);
      assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
      const [victim, other] = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'fragile']);

      const unblock = await blockRestart(driver, daemon, 'fragile', victim!.id);
      await killMachine(driver, daemon, victim!.id);

      const failed = await eventually(
        async () => {
          const status = await daemon.cliJson<MachineStatusInfo>([
            'machine',
            'status',
            victim!.id,
            '-a',
            'fragile',
          ]);
          return status.events.find((e) => e.kind === 'machine.restart_failed');
        },
        20_000,
        'a machine.restart_failed event',
      );
      assert.match(failed!.message, /could not be restarted: .*; trying again in \d+ ms \(attempt \d+\)/);

      // The daemon is alive and the other machine still takes the app's traffic.
      const res = await daemon.proxied('fragile');
      assert.equal(res.status, 200);
      assert.equal(res.body.trim(), `one ${other!.id}`);

      // Once nothing is in the way, the next attempt restarts it.
      await unblock();
      await eventually(
        async () => {
          const machines = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'fragile']);
          return machines.find((m) => m.id === victim!.id)?.state === 'started';
        },
        30_000,
        'the machine started again',
      );
    });

    test('a machine a scale-up started before the daemon died is served once healthy after a restart', async () => {
      const app = 'interrupted';
      const deployed = await daemon.cli([
        'deploy',
        // The grace period holds a new machine in "starting" long enough to be seen there.
        writeRolloutApp(join(work, 'b'), {
          app,
          label: 'one',
          gracePeriod: '6s',
          waitTimeout: '30s',
          driver: driver.name,
        }),
        ...driver.deployArgs,
      ]);
      assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
      const [first] = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', app]);

      // The scale-up waits for its new machine's health, past the grace period; kill the daemon then,
      // once the machine runs (it has an address): a daemon killed before its container or process
      // exists is another case, where the machine is not found and is removed.
      const scaling = daemon.cli(['scale', 'count', '2', '-a', app]);
      const starting = (await eventually(
        async () =>
          (await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', app])).find(
            (m) => m.id !== first!.id && m.state === 'starting' && m.address !== null,
          ),
        20_000,
        'the scale-up to start a machine',
      ))!;
      daemon.kill9();
      await daemon.waitExit();
      await scaling;

      await daemon.boot();
      await eventually(
        async () => {
          const machine = (await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', app])).find(
            (m) => m.id === starting.id,
          );
          return machine?.state === 'started';
        },
        30_000,
        'the interrupted machine to be served',
      );
      const seen = new Set<string>();
      for (let i = 0; i < 40 && seen.size < 2; i++) {
        const res = await daemon.proxied(app);
        assert.equal(res.status, 200, res.body);
        seen.add(res.body.trim().split(' ')[1]!);
      }
      assert.deepEqual(seen, new Set([first!.id, starting.id]));
      const status = await daemon.cliJson<MachineStatusInfo>(['machine', 'status', starting.id, '-a', app]);
      assert.ok(status.events.some((e) => e.kind === 'machine.recovered'));
    });

    test('a machine a scale-up had not started when the daemon died is started and served after a restart', async () => {
      const app = 'unstarted';
      const deployed = await daemon.cli([
        'deploy',
        writeRolloutApp(join(work, 'c'), { app, label: 'one', driver: driver.name }),
        ...driver.deployArgs,
      ]);
      assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
      const [first] = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', app]);

      // Held after the new machine is recorded as starting and before its driver runs anything.
      await daemon.terminate();
      await daemon.boot({}, { pauseAt: ['launch'] });
      const paused = join(daemon.home, 'paused-at');
      const scaling = daemon.cli(['scale', 'count', '2', '-a', app]);
      await eventually(() => existsSync(paused), 30_000, 'the scale-up to pause before starting its machine');
      daemon.kill9();
      await daemon.waitExit();
      await scaling;
      rmSync(paused);

      await daemon.boot();
      const second = await eventually(
        async () => {
          const machines = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', app]);
          const other = machines.find((m) => m.id !== first!.id);
          return machines.length === 2 && machines.every((m) => m.state === 'started') ? other : undefined;
        },
        60_000,
        'two started machines after the restart',
      );
      const seen = new Set<string>();
      for (let i = 0; i < 40 && seen.size < 2; i++) {
        const res = await daemon.proxied(app);
        assert.equal(res.status, 200, res.body);
        seen.add(res.body.trim().split(' ')[1]!);
      }
      assert.deepEqual(seen, new Set([first!.id, second!.id]));
      const status = await daemon.cliJson<MachineStatusInfo>(['machine', 'status', second!.id, '-a', app]);
      assert.ok(
        status.events.some((e) => e.kind === 'machine.recovered' && /had not started/.test(e.message)),
        JSON.stringify(status.events),
      );
    });

    test('a machine killed from outside is restarted with backoff, each exit recorded', async () => {
      const app = 'interrupted';
      const [victim] = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', app]);
      const killAndAwaitRestart = async (restarts: number) => {
        const run = daemon.machineRefs().get(victim!.id);
        await killMachine(driver, daemon, victim!.id);
        const restarted = await eventually(
          async () => {
            const list = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', app]);
            const m = list.find((x) => x.id === victim!.id)!;
            return m.restarts >= restarts && m.state === 'started' ? m : undefined;
          },
          20_000,
          `restart ${restarts} of the machine`,
        );
        assert.notEqual(daemon.machineRefs().get(victim!.id), run);
        return restarted!;
      };
      // This machine was started by the daemon before the restart above. The Engine keeps a
      // container's exit status; a process adopted from an earlier daemon is not this daemon's
      // child: it is gone (reaped by init) or a zombie whose status cannot be read.
      const adopted = await killAndAwaitRestart(1);
      if (driver.name === 'docker') assert.equal(adopted.lastExit, 'killed by SIGKILL');
      else assert.match(adopted.lastExit ?? '', /^(exit status unknown|process gone)$/);
      // Restarted by this daemon: every driver knows how it ended.
      const own = await killAndAwaitRestart(2);
      assert.equal(own.lastExit, 'killed by SIGKILL');
      const events = (await daemon.events(app)).filter((e) => e.machineId === victim!.id);
      const exits = events.filter((e) => e.kind === 'machine.exited').map((e) => e.message);
      assert.equal(exits.length, 2, exits.join('\n'));
      assert.match(exits[1]!, /exited \(killed by SIGKILL\); restarting in \d+ ms/);
      assert.equal(events.filter((e) => e.kind === 'machine.restarted').length, 2);
    });
  });
}
