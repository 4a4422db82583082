// The swarm driver on a real 3-node swarm of this run's own (test/helpers/swarm-lab.ts): six
// machines spread over the nodes and reached through berth's proxy at their nodes' addresses, a
// rolling deploy under constant load, a worker lost under load, and a daemon killed and
// restarted that adopts the services it finds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MachineInfo, NodeInfo, VolumeInfo } from '../../src/sdk/types.js';
import { eventually, TestDaemon } from '../helpers/daemon.js';
import { httpGet } from '../helpers/http-get.js';
import { writeRolloutApp } from '../helpers/rollout-app.js';
import { startSwarmLab, swarmLabSkipReason, type SwarmLab } from '../helpers/swarm-lab.js';

const APP = 'spread';
const PINNED = 'pinned';
const ONCE = 'once';
/** Placing six services, pulling an image on a node and starting it, on a loaded 2-core host. */
const SETTLE_MS = 180_000;

describe('swarm driver on a 3-node swarm', { skip: swarmLabSkipReason() }, () => {
  let lab: SwarmLab;
  let daemon: TestDaemon;
  let work: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    lab = await startSwarmLab();
    work = mkdtempSync(join(tmpdir(), 'berth-swarm-app-'));
    env = { DOCKER_HOST: lab.engines[0], BERTH_DRIVER: 'swarm' };
    daemon = await TestDaemon.start(env);
  });

  after(async () => {
    if (daemon) {
      // berth's registry outlives its daemon on purpose (nodes pull from it while it is down).
      try {
        process.kill(Number(readFileSync(join(daemon.home, 'registry', 'pid'), 'utf8')), 'SIGTERM');
      } catch {
        // never started
      }
      await daemon.destroy();
    }
    await lab?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function writeApp(label: string): string {
    return writeRolloutApp(join(work, label), { app: APP, label, driver: 'swarm' });
  }

  /** An app whose machine appends its label to /data/boots at each start and answers with the file. */
  function writePinnedApp(label: string, constraint?: string): string {
    const dir = join(work, `pinned-${label}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'server.js'),
      `const fs = require('node:fs');
fs.appendFileSync('/data/boots', ${JSON.stringify(label + '\n')});
const server = require('node:http').createServer((req, res) => res.end(fs.readFileSync('/data/boots')));
server.listen(Number(process.env.PORT));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`,
    );
    writeFileSync(
      join(dir, 'Dockerfile'),
      'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n',
    );
    writeFileSync(
      join(dir, 'berth.toml'),
      [
        `app = "${PINNED}"`,
        'kill_timeout = "3s"',
        '[deploy]',
        'wait_timeout = "60s"',
        ...(constraint ? [`placement = [${JSON.stringify(constraint)}]`] : []),
        '[mounts]',
        'source = "data"',
        'destination = "/data"',
        '[http_service]',
        'internal_port = 8080',
      ].join('\n') + '\n',
    );
    return dir;
  }

  async function machines(): Promise<MachineInfo[]> {
    return daemon.machines(APP);
  }

  /**
   * Requests through the proxy, one after another, until stopped: how many, which failed, and
   * the slowest (ms).
   */
  function constantLoad(): { stop(): Promise<{ total: number; failed: string[]; slowestMs: number }> } {
    let running = true;
    let total = 0;
    let slowestMs = 0;
    const failed: string[] = [];
    const loop = (async () => {
      while (running) {
        total++;
        const began = Date.now();
        const res = await daemon.proxied(APP).catch((err: Error) => ({ status: 0, body: err.message }));
        slowestMs = Math.max(slowestMs, Date.now() - began);
        if (res.status !== 200) failed.push(`${res.status} ${res.body.slice(0, 120)}`);
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        return { total, failed, slowestMs };
      },
    };
  }

  /** The machine ids of the manager's services with berth's labels for `app`. */
  function berthServices(app: string): string[] {
    const ids = docker(lab, 0, ['service', 'ls', '-q', '--filter', `label=berth.app=${app}`]);
    if (ids.length === 0) return [];
    return docker(lab, 0, [
      'service',
      'inspect',
      '--format',
      '{{index .Spec.Labels "berth.machine"}}',
      ...ids,
    ]).sort();
  }

  /** Tasks the manager wants running for the app's services: one per service, never two. */
  function wantedTasks(app: string): number {
    const ids = docker(lab, 0, ['service', 'ls', '-q', '--filter', `label=berth.app=${app}`]);
    if (ids.length === 0) return 0;
    return docker(lab, 0, ['service', 'ps', '-q', '--filter', 'desired-state=running', ...ids]).length;
  }

  /**
   * Waits until the machines `ids` have left the node at `lost` (Swarm placed them again), then
   * until the proxy has reached every machine of the app; the machines as last listed.
   */
  async function awaitMovedOff(lost: string, ids: string[]): Promise<MachineInfo[]> {
    const moved = (await eventually(
      async () => {
        const list = await machines();
        const placed = list.filter(
          (m) => ids.includes(m.id) && m.address && !m.address.startsWith(`${lost}:`),
        );
        return placed.length === ids.length ? list : undefined;
      },
      SETTLE_MS,
      `machines ${ids.join(', ')} to leave the node at ${lost}`,
    ))!;
    const seen = new Set<string>();
    await eventually(
      async () => {
        const res = await daemon.proxied(APP);
        if (res.status === 200) seen.add(res.body.trim().split(' ')[1]!);
        return seen.size === moved.length;
      },
      SETTLE_MS,
      'the proxy to reach every machine again',
    );
    return moved;
  }

  /** A worker (1 or 2, 2 first) still up that runs some of the app's machines, else any up. */
  async function workerWithMachines(): Promise<number> {
    const list = await machines();
    const up = [2, 1].filter((i) => !lab.lost.has(i));
    const busy = up.find((i) => list.some((m) => m.address?.startsWith(`${lab.addresses[i]}:`)));
    assert.ok(up.length > 0, 'no worker left');
    return busy ?? up[0]!;
  }

  test('six machines spread over the three nodes, each reached through the proxy', async () => {
    const first = await daemon.deploy(writeApp('one'));
    assert.match(first, /pushing [\d.]+:\d+\/berth\/spread:v1 for the swarm's nodes/);
    const scaled = await daemon.cli(['scale', 'count', '6', '-a', APP]);
    assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);

    const list = await machines();
    assert.equal(list.length, 6);
    const perNode = new Map<string, number>();
    for (const machine of list) {
      const host = machine.address?.split(':')[0] ?? '';
      assert.ok(lab.addresses.includes(host), `machine ${machine.id} at ${machine.address}, not on a node`);
      perNode.set(host, (perNode.get(host) ?? 0) + 1);
    }
    // spread=node.id over three equal nodes: two each.
    assert.deepEqual(
      lab.addresses.map((address) => perNode.get(address) ?? 0),
      [2, 2, 2],
    );

    const nodes = (await daemon.cliJson<{ nodes: NodeInfo[] }>(['nodes', 'list'])).nodes;
    assert.deepEqual(nodes.map((n) => n.address).sort(), [...lab.addresses].sort());
    assert.ok(nodes.every((n) => n.state === 'ready' && n.availability === 'active'));
    assert.equal(nodes.filter((n) => n.leader).length, 1);
    assert.deepEqual(nodes.flatMap((n) => n.machines.map((m) => m.id)).sort(), list.map((m) => m.id).sort());

    // Each machine answers at its node's address, and the proxy reaches every one of them.
    for (const machine of list) {
      const direct = await httpGet(machine.address!);
      assert.equal(direct.body.trim(), `one ${machine.id}`);
    }
    const seen = new Set<string>();
    await eventually(
      async () => {
        const res = await daemon.proxied(APP);
        if (res.status === 200) seen.add(res.body.trim().split(' ')[1]!);
        return seen.size === 6;
      },
      SETTLE_MS,
      'the proxy to reach all six machines',
    );
  });

  test('a rolling deploy over the nodes under constant load fails no request', async () => {
    const load = constantLoad();
    const result = await daemon.cli(['deploy', writeApp('two')]);
    const { total, failed } = await load.stop();
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(failed, [], `${failed.length} of ${total} requests failed during the deploy`);
    assert.ok(total > 20, `only ${total} requests were made`);
    const list = await machines();
    assert.equal(list.length, 6);
    assert.ok(list.every((m) => m.releaseVersion === 2));
    for (const machine of list)
      assert.equal((await httpGet(machine.address!)).body.trim(), `two ${machine.id}`);
  });

  test('a bluegreen deploy over the nodes under constant load fails no request', async () => {
    const scaled = await daemon.cli(['scale', 'count', '3', '-a', APP]);
    assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
    const load = constantLoad();
    const dir = writeRolloutApp(join(work, 'blue'), {
      app: APP,
      label: 'blue',
      driver: 'swarm',
      strategy: 'bluegreen',
    });
    const result = await daemon.cli(['deploy', dir]);
    const { total, failed } = await load.stop();
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(failed, [], `${failed.length} of ${total} requests failed during the deploy`);
    assert.ok(total > 20, `only ${total} requests were made`);
    const list = await machines();
    assert.equal(list.length, 3);
    for (const machine of list)
      assert.equal((await httpGet(machine.address!)).body.trim(), `blue ${machine.id}`);
  });

  /** Services of this run's release commands and one-off machines still on the swarm. */
  function oneOffServices(): string[] {
    return execFileSync(
      'docker',
      ['-H', lab.engines[0]!, 'service', 'ls', '-q', '--filter', 'label=berth.app=' + ONCE],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);
  }

  test('a release command runs once as a service; one that exits 3 fails the deploy, its output kept', async () => {
    const app = (label: string, releaseCommand: string) =>
      writeRolloutApp(join(work, `once-${label}`), { app: ONCE, label, driver: 'swarm', releaseCommand });
    const ok = await daemon.cli([
      'deploy',
      app('one', 'echo "migrating $(cat label.txt) with RELEASE_COMMAND=$RELEASE_COMMAND"'),
    ]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /│ migrating one with RELEASE_COMMAND=1/);
    assert.match(ok.stdout, /release command succeeded/);
    const live = await daemon.machines(ONCE);
    assert.equal(live.length, 1);
    // Its service is removed once it is done: only the app's machine is left.
    assert.equal(oneOffServices().length, 1);

    const failed = await daemon.cli(['deploy', app('two', 'echo "migrating $(cat label.txt)"; exit 3')]);
    assert.equal(failed.code, 3, failed.stdout + failed.stderr);
    assert.match(
      failed.stdout,
      /release command "echo "migrating \$\(cat label.txt\)"; exit 3" exited with code 3/,
    );
    assert.match(failed.stdout, /│ migrating two/);
    const show = await daemon.cli(['releases', 'show', 'v2', '-a', ONCE]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /exited with code 3/);
    assert.match(show.stdout, /migrating two/);
    // Nothing live changed.
    assert.deepEqual(
      (await daemon.machines(ONCE)).map((m) => `${m.id} v${m.releaseVersion}`),
      live.map((m) => `${m.id} v${m.releaseVersion}`),
    );
    assert.equal(oneOffServices().length, 1);
  });

  test('berth run: a one-off service streams its output and exits with its code; console is refused', async () => {
    const run = await daemon.cli(['run', '-q', '-a', ONCE, '--', 'sh', '-c', 'echo hi; exit 4']);
    assert.equal(run.code, 4, run.stdout + run.stderr);
    assert.equal(run.stdout, 'hi\n');
    // A console needs exec into the machine: refused before a service is made, naming berth run.
    const shell = await daemon.cli(['console', '-a', ONCE]);
    assert.notEqual(shell.code, 0);
    assert.match(shell.stderr, /no `berth exec` or `berth console` into them/);
    assert.match(shell.stderr, /berth run -a APP -- CMD/);
    assert.equal(oneOffServices().length, 1);
  });

  test('machine run --rm --port: a one-off service publishes its port, reached at its node', async () => {
    const made = await daemon.cliJson<MachineInfo>(['machine', 'run', '-a', ONCE, '--rm', '--port', '8080']);
    const host = made.address?.split(':')[0] ?? '';
    assert.ok(lab.addresses.includes(host), `machine ${made.id} at ${made.address}, not on a node`);
    const answer = await eventually(
      async () => (await httpGet(made.address!)).body,
      SETTLE_MS,
      `machine ${made.id} to answer at ${made.address}`,
    );
    assert.equal(answer.trim(), `one ${made.id}`);
    const destroyed = await daemon.cli(['machine', 'destroy', made.id, '-a', ONCE, '--force']);
    assert.equal(destroyed.code, 0, destroyed.stdout + destroyed.stderr);
    assert.equal(oneOffServices().length, 1);
  });

  test('placement and a volume: labelled node only, pinned there across a deploy with its data', async () => {
    const node = lab.addresses[1]!;
    const labelled = await daemon.cliJson<NodeInfo>(['nodes', 'label', node, 'disk=ssd', 'zone=a']);
    assert.deepEqual(labelled.labels, { disk: 'ssd', zone: 'a' });
    const removed = await daemon.cliJson<NodeInfo>(['nodes', 'label', node, 'zone-']);
    assert.deepEqual(removed.labels, { disk: 'ssd' });

    // No live node has disk=nvme: refused before anything is made, naming the constraint and the labels.
    const refused = await daemon.cli(['deploy', writePinnedApp('zero', 'node.labels.disk==nvme')]);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stdout + refused.stderr,
      /no live node matches the placement "node\.labels\.disk==nvme"/,
    );
    assert.match(refused.stdout + refused.stderr, /disk=ssd/);
    const none = await daemon.cli(['machine', 'list', '-a', PINNED]);
    assert.match(none.stdout + none.stderr, /app_not_found|does not exist/);

    await daemon.deploy(writePinnedApp('one', 'node.labels.disk==ssd'));
    const first = (await daemon.machines(PINNED))[0]!;
    assert.ok(first?.address?.startsWith(`${node}:`), `machine at ${first?.address}, not on ${node}`);
    assert.equal((await httpGet(first.address!)).body, 'one\n');
    const volumes = await daemon.cliJson<VolumeInfo[]>(['volumes', 'list', '-a', PINNED]);
    assert.equal(volumes.length, 1);
    assert.equal(volumes[0]!.node?.address, node);

    // Without the constraint: the volume alone keeps the machine on its node, with its data.
    await daemon.deploy(writePinnedApp('two'));
    const [second] = await daemon.machines(PINNED);
    assert.equal(second?.releaseVersion, 2);
    assert.ok(second.address?.startsWith(`${node}:`), `machine moved to ${second.address}`);
    assert.equal((await httpGet(second.address!)).body, 'one\ntwo\n');
  });

  test('a worker cut off the network under load: berth routes around it and ends with no duplicate', async (t) => {
    const cut = await workerWithMachines();
    const lost = lab.addresses[cut]!;
    const onCut = (await machines()).filter((m) => m.address?.startsWith(`${lost}:`)).map((m) => m.id);
    assert.ok(onCut.length > 0, 'no machine on the worker to cut off');

    const load = constantLoad();
    setLink(lab, cut, 'down');
    try {
      // Its containers still run but cannot be reached; Swarm marks the node down and starts
      // their tasks elsewhere, and berth routes to them once they answer.
      await awaitMovedOff(lost, onCut);
    } finally {
      setLink(lab, cut, 'up');
    }
    // Back on the network, the node hears its old tasks are shut down: one container per machine.
    await eventually(
      () => docker(lab, cut, ['ps', '-q', '--filter', `label=berth.app=${APP}`]).length === 0,
      SETTLE_MS,
      'the node to stop the tasks Swarm placed elsewhere',
    );
    const { total, failed, slowestMs } = await load.stop();
    t.diagnostic(`network cut: ${failed.length} of ${total} requests failed; slowest ${slowestMs} ms`);
    assert.deepEqual(failed, [], `${failed.length} of ${total} requests failed while the node was cut off`);
    const list = await machines();
    assert.equal(list.length, 3);
    assert.deepEqual(berthServices(APP), list.map((m) => m.id).sort());
    assert.equal(wantedTasks(APP), list.length);
  });

  test('a worker killed under load: Swarm places its machines again, berth routes to them', async () => {
    const killed = await workerWithMachines();
    const lost = lab.addresses[killed]!;
    const before = await machines();
    const onLost = before.filter((m) => m.address?.startsWith(`${lost}:`)).map((m) => m.id);
    assert.ok(onLost.length > 0, 'no machine on the worker to kill');

    const load = constantLoad();
    killNode(lab, killed);
    // Every machine, moved ones included, answers through the proxy again.
    await awaitMovedOff(lost, onLost);
    const { total, failed } = await load.stop();
    assert.deepEqual(failed, [], `${failed.length} of ${total} requests failed while the node was lost`);
    const events = await daemon.events(APP);
    for (const id of onLost) {
      assert.ok(
        events.some(
          (e) =>
            e.kind === 'machine.moved' && e.machineId === id && /moved by Swarm from node/.test(e.message),
        ),
        `no move reported for machine ${id}`,
      );
    }
  });

  test('a daemon killed and started again adopts the services it finds', async () => {
    const before = await machines();
    daemon.kill9();
    await daemon.waitExit();
    await daemon.boot(env);
    const after = await machines();
    assert.deepEqual(
      after.map((m) => `${m.id} ${m.address}`).sort(),
      before.map((m) => `${m.id} ${m.address}`).sort(),
    );
    const events = await daemon.events(APP);
    for (const machine of before) {
      assert.ok(events.some((e) => e.kind === 'machine.adopted' && e.machineId === machine.id));
    }
    const res = await daemon.proxied(APP);
    assert.equal(res.status, 200);
    assert.match(res.body, /^blue /);
  });

  test('a worker dies during a rolling deploy under load: it finishes or reverts, never leaves duplicates; a one-off there ends unknown', async (t) => {
    // The one worker still up (an earlier test killed the other).
    const victim = [1, 2].find((i) => !lab.lost.has(i))!;
    assert.ok(victim !== undefined, 'no worker left');
    // A `berth run` whose task runs on that worker, held there by the app's placement.
    const pinnedOnce = writeRolloutApp(join(work, 'once-pinned'), {
      app: ONCE,
      label: 'three',
      driver: 'swarm',
    });
    const toml = join(pinnedOnce, 'berth.toml');
    writeFileSync(
      toml,
      readFileSync(toml, 'utf8').replace(
        '[deploy]\n',
        `[deploy]\nplacement = ["node.hostname==${labName(lab)}-${victim}"]\n`,
      ),
    );
    await daemon.deploy(pinnedOnce);
    const running = daemon.cli(['run', '-q', '-a', ONCE, '--', 'sh', '-c', 'echo started; sleep 600']);
    await eventually(
      () => docker(lab, victim, ['ps', '-q', '--filter', `label=berth.app=${ONCE}`]).length === 2,
      SETTLE_MS,
      `the one-off to run on node ${victim}`,
    );

    // Six machines: the three added go mostly to the worker, the least busy node.
    const scaled = await daemon.cli(['scale', 'count', '6', '-a', APP]);
    assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
    const before = await machines();
    const onVictim = () => before.filter((m) => m.address?.startsWith(`${lab.addresses[victim]}:`)).length;
    const from = Math.max(...before.map((m) => m.releaseVersion));
    const load = constantLoad();
    const dir = writeRolloutApp(join(work, 'dying'), {
      app: APP,
      label: 'dying',
      driver: 'swarm',
      waitTimeout: '60s',
    });
    const deploying = daemon.cli(['deploy', dir]);
    // The first machine of the new release has started (on the worker, the least busy node, or
    // on the manager): the worker dies while the deploy waits for health or drains machines there.
    const first = await eventually(
      async () =>
        (await daemon.events(APP)).find((e) => e.kind === 'machine.started' && e.releaseVersion === from + 1),
      SETTLE_MS,
      `the first machine of v${from + 1} to start`,
    );
    t.diagnostic(
      `killing node ${victim} (${lab.addresses[victim]}, ${onVictim()} of ${before.length} machines of v${from}) once ${first!.message}`,
    );
    killNode(lab, victim);
    const result = await deploying;
    const { total, failed, slowestMs } = await load.stop();
    t.diagnostic(
      `deploy with node ${victim} killed: exit ${result.code}; ${failed.length} of ${total} requests failed; slowest ${slowestMs} ms`,
    );
    for (const line of result.stdout.split('\n').filter((l) => /started again|reverting|failed/.test(l)))
      t.diagnostic(line.trim());

    const after = await machines();
    if (result.code === 0) {
      assert.ok(
        after.every((m) => m.releaseVersion === from + 1),
        `succeeded but ${after.map((m) => `${m.id} v${m.releaseVersion}`).join(', ')}`,
      );
    } else {
      assert.match(result.stdout + result.stderr, /reverted/, result.stdout + result.stderr);
      assert.ok(
        after.every((m) => m.releaseVersion === from),
        `reverted but ${after.map((m) => `${m.id} v${m.releaseVersion}`).join(', ')}`,
      );
    }
    // The group's count is the config's (6, as scaled), and Swarm holds exactly berth's machines.
    assert.equal(after.length, 6);
    assert.deepEqual(berthServices(APP), after.map((m) => m.id).sort());
    assert.equal(wantedTasks(APP), after.length);
    assert.deepEqual(failed, [], `${failed.length} of ${total} requests failed during the deploy`);

    // The one-off's node was lost: its end is unknown, said so, and the CLI exits non-zero.
    const run = await running;
    assert.notEqual(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.stdout, 'started\n');
    assert.match(run.stderr, /its node .+ was lost while it ran: its exit is unknown/);
  });

  test('the node that holds a volume is lost: its machine is stranded, never recreated elsewhere', async () => {
    const node = lab.addresses[1]!;
    const machine = (await daemon.machines(PINNED))[0]!;
    // Node 1 may have been lost by an earlier test already (its machine has no address then).
    if (!lab.lost.has(1)) {
      assert.ok(machine?.address?.startsWith(`${node}:`));
      killNode(lab, 1);
    }
    await eventually(
      async () => (await daemon.machines(PINNED))[0]?.state === 'stranded',
      SETTLE_MS,
      `machine ${machine.id} to be reported stranded`,
    );
    const [after] = await daemon.machines(PINNED);
    assert.equal(after?.id, machine.id);
    assert.match(after.lastExit ?? '', /which holds its volume, is (down|unknown|disconnected)/);
    assert.ok(
      !after.address || after.address.startsWith(`${node}:`),
      `machine recreated at ${after.address}`,
    );
    const events = await daemon.events(PINNED);
    assert.ok(events.some((e) => e.kind === 'machine.stranded' && e.machineId === machine.id));
    const nodes = (await daemon.cliJson<{ nodes: NodeInfo[] }>(['nodes', 'list'])).nodes;
    assert.ok(!nodes.some((n) => n.address !== node && n.machines.some((m) => m.app === PINNED)));
  });
});

/** The lab's interface prefix (scripts/swarm-lab.sh NAME). */
function labName(lab: SwarmLab): string {
  return readFileSync(join(lab.dir, 'lab.env'), 'utf8').match(/^NAME=(.+)$/m)![1]!;
}

/** `docker ARGS` against node `index`'s Engine: its output's lines. */
function docker(lab: SwarmLab, index: number, args: string[]): string[] {
  return execFileSync('docker', ['-H', lab.engines[index]!, ...args], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

/** Takes a node's link to the bridge down or up on the host's side: a network cut. */
function setLink(lab: SwarmLab, index: number, state: 'up' | 'down'): void {
  execFileSync('ip', ['link', 'set', `${labName(lab)}v${index}`, state]);
}

/** Kills a node's dockerd and everything in its namespace (containerd, shims, containers). */
function killNode(lab: SwarmLab, index: number): void {
  const pid = readFileSync(join(lab.dir, `n${index}`, 'pid'), 'utf8').trim();
  const namespace = labName(lab) + `n${index}`;
  lab.lost.add(index);
  process.kill(Number(pid), 'SIGKILL');
  const pids = execFileSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  for (const p of pids) {
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}
