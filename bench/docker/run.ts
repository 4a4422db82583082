// Docker benchmark: berth's docker driver against what Docker alone does, one run, one image.
//
//   npm run bench:docker -- [--rate 200] [--fresh 0.2] [--settle 2] [--wakes 10] [--engine own|env] [--keep]
//
// The image is examples/docker-hello built from its Dockerfile, tagged twice (a and b): every
// deploy moves one machine from a to b under the same constant load (--rate requests/s, a
// --fresh share on new connections, --settle seconds before and after), counting failed
// requests and timing the deploy:
//   - berth deploy --driver docker, rolling (the berth column: see berth.ts);
//   - docker service update --update-order start-first on a one-node swarm, through the routing
//     mesh (needs IPVS; without it the update is timed without load);
//   - docker service update --update-order stop-first with a host-mode port (start-first cannot
//     bind a host port that the old task holds on one node);
//   - docker stop + docker run on the same host port.
// Wakes of a stopped container, --wakes rounds: berth's proxy (one request to its answer; the app
// with an HTTP check on /healthz, then as the example is, without one) against `docker start`
// (CLI), the Engine API's start, and what berth's driver does by the API (the stopped container
// removed, a fresh one created and started), each until the port answers. Each berth row adds
// its launch and ready times from berth's own events; the API rows time their phases.
// Targets (issue 10): 0 failed requests for berth, berth's deploy time ≤ docker service
// update's, wake ≤ docker start + 100 ms.
//
// --engine own (default): a dockerd of the bench's own in a temp dir (needs root), so that the
// swarm and the containers disturb no one. --engine env: the Engine DOCKER_HOST names; the swarm
// rows then run only if that Engine is a swarm manager already.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';
import { dockerHostForTests, Engine } from '../../test/helpers/docker-engine.js';
import { ensureTestImages } from '../../test/helpers/docker-images.js';
import {
  dockerStartWakes,
  freshContainerWakes,
  stopAndRun,
  swarmInit,
  swarmUpdate,
  type BenchContext,
} from './baselines.js';
import { BERTH_APPS, berthAvailable, BerthDaemon, berthDeploy, berthWakes } from './berth.js';
import { docker, startOwnEngine, type OwnEngine } from './engine.js';
import { quantile, type DeployRow, type WakeRow } from './measure.js';

interface Options {
  rate: number;
  fresh: number;
  settle: number;
  wakes: number;
  engine: 'own' | 'env';
  keep: boolean;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const EXAMPLE = path.join(root, 'examples/docker-hello');
const IMAGE_A = 'bench/docker-hello:a';
const IMAGE_B = 'bench/docker-hello:b';

/** A berth row that could not be measured: why, in the table's place. */
function failure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  log(`berth row failed: ${message}`);
  return `failed: ${message.split('\n').slice(0, 6).join(' / ')}`;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function parseArgs(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? undefined : argv[i + 1];
  };
  const number = (name: string, fallback: number, ok: (n: number) => boolean): number => {
    const value = Number(get(name) ?? fallback);
    if (!ok(value)) throw new Error(`--${name} is out of range (got ${get(name)})`);
    return value;
  };
  const engine = get('engine') ?? 'own';
  if (engine !== 'own' && engine !== 'env') throw new Error(`--engine must be own or env (got ${engine})`);
  return {
    rate: number('rate', 200, (n) => n > 0 && n <= 5000),
    fresh: number('fresh', 0.2, (n) => n >= 0 && n <= 1),
    settle: number('settle', 2, (n) => n >= 0 && n <= 60),
    wakes: number('wakes', 10, (n) => Number.isInteger(n) && n >= 1),
    engine,
    keep: argv.includes('--keep'),
  };
}

async function buildExample(host: string): Promise<void> {
  const engine = new Engine(host);
  const context = Readable.from(tar.c({ cwd: EXAMPLE, gzip: true, portable: true }, readdirSync(EXAMPLE)));
  await engine.progress(
    'POST',
    `/build?t=${encodeURIComponent(IMAGE_A)}&rm=1&forcerm=1`,
    context,
    'application/x-tar',
    300_000,
  );
  docker(host, ['tag', IMAGE_A, IMAGE_B]);
}

const s = (ms: number | null): string =>
  ms === null || Number.isNaN(ms) ? '—' : `${(ms / 1000).toFixed(2)} s`;
