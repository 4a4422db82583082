// What Docker alone does with the same image, under the same load: a one-node swarm's
// `docker service update`, a plain stop-and-run swap, and `docker start` of a stopped container.
import { performance } from 'node:perf_hooks';
import { Engine } from '../../test/helpers/docker-engine.js';
import { docker, dockerOk, freePort, sleep } from './engine.js';
import {
  quantile,
  underLoad,
  waitAnswers,
  type DeployRow,
  type LoadOptions,
  type WakeRow,
} from './measure.js';

export interface BenchContext {
  host: string;
  /** Two tags of one image: a deploy moves from the first to the second. */
  imageA: string;
  imageB: string;
  load: LoadOptions;
  log(line: string): void;
}

const HOST_HEADER = 'localhost';

function removeContainer(ctx: BenchContext, name: string): void {
  dockerOk(ctx.host, ['rm', '--force', name]);
}

/** docker stop the old container, docker run the new one on the same host port, until it answers. */
export async function stopAndRun(ctx: BenchContext): Promise<DeployRow> {
  const port = await freePort();
  const run = (name: string, image: string): string =>
    docker(ctx.host, ['run', '--detach', '--name', name, '--publish', `127.0.0.1:${port}:8080`, image]);
  try {
    run('bench-swap-a', ctx.imageA);
    await waitAnswers(port, HOST_HEADER);
    const { deployMs, load } = await underLoad({ port, hostHeader: HOST_HEADER }, ctx.load, async () => {
      docker(ctx.host, ['stop', 'bench-swap-a']);
      docker(ctx.host, ['rm', 'bench-swap-a']);
      run('bench-swap-b', ctx.imageB);
      await waitAnswers(port, HOST_HEADER);
    });
    return { label: 'docker stop + docker run (same port)', deployMs, load };
  } finally {
    removeContainer(ctx, 'bench-swap-a');
    removeContainer(ctx, 'bench-swap-b');
  }
}

/** Initialises a one-node swarm on the bench's Engine; undefined, or why it could not. */
export async function swarmInit(ctx: BenchContext): Promise<string | undefined> {
  const listen = await freePort();
  // Ports of their own, beside any other swarm on this host (VXLAN's default is 4789).
  const dataPort = 40_000 + (process.pid % 9_000);
  try {
    docker(ctx.host, [
      'swarm',
      'init',
      '--advertise-addr',
      '127.0.0.1',
      '--listen-addr',
      `127.0.0.1:${listen}`,
      '--data-path-port',
      String(dataPort),
    ]);
    return undefined;
  } catch (error) {
    return `docker swarm init failed: ${(error as Error).message.split('\n').slice(-3).join(' ').trim()}`;
  }
}

async function removeService(ctx: BenchContext, name: string): Promise<void> {
  dockerOk(ctx.host, ['service', 'rm', name]);
  // Its tasks' containers go a moment later; the next row may want the same kind of port.
  for (let i = 0; i < 300; i++) {
    const left = docker(ctx.host, [
      'ps',
      '--all',
      '--quiet',
      '--filter',
      `label=com.docker.swarm.service.name=${name}`,
    ]);
    if (!left.trim()) return;
    await sleep(100);
  }
}

/**
 * `docker service update --image` of a one-machine service, as a swarm user deploys.
 * start-first needs the routing mesh (ingress, which needs IPVS in the kernel): with a host-mode
 * port the new task cannot bind the port the old one holds, and on one node it never starts.
 * So: start-first through the mesh when it answers (else its time alone, no load), and
 * stop-first on a host-mode port, which works everywhere.
 */
export async function swarmUpdate(
  ctx: BenchContext,
  order: 'start-first' | 'stop-first',
): Promise<DeployRow> {
  const name = `bench-${order}`;
  const port = await freePort();
  const publish =
    order === 'start-first' ? `published=${port},target=8080` : `mode=host,published=${port},target=8080`;
  const label = `docker service update, ${order} (${order === 'start-first' ? 'routing mesh' : 'host-mode port'})`;
  const update = async (): Promise<void> => {
    docker(ctx.host, [
      'service',
      'update',
      '--detach=false',
      '--quiet',
      '--update-order',
      order,
      '--image',
      ctx.imageB,
      name,
    ]);
  };
  try {
    docker(ctx.host, [
      'service',
      'create',
      '--detach=false',
      '--quiet',
      '--name',
      name,
      '--publish',
      publish,
      '--update-order',
      order,
      ctx.imageA,
    ]);
    let reachable = true;
    try {
      await waitAnswers(port, HOST_HEADER, 10_000, 50);
    } catch {
      reachable = false;
    }
    if (!reachable) {
      const t0 = performance.now();
      await update();
      const note =
        order === 'start-first'
          ? 'the routing mesh does not answer on this host (no IPVS in the kernel?): time only, no load'
          : 'the service did not answer on its host port: time only, no load';
      return { label, deployMs: performance.now() - t0, load: null, note };
    }
    const { deployMs, load } = await underLoad({ port, hostHeader: HOST_HEADER }, ctx.load, update);
    return { label, deployMs, load };
  } finally {
    await removeService(ctx, name);
  }
}

