// A small app that keeps a file on its volume: POST /write stores the body and answers its
// sha256; GET /read answers the sha256 of what is stored, and where it was read from.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DriverName } from '../../src/core/drivers.js';
import { addDockerfile } from './drivers.js';

const SERVER = `
import http from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
const label = readFileSync('label.txt', 'utf8').trim();
const file = process.env.DATA_DIR + '/blob.txt';
const sha = (text) => createHash('sha256').update(text).digest('hex');
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') { res.writeHead(200); res.end('ok'); return; }
  if (req.url === '/write' && req.method === 'POST') {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => { writeFileSync(file, body); res.writeHead(200); res.end(sha(body)); });
    return;
  }
  if (req.url === '/read') {
    try { res.writeHead(200); res.end(label + ' ' + sha(readFileSync(file, 'utf8')) + ' ' + file); }
    catch (err) { res.writeHead(404); res.end(label + ' missing ' + file + ' ' + err.code); }
    return;
  }
  res.writeHead(200); res.end(label + '\\n');
});
server.listen(Number(process.env.PORT));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
`;

export interface VolumeAppOptions {
  app: string;
  label: string;
  source?: string;
  destination: string;
  strategy?: string;
  initialSize?: string;
  /** Leave [mounts] out (the app writes to DATA_DIR on the host). */
  noMounts?: boolean;
  /** docker: the app also gets a Dockerfile (the test base image, the tree copied to /app). */
  driver?: DriverName;
}

export function writeVolumeApp(dir: string, o: VolumeAppOptions): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'server.js'), SERVER);
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'label.txt'), o.label);
  addDockerfile(dir, o.driver ?? 'process');
  const lines = [
    `app = "${o.app}"`,
    'kill_signal = "SIGTERM"',
    'kill_timeout = "3s"',
    '',
    '[env]',
    `DATA_DIR = "${o.destination}"`,
    '',
    '[processes]',
    'app = "node server.js"',
    '',
    '[deploy]',
    `strategy = "${o.strategy ?? 'rolling'}"`,
    'wait_timeout = "10s"',
    '',
    ...(o.noMounts
      ? []
      : [
          '[mounts]',
          `source = "${o.source ?? 'data'}"`,
          `destination = "${o.destination}"`,
          ...(o.initialSize ? [`initial_size = "${o.initialSize}"`] : []),
          '',
        ]),
    '[http_service]',
    'internal_port = 8080',
    '',
    '[[http_service.checks]]',
    'path = "/healthz"',
    'interval = "1s"',
    'timeout = "1s"',
    'grace_period = "0s"',
  ];
  writeFileSync(join(dir, 'berth.toml'), lines.join('\n') + '\n');
  return dir;
}