const ms = (value: number): string => (Number.isNaN(value) ? '—' : `${value.toFixed(0)} ms`);

function printDeploys(rows: DeployRow[], berth: DeployRow | string): void {
  console.log('\nDeploy of one machine, a → b, under constant load');
  console.log(
    `${'method'.padEnd(52)} ${'deploy'.padStart(9)} ${'requests'.padStart(9)} ${'failed'.padStart(7)}  berth ÷ this`,
  );
  const line = (row: DeployRow, ratio: string): void => {
    const failed = row.load ? String(row.load.failed) : 'n/a';
    const requests = row.load ? String(row.load.requests) : 'n/a';
    console.log(
      `${row.label.padEnd(52)} ${s(row.deployMs).padStart(9)} ${requests.padStart(9)} ${failed.padStart(7)}  ${ratio}`,
    );
    if (row.load && row.load.failed > 0)
      console.log(
        `${''.padEnd(4)}failures: ${JSON.stringify(row.load.byWhat)}, from ${row.load.firstFailureMs} to ${row.load.lastFailureMs} ms into the load`,
      );
    if (row.note) console.log(`${''.padEnd(4)}(${row.note})`);
  };
  if (typeof berth === 'string')
    console.log(
      `${'berth deploy --driver docker (rolling)'.padEnd(52)} ${'[berth column: not measured]'}\n    (${berth})`,
    );
  else line(berth, '1.00');
  for (const row of rows) {
    const ratio =
      typeof berth === 'string' || berth.deployMs === null || row.deployMs === null
        ? '—'
        : `${(berth.deployMs / row.deployMs).toFixed(2)} (time)`;
    line(row, ratio);
  }
}

function printWakes(rows: WakeRow[], berth: WakeRow[] | string): void {
  console.log('\nWake of a stopped container, until it answers');
  console.log(
    `${'method'.padEnd(56)} ${'median'.padStart(8)} ${'p95'.padStart(8)} ${'failed'.padStart(7)}  berth − this`,
  );
  const berthMedian = typeof berth === 'string' ? Number.NaN : quantile(berth[0]?.wakesMs ?? [], 0.5);
  const line = (row: WakeRow, diff: string): void => {
    console.log(
      `${row.label.padEnd(56)} ${ms(quantile(row.wakesMs, 0.5)).padStart(8)} ${ms(quantile(row.wakesMs, 0.95)).padStart(8)} ${String(row.failed).padStart(7)}  ${diff}`,
    );
    if (row.note) console.log(`${''.padEnd(4)}(${row.note})`);
  };
  if (typeof berth === 'string')
    console.log(
      `${'berth: request through the proxy → answer'.padEnd(56)} [berth column: not measured]\n    (${berth})`,
    );
  else
    for (const row of berth)
      line(row, row === berth[0] ? '0 ms' : ms(berthMedian - quantile(row.wakesMs, 0.5)));
  for (const row of rows)
    line(row, Number.isNaN(berthMedian) ? '—' : ms(berthMedian - quantile(row.wakesMs, 0.5)));
}

