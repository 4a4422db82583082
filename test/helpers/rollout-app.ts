// A small app whose behaviour each release chooses (healthy, unhealthy, crashing), written
// into a temp directory with its berth.toml, for rollout tests.
import type { DriverName } from '../../src/core/drivers.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Behaviour = 'ok' | 'unhealthy' | 'crash';

const SERVER = `
import http from 'node:http';
import { readFileSync } from 'node:fs';
const mode = readFileSync('mode.txt', 'utf8').trim();
const label = readFileSync('label.txt', 'utf8').trim();
console.log('booting ' + label + ' in mode ' + mode + (process.env.RELEASE_COMMAND ? ' (release command)' : ''));
if (mode === 'crash') { console.error('crashing on purpose'); process.exit(1); }
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(mode === 'unhealthy' ? 500 : 200);
    res.end(mode);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(label + ' ' + process.env.BERTH_MACHINE_ID + '\\n');
});
server.listen(Number(process.env.PORT));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
`;

export interface RolloutAppOptions {
  app: string;
  label: string;
  behaviour?: Behaviour;
  strategy?: string;
  healthCheck?: boolean;
  /** The health check's grace_period (default 0s): how long a new machine stays "starting" at least. */
  gracePeriod?: string;
  waitTimeout?: string;
  releaseCommand?: string;
  /** Gives each machine a volume "data" mounted here. */
  mountDestination?: string;
  /** docker, swarm: the app also gets a Dockerfile (the test base image, the tree copied to /app). */
  driver?: DriverName;
}

const DOCKERFILE = 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n';

export function writeRolloutApp(dir: string, o: RolloutAppOptions): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'server.js'), SERVER);
  writeFileSync(join(dir, 'package.json'), '{"type":"module","scripts":{"start":"node server.js"}}');
  writeFileSync(join(dir, 'mode.txt'), o.behaviour ?? 'ok');
  writeFileSync(join(dir, 'label.txt'), o.label);
  if (o.driver === 'docker' || o.driver === 'swarm') writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  const lines = [
    `app = "${o.app}"`,
    'kill_signal = "SIGTERM"',
    'kill_timeout = "3s"',
    '',
    '[processes]',
    'app = "node server.js"',
    '',
    '[deploy]',
    `strategy = "${o.strategy ?? 'rolling'}"`,
    `wait_timeout = "${o.waitTimeout ?? '8s'}"`,
  ];
  if (o.releaseCommand) lines.push(`release_command = ${JSON.stringify(o.releaseCommand)}`);
  if (o.mountDestination) {
    lines.push('', '[mounts]', 'source = "data"', `destination = ${JSON.stringify(o.mountDestination)}`);
  }
  lines.push('', '[http_service]', 'internal_port = 8080');
  if (o.healthCheck !== false) {
    lines.push(
      '',
      '[[http_service.checks]]',
      'path = "/healthz"',
      'interval = "1s"',
      'timeout = "1s"',
      `grace_period = "${o.gracePeriod ?? '0s'}"`,
    );
  }
  writeFileSync(join(dir, 'berth.toml'), lines.join('\n') + '\n');
  return dir;
}
