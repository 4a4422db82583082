// Swarm benchmark: berth's swarm driver against what Docker Swarm alone does, on a 3-node lab of
// the bench's own (scripts/swarm-lab.sh: three dockerd in network namespaces, torn down after).
//
//   npm run bench:swarm -- [--machines 12] [--workers 8]
//
// One image (the rollout test app, pushed by berth to its registry as v1 and v2):
//   - berth: 12 machines over the 3 nodes, `berth deploy` v2 with the rolling strategy under
//     constant load through berth's proxy (each machine's host-mode port on its node);
//   - docker: a 12-replica service of the v1 image, `docker service update --update-order
//     start-first --image v2`, under the same load through the ingress routing mesh of node 0
//     (host mode cannot give 12 replicas on 3 nodes one port); where the mesh does not answer
//     (no IPVS in the namespaces), the update is timed without load and the table says so;
//   - a worker's death (its dockerd and everything in its namespace SIGKILLed): time until berth
//     has all its machines answering on live nodes again, and until the service has 12 running
//     tasks on live nodes again.
// Load: --workers closed loops of one request after another; any answer but a 200 is a failure.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { TestDaemon } from '../../test/helpers/daemon.js';
import { writeRolloutApp } from '../../test/helpers/rollout-app.js';
import { startSwarmLab, swarmLabSkipReason, type SwarmLab } from '../../test/helpers/swarm-lab.js';