function printTargets(
  rows: DeployRow[],
  berthDeployRow: DeployRow | string,
  wakes: WakeRow[],
  berthWakeRows: WakeRow[] | string,
): void {
  console.log('\nTargets');
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  if (typeof berthDeployRow === 'string') console.log('  deploy: not judged, the berth row is empty');
  else {
    const swarm = rows.filter(
      (row) => row.label.startsWith('docker service update') && row.deployMs !== null,
    );
    const fastestSwarm = Math.min(...swarm.map((row) => row.deployMs!));
    console.log(`  0 failed requests for berth: ${verdict(berthDeployRow.load?.failed === 0)}`);
    console.log(
      `  deploy time ≤ docker service update's: ${swarm.length ? verdict(berthDeployRow.deployMs! <= fastestSwarm) : 'no swarm row'}`,
    );
  }
  if (typeof berthWakeRows === 'string') {
    console.log('  wake: not judged, the berth rows are empty');
    return;
  }
  const apiStart = quantile(
    wakes.find((row) => row.label.startsWith('Engine API start'))?.wakesMs ?? [],
    0.5,
  );
  for (const row of berthWakeRows)
    console.log(
      `  wake ≤ docker start (Engine API) + 100 ms, ${row.label.replace(/^.*\(/, '(')}: ${verdict(quantile(row.wakesMs, 0.5) <= apiStart + 100 && row.failed === 0)}`,
    );
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const begun = Date.now();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-docker-'));
  let own: OwnEngine | undefined;
  let daemon: BerthDaemon | undefined;
  const stopAll = async (): Promise<void> => {
    await daemon?.stop(BERTH_APPS).catch((error: Error) => log(`stopping berth: ${error.message}`));
    await own?.stop().catch((error: Error) => log(`stopping dockerd: ${error.message}`));
    if (opts.keep) log(`kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void stopAll().then(() => process.exit(130)));
  try {
    let host: string;
    if (opts.engine === 'own') {
      own = await startOwnEngine(path.join(workDir, 'engine'), log);
      host = own.host;
    } else {
      const named = dockerHostForTests();
      if (!named) throw new Error('--engine env: no Docker Engine (set DOCKER_HOST)');
      host = named;
    }
    const images = await ensureTestImages(new Engine(host));
    log(`test base images ${images.made ? 'made' : 'present'} in ${images.ms} ms`);
    const t0 = Date.now();
    await buildExample(host);
    log(`${IMAGE_A} built from examples/docker-hello in ${Date.now() - t0} ms`);

    const ctx: BenchContext = {
      host,
      imageA: IMAGE_A,
      imageB: IMAGE_B,
      load: { rate: opts.rate, freshFraction: opts.fresh, settleMs: opts.settle * 1000 },
      log,
    };
    const rows: DeployRow[] = [];
    const swarmState = docker(host, ['info', '--format', '{{.Swarm.LocalNodeState}}']).trim();
    const noSwarm =
      swarmState === 'active'
        ? undefined
        : opts.engine === 'env'
          ? 'not run: the bench does not make a shared Engine a swarm manager (use --engine own)'
          : await swarmInit(ctx);
    for (const order of ['start-first', 'stop-first'] as const) {
      const label = `docker service update, ${order}`;
      if (noSwarm) rows.push({ label, deployMs: null, load: null, note: noSwarm });
      else {
        log(`${label}…`);
        rows.push(await swarmUpdate(ctx, order));
      }
    }
    log('docker stop + docker run…');
    rows.push(await stopAndRun(ctx));
    log(`docker start, ${opts.wakes} rounds each…`);
    const wakes = await dockerStartWakes(ctx, opts.wakes);
    log(`Engine API remove + create + start, ${opts.wakes} rounds…`);
    wakes.push(await freshContainerWakes(ctx, opts.wakes));

    let berthDeployRow: DeployRow | string;
    let berthWakeRows: WakeRow[] | string;
    const unavailable = await berthAvailable(workDir, host);
    if (unavailable) {
      berthDeployRow = berthWakeRows = unavailable;
    } else {
      daemon = await BerthDaemon.start(path.join(workDir, 'home'), host);
      log('berth deploy --driver docker…');
      berthDeployRow = await berthDeploy(ctx, daemon, workDir).catch(failure);
      berthWakeRows = [];
      // The app with a check first: fly apps usually have one, and it is the row others are compared to.
      for (const check of [true, false]) {
        log(`berth wakes (${check ? 'HTTP check' : 'no check'}), ${opts.wakes} rounds…`);
        const row = await berthWakes(daemon, workDir, opts.wakes, check).catch(failure);
        if (typeof row === 'string') {
          berthWakeRows = row;
          break;
        }
        berthWakeRows.push(row);
      }
    }

    const version = docker(host, ['version', '--format', '{{.Server.Version}}']).trim();
    console.log(`\ncommand: npm run bench:docker -- ${process.argv.slice(2).join(' ')}`.trimEnd());
    console.log(
      `image ${IMAGE_A} (= ${IMAGE_B}, examples/docker-hello), Docker Engine ${version} (${opts.engine}), ` +
        `load ${opts.rate} req/s (${Math.round(opts.fresh * 100)}% new connections, ${opts.settle} s before and after), ` +
        `${os.cpus().length} CPUs, node ${process.version}, ${((Date.now() - begun) / 1000).toFixed(0)} s`,
    );
    printDeploys(rows, berthDeployRow);
    printWakes(wakes, berthWakeRows);
    printTargets(rows, berthDeployRow, wakes, berthWakeRows);
  } finally {
    await stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
