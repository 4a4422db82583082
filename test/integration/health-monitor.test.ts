// The health monitor against real HTTP servers and sockets on port 0. Timing assertions use
// generous bounds: they tell "waited" from "did not wait", not milliseconds.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import type { CheckConfig } from '../../src/core/config/types.js';
import { HealthMonitor, type WaitHealthyOptions } from '../../src/daemon/health/health-monitor.js';

interface Seen {
  at: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

const servers: Server[] = [];
after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A real HTTP server on port 0 that records every request it gets. */
async function httpServer(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<{ address: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ at: Date.now(), method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res, seen.length);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const status =
  (code: number, headers: Record<string, string> = {}) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(code, headers);
    res.end('body');
  };

/** An address where nothing listens: a port just freed. */
async function closedAddress(): Promise<string> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

function check(overrides: Partial<CheckConfig> = {}): CheckConfig {
  return {
    name: 'alive',
    type: 'http',
    port: 8080,
    intervalMs: 100,
    timeoutMs: 500,
    gracePeriodMs: 0,
    method: 'GET',
    path: '/healthz',
    protocol: 'http',
    headers: {},
    ...overrides,
  };
}

const monitor = new HealthMonitor({ pollMs: 50 });

function wait(overrides: Partial<WaitHealthyOptions> & { address: string | null }) {
  const now = Date.now();
  return monitor.waitHealthy({
    machineId: 'm1',
    checks: [check()],
    hostHeader: 'hello.localhost',
    startedAt: now,
    deadline: now + 5000,
    settleMs: 0,
    isAlive: async () => true,
    ...overrides,
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls a condition until it holds; the limit only turns a hang into a failure. */
async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const openConnections = (server: Server) =>
  new Promise<number>((resolve, reject) =>
    server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );

describe('health monitor: HTTP checks', () => {
  test('a 200 endpoint passes', async () => {
    const { address, seen } = await httpServer(status(200));
    assert.deepEqual(await wait({ address }), { state: 'healthy' });
    assert.equal(seen[0]?.url, '/healthz');
  });

  test('a 302 passes: the app is up and answering', async () => {
    const { address } = await httpServer(status(302, { Location: '/login' }));
    assert.deepEqual(await wait({ address }), { state: 'healthy' });
  });

  test('a 500 endpoint times out at the deadline with the 500 as the last failure', async () => {
    const { address, seen } = await httpServer(status(500));
    const startedAt = Date.now();
    const outcome = await wait({ address, startedAt, deadline: startedAt + 1500 });
    assert.equal(outcome.state, 'timeout');
    assert.ok(
      outcome.state === 'timeout' && /500 Internal Server Error/.test(outcome.lastFailure),
      JSON.stringify(outcome),
    );
    assert.ok(Date.now() - startedAt >= 1450, 'waited for the deadline');
    assert.ok(seen.length >= 2, `probed again on the interval (${seen.length} requests)`);
  });

  test('the Host header is the app hostname', async () => {
    const { address, seen } = await httpServer(status(200));
    await wait({ address, hostHeader: 'shop.example.test' });
    assert.equal(seen[0]?.headers.host, 'shop.example.test');
  });

  test('the check method and headers are sent', async () => {
    const { address, seen } = await httpServer(status(204));
    const outcome = await wait({
      address,
      checks: [
        check({
          method: 'HEAD',
          path: '/up?deep=1',
          headers: { 'X-Health': 'yes', Authorization: 'Bearer t' },
        }),
      ],
    });
    assert.deepEqual(outcome, { state: 'healthy' });
    assert.equal(seen[0]?.method, 'HEAD');
    assert.equal(seen[0]?.url, '/up?deep=1');
    assert.equal(seen[0]?.headers['x-health'], 'yes');
    assert.equal(seen[0]?.headers.authorization, 'Bearer t');
  });

  test('the grace period delays the first probe', async () => {
    const { address, seen } = await httpServer(status(200));
    const startedAt = Date.now();
    const outcome = await wait({ address, startedAt, checks: [check({ gracePeriodMs: 400 })] });
    assert.deepEqual(outcome, { state: 'healthy' });
    const first = seen[0]?.at ?? 0;
    assert.ok(first - startedAt >= 380, `first probe ${first - startedAt}ms after start`);
    assert.ok(first - startedAt < 4000, `first probe soon after the grace period (${first - startedAt}ms)`);
  });

  test('a probe that gets no answer fails with its timeout', async () => {
    const { address } = await httpServer(() => {
      /* never answers */
    });
    const startedAt = Date.now();
    const outcome = await wait({
      address,
      startedAt,
      deadline: startedAt + 500,
      checks: [check({ timeoutMs: 150 })],
    });
    assert.equal(outcome.state, 'timeout');
    assert.match(outcome.state === 'timeout' ? outcome.lastFailure : '', /timed out after 150ms/);
  });

  test('progress says the first failure once, then the pass', async () => {
    const { address } = await httpServer((_req, res, n) => {
      res.writeHead(n <= 3 ? 503 : 200);
      res.end();
    });
    const lines: string[] = [];
    const outcome = await wait({ address, machineId: 'abc', onProgress: (line) => lines.push(line) });
    assert.deepEqual(outcome, { state: 'healthy' });
    assert.deepEqual(lines, [
      'machine abc: check "alive" (GET /healthz) failing: 503 Service Unavailable',
      'machine abc: check "alive" (GET /healthz) passing',
    ]);
  });
});

describe('health monitor: TCP checks', () => {
  test('passes when something listens', async () => {
    const { address } = await httpServer(status(200));
    assert.deepEqual(await wait({ address, checks: [check({ type: 'tcp' })] }), { state: 'healthy' });
  });

  test('fails when nothing listens', async () => {
    const address = await closedAddress();
    const startedAt = Date.now();
    const outcome = await wait({
      address,
      startedAt,
      deadline: startedAt + 400,
      checks: [check({ type: 'tcp' })],
    });
    assert.equal(outcome.state, 'timeout');
    assert.match(outcome.state === 'timeout' ? outcome.lastFailure : '', /connection refused/);
  });
});

describe('health monitor: liveness, settling and abort', () => {
  test('a machine that exits fails the wait at once, long before the deadline', async () => {
    const address = await closedAddress();
    const startedAt = Date.now();
    // The machine dies after a few liveness polls; the check's interval is far longer than that.
    let polls = 0;
    const outcome = await wait({
      address,
      startedAt,
      deadline: startedAt + 60_000,
      checks: [check({ intervalMs: 30_000 })],
      isAlive: async () => ++polls < 4,
    });
    assert.deepEqual(outcome, { state: 'exited' });
    assert.ok(
      Date.now() - startedAt < 25_000,
      `noticed after ${Date.now() - startedAt}ms, before a second probe`,
    );
  });

  test('without checks: healthy once listening and settled', async () => {
    const { address } = await httpServer(status(200));
    const startedAt = Date.now();
    const lines: string[] = [];
    const outcome = await wait({
      address,
      startedAt,
      checks: [],
      settleMs: 300,
      onProgress: (l) => lines.push(l),
    });
    assert.deepEqual(outcome, { state: 'healthy' });
    assert.ok(Date.now() - startedAt >= 290, 'waited for the settle time');
    assert.deepEqual(lines, [`machine m1: listening on ${address}`]);
  });

  test('without checks: never listening times out', async () => {
    const address = await closedAddress();
    const startedAt = Date.now();
    const outcome = await wait({ address, startedAt, deadline: startedAt + 400, checks: [] });
    assert.equal(outcome.state, 'timeout');
    assert.match(outcome.state === 'timeout' ? outcome.lastFailure : '', /not listening/);
  });

  test('without checks or a port: healthy once settled', async () => {
    const startedAt = Date.now();
    assert.deepEqual(await wait({ address: null, startedAt, checks: [], settleMs: 200 }), {
      state: 'healthy',
    });
    assert.ok(Date.now() - startedAt >= 190);
  });

  test('abort rejects the wait and stops every timer', async () => {
    const { address, seen, server } = await httpServer(status(500));
    const controller = new AbortController();
    let aliveCalls = 0;
    const waiting = wait({
      address,
      checks: [check({ intervalMs: 30 })],
      isAlive: async () => {
        aliveCalls++;
        return true;
      },
      signal: controller.signal,
    });
    await until('two probes before the abort', () => seen.length >= 2);
    controller.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
    // A probe already on the wire may still land: wait until every probe connection is closed.
    await until('the probe connections to close', async () => (await openConnections(server)) === 0);
    const requests = seen.length;
    const polls = aliveCalls;
    await sleep(300);
    assert.equal(seen.length, requests, 'no request after the abort');
    assert.equal(aliveCalls, polls, 'no liveness poll after the abort');
  });
});