const run = promisify(execFile);
const APP = 'benchswarm';
const PEER = 'bench-peer';
const PEER_PORT = 30_080;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = Number(i === -1 ? fallback : process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number`);
  return value;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface Load {
  stop(): Promise<{ total: number; failed: number; kinds: Record<string, number> }>;
}

/** Closed loops of GET / at host:port with a Host header: every answer but a 200 is a failure. */
function constantLoad(host: string, port: number, hostHeader: string, workers: number): Load {
  let running = true;
  let total = 0;
  let failed = 0;
  const kinds: Record<string, number> = {};
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  const once = () =>
    new Promise<string>((resolve) => {
      const req = http.get(
        { host, port, path: '/', headers: { host: hostHeader }, agent, timeout: 10_000 },
        (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.statusCode)));
          res.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const what = await once();
      total++;
      if (what !== '200') {
        failed++;
        kinds[what] = (kinds[what] ?? 0) + 1;
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { total, failed, kinds };
    },
  };
}

async function docker(host: string, args: string[], timeout = 900_000): Promise<string> {
  const { stdout } = await run('docker', args, { env: { ...process.env, DOCKER_HOST: host }, timeout });
  return stdout.trim();
}

async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  limitMs = 600_000,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const got = await check().catch(() => undefined);
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Running tasks of the peer service on nodes that are up (lab nodes share one hostname: by id). */
async function peerRunning(lab: SwarmLab): Promise<number> {
  const up = new Set(
    (await docker(lab.engines[0]!, ['node', 'ls', '--format', '{{.ID}} {{.Status}}']))
      .split('\n')
      .filter((l) => l.endsWith(' Ready'))
      .map((l) => l.split(' ')[0]!),
  );
  const ids = (
    await docker(lab.engines[0]!, [
      'service',
      'ps',
      PEER,
      '--filter',
      'desired-state=running',
      '-q',
      '--no-trunc',
    ])
  )
    .split('\n')
    .filter(Boolean);
  if (ids.length === 0) return 0;
  const tasks = JSON.parse(await docker(lab.engines[0]!, ['inspect', '--type', 'task', ...ids])) as {
    NodeID: string;
    Status: { State: string };
  }[];
  return tasks.filter((t) => t.Status.State === 'running' && up.has(t.NodeID)).length;
}

/** Whether the manager reports the node at this address down. */
async function nodeDown(lab: SwarmLab, address: string): Promise<boolean> {
  const ids = (await docker(lab.engines[0]!, ['node', 'ls', '-q'])).split('\n').filter(Boolean);
  const nodes = JSON.parse(await docker(lab.engines[0]!, ['node', 'inspect', ...ids])) as {
    Status: { State: string; Addr: string };
  }[];
  return nodes.some((n) => n.Status.Addr === address && n.Status.State !== 'ready');
}

function killNode(lab: SwarmLab, index: number): void {
  const pid = readFileSync(join(lab.dir, `n${index}`, 'pid'), 'utf8').trim();
  const namespace = readFileSync(join(lab.dir, 'lab.env'), 'utf8').match(/^NAME=(.+)$/m)![1] + `n${index}`;
  process.kill(Number(pid), 'SIGKILL');
  for (const p of execFileSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)) {
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

async function main(): Promise<void> {
  const count = arg('machines', 12);
  const workers = arg('workers', 8);
  const skip = swarmLabSkipReason();
  if (skip) throw new Error(skip);
  log('starting a 3-node swarm lab');
  const lab = await startSwarmLab();
  const work = mkdtempSync(join(tmpdir(), 'berth-bench-swarm-'));
  let daemon: TestDaemon | undefined;
  try {
    daemon = await TestDaemon.start({ DOCKER_HOST: lab.engines[0], BERTH_DRIVER: 'swarm' });
    const d = daemon;
    const proxy = new URL(d.info.proxyUrl);
    const hostHeader = `${APP}.${d.info.domain}:${proxy.port}`;
    const app = (label: string) => writeRolloutApp(join(work, label), { app: APP, label, driver: 'swarm' });

    log(`berth: v1 and ${count} machines`);
    await d.deploy(app('one'));
    const scaled = await d.cli(['scale', 'count', String(count), '-a', APP]);
    if (scaled.code !== 0) throw new Error(scaled.stderr + scaled.stdout);
    log('berth: rolling deploy of v2 under load');
    let load = constantLoad(proxy.hostname, Number(proxy.port), hostHeader, workers);
    let t0 = performance.now();
    const deployed = await d.cli(['deploy', app('two')], { timeoutMs: 1_800_000 });
    const berthDeployMs = performance.now() - t0;
    const berthLoad = await load.stop();
    if (deployed.code !== 0) throw new Error(deployed.stderr + deployed.stdout);

    // The same images, from berth's registry: v1 and v2 as the nodes pull them.
    const imageOf = async (version: number) =>
      (
        await docker(lab.engines[0]!, [
          'service',
          'ls',
          '--filter',
          `label=berth.release=${version}`,
          '--format',
          '{{.Image}}',
        ])
      ).split('\n')[0] ?? '';
    const v2 = await imageOf(2);
    const v1 = v2.replace(/:v2(@sha256:[0-9a-f]+)?$/, ':v1');
    log(`docker: ${count}-replica service of ${v1}`);
    await docker(lab.engines[0]!, [
      'service',
      'create',
      '--name',
      PEER,
      '--replicas',
      String(count),
      '--env',
      'PORT=8080',
      '--publish',
      `published=${PEER_PORT},target=8080`,
      '--update-parallelism',
      '1',
      '--update-order',
      'start-first',
      '--detach=false',
      '--quiet',
      v1,
      'node',
      'server.js',
    ]);
    const mesh = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: lab.addresses[0], port: PEER_PORT, path: '/', timeout: 5000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
    });
    log(
      `docker: service update --update-order start-first (${mesh ? 'under load through the mesh' : 'no mesh: without load'})`,
    );
    const peerLoad = mesh ? constantLoad(lab.addresses[0]!, PEER_PORT, 'peer', workers) : undefined;
    t0 = performance.now();
    await docker(lab.engines[0]!, ['service', 'update', '--image', v2, '--detach=false', '--quiet', PEER]);
    const peerDeployMs = performance.now() - t0;
    const peerResult = await peerLoad?.stop();

    log('a worker dies: time to full capacity again');
    load = constantLoad(proxy.hostname, Number(proxy.port), hostHeader, workers);
    const lost = lab.addresses[2]!;
    t0 = performance.now();
    killNode(lab, 2);
    const [berthBackMs, peerBackMs] = await Promise.all([
      until('berth back to full capacity', async () => {
        const list = await d.machines(APP);
        const back =
          list.length === count &&
          list.every((m) => m.state === 'started' && m.address && !m.address.startsWith(`${lost}:`));
        if (!back) return undefined;
        for (const m of list) {
          const ok = await new Promise<boolean>((resolve) => {
            const [host, port] = m.address!.split(':');
            const req = http.get({ host, port: Number(port), path: '/', timeout: 2000 }, (res) => {
              res.resume();
              resolve(res.statusCode === 200);
            });
            req.on('error', () => resolve(false));
          });
          if (!ok) return undefined;
        }
        return performance.now() - t0;
      }),
      // Counted once Swarm has seen the node down: before that its tasks still look running.
      until('the service back to full capacity', async () =>
        (await nodeDown(lab, lost)) && (await peerRunning(lab)) === count
          ? performance.now() - t0
          : undefined,
      ),
    ]);
    const lossLoad = await load.stop();

    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const failures = (r: { total: number; failed: number; kinds: Record<string, number> }) =>
      `${r.failed} of ${r.total}${
        r.failed > 0
          ? ` (${Object.entries(r.kinds)
              .map(([k, v]) => `${k}: ${v}`)
              .join(', ')})`
          : ''
      }`;
    const rows = [
      ['', 'berth rolling (swarm driver)', 'docker service update start-first'],
      [`deploy ${count} machines over 3 nodes`, s(berthDeployMs), s(peerDeployMs)],
      [
        'failed requests during it',
        failures(berthLoad),
        peerResult ? failures(peerResult) : 'not measured: the ingress mesh does not answer here',
      ],
      ['worker killed -> full capacity again', s(berthBackMs), s(peerBackMs)],
      ['failed requests after the kill (berth proxy)', failures(lossLoad), '-'],
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join(' | '));
    console.log(
      `\nratios (berth / docker): deploy time ${(berthDeployMs / peerDeployMs).toFixed(2)}, recovery ${(berthBackMs / peerBackMs).toFixed(2)}`,
    );
  } finally {
    if (daemon) {
      try {
        process.kill(Number(readFileSync(join(daemon.home, 'registry', 'pid'), 'utf8')), 'SIGTERM');
      } catch {
        // never started
      }
      await daemon.destroy().catch(() => {});
    }
    await lab.down().catch((err: unknown) => log(`lab down failed: ${String(err)}`));
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
