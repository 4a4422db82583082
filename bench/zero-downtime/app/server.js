// The app the zero-downtime benchmark deploys (bench/zero-downtime/run.ts). Plain node, no
// dependencies, so what is measured is berth (or pm2), not a framework.
//
//   /         fast 200          /slow     200 after 1 s
//   /healthz  200 (500 when ZD_FAIL=healthz)
//   /stream   chunked, one line every 100 ms for as long as the client holds it
//
// ZD_FAIL=crash exits at start: the "failing deploy" row. On SIGINT/SIGTERM it stops
// accepting, finishes in-flight requests, ends open streams with a complete chunked response
// (so a client can tell a clean end from a reset) and exits.
/* global process, console, setTimeout, clearTimeout, setInterval, clearInterval, Buffer, URL */
import { readFileSync } from 'node:fs';
import http from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const release = process.env.BERTH_RELEASE_VERSION ?? 'pm2';
const machine = process.env.BERTH_MACHINE_ID ?? `pid${process.pid}`;
const fail = process.env.ZD_FAIL ?? '';
// The bench changes this file before every deploy, so each deploy is a new artifact; under
// pm2 (no release numbers) it is also what tells one reload from the next.
let stamp = '-';
try {
  stamp = readFileSync(new URL('./stamp.txt', import.meta.url), 'utf8').trim();
} catch {
  // run by hand without a stamp
}
const tag = `release=${release} stamp=${stamp} machine=${machine}`;

if (fail === 'crash') {
  console.error(`ZD_FAIL=crash: exiting at start (${tag})`);
  process.exit(1);
}

const streams = new Set();
let stopping = false;

function send(res, status, text) {
  const headers = { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) };
  // While stopping, tell keep-alive clients not to reuse this connection.
  if (stopping) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(text);
}

function stream(req, res) {
  res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
  let n = 0;
  const timer = setInterval(() => res.write(`line ${++n} ${tag}\n`), 100);
  const entry = {
    end: (why) => {
      clearInterval(timer);
      streams.delete(entry);
      res.end(`end ${why} ${tag}\n`);
    },
  };
  streams.add(entry);
  res.on('close', () => {
    clearInterval(timer);
    streams.delete(entry);
  });
}

const server = http.createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  switch (path) {
    case '/':
      return send(res, 200, `ok ${tag}\n`);
    case '/slow': {
      const timer = setTimeout(() => send(res, 200, `slow ok ${tag}\n`), 1000);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    case '/healthz':
      return send(res, fail === 'healthz' ? 500 : 200, fail === 'healthz' ? 'unhealthy (ZD_FAIL)\n' : 'ok\n');
    case '/stream':
      return stream(req, res);
    default:
      return send(res, 404, 'not found\n');
  }
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port} (${tag})`));

function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping (${streams.size} open stream(s))`);
  server.close(() => process.exit(0));
  for (const s of streams) s.end(`(${signal})`);
  // Keep-alive connections become idle as their last response finishes; close them then.
  setInterval(() => server.closeIdleConnections(), 50).unref();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
