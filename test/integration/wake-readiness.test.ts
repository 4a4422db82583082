// Waiting for a woken machine, against a real HTTP server on port 0: the reason given when it
// is not ready in time is the last real answer, not the probe the deadline cut short.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CheckConfig } from '../../src/core/config/types.js';
import { waitReadyToServe } from '../../src/daemon/wake-readiness.js';

const servers: Server[] = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

const check: CheckConfig = {
  name: 'alive',
  type: 'http',
  port: 8080,
  intervalMs: 1000,
  // Longer than the wait: only the deadline ends a hanging probe.
  timeoutMs: 30_000,
  gracePeriodMs: 0,
  method: 'GET',
  path: '/healthz',
  protocol: 'http',
  headers: {},
};

test('a probe cut short by the deadline does not hide the 500 an earlier one got', async () => {
  // The first probe gets a 500; every later one hangs until the deadline cuts it.
  let requests = 0;
  const server = createServer((_req, res) => {
    if (++requests === 1) {
      res.writeHead(500);
      res.end('sick');
    }
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  const outcome = await waitReadyToServe({
    address,
    checks: [check],
    hostHeader: 'sick.localhost',
    isAlive: async () => true,
    deadline: Date.now() + 500,
  });
  assert.ok(requests >= 2, 'a second probe was cut short');
  assert.equal(outcome.ready, false);
  assert.match(outcome.ready ? '' : 'lastFailure' in outcome ? outcome.lastFailure : '', /failing: 500/);
});