/**
 * A stopped container started again, until its port answers: through the docker CLI (what a
 * person types) and through the Engine API (what berth's driver calls), alternately.
 */
export async function dockerStartWakes(ctx: BenchContext, rounds: number): Promise<WakeRow[]> {
  const port = await freePort();
  const engine = new Engine(ctx.host);
  const name = 'bench-wake';
  docker(ctx.host, ['create', '--name', name, '--publish', `127.0.0.1:${port}:8080`, ctx.imageA]);
  const cli: WakeRow = { label: '`docker start` (CLI) → port answers', wakesMs: [], failed: 0 };
  const api: WakeRow = { label: 'Engine API start → port answers', wakesMs: [], failed: 0 };
  const apiSplit: [number, number][] = [];
  try {
    for (let i = 0; i < rounds * 2; i++) {
      const row = i % 2 === 0 ? cli : api;
      const t0 = performance.now();
      try {
        if (row === cli) docker(ctx.host, ['start', name]);
        else await engine.json('POST', `/containers/${name}/start`);
        const started = performance.now();
        await waitAnswers(port, HOST_HEADER, 30_000, 2);
        row.wakesMs.push(performance.now() - t0);
        if (row === api) apiSplit.push([started - t0, performance.now() - started]);
      } catch (error) {
        row.failed++;
        ctx.log(`  wake failed: ${(error as Error).message}`);
      }
      docker(ctx.host, ['stop', name]);
    }
    api.note =
      `medians: start ${quantile(
        apiSplit.map((x) => x[0]),
        0.5,
      ).toFixed(0)} ms, ` +
      `started → answers ${quantile(
        apiSplit.map((x) => x[1]),
        0.5,
      ).toFixed(0)} ms`;
    return [cli, api];
  } finally {
    removeContainer(ctx, name);
  }
}

/**
 * What berth's docker driver does to start a stopped machine, by the Engine API: the stopped
 * container removed, a fresh one created and started, until its port answers; each phase timed.
 */
export async function freshContainerWakes(ctx: BenchContext, rounds: number): Promise<WakeRow> {
  const port = await freePort();
  const engine = new Engine(ctx.host);
  const name = 'bench-fresh';
  const phases = {
    remove: [] as number[],
    create: [] as number[],
    start: [] as number[],
    answer: [] as number[],
  };
  const row: WakeRow = {
    label: 'Engine API remove + create + start → port answers',
    wakesMs: [],
    failed: 0,
  };
  const create = (): Promise<unknown> =>
    engine.json('POST', `/containers/create?name=${name}`, {
      Image: ctx.imageA,
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
    });
  try {
    await create();
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      try {
        await engine.json('DELETE', `/containers/${name}?force=1&v=1`);
        const t1 = performance.now();
        await create();
        const t2 = performance.now();
        await engine.json('POST', `/containers/${name}/start`);
        const t3 = performance.now();
        await waitAnswers(port, HOST_HEADER, 30_000, 2);
        const t4 = performance.now();
        phases.remove.push(t1 - t0);
        phases.create.push(t2 - t1);
        phases.start.push(t3 - t2);
        phases.answer.push(t4 - t3);
        row.wakesMs.push(t4 - t0);
      } catch (error) {
        row.failed++;
        ctx.log(`  fresh wake failed: ${(error as Error).message}`);
      }
      docker(ctx.host, ['stop', name]);
    }
    const median = (values: number[]): string => `${quantile(values, 0.5).toFixed(0)} ms`;
    row.note =
      `medians: remove ${median(phases.remove)}, create ${median(phases.create)}, ` +
      `start ${median(phases.start)}, started → answers ${median(phases.answer)}`;
    return row;
  } finally {
    removeContainer(ctx, name);
  }
}
