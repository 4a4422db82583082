// berth's own registry port (`berth server --registry-port N`): a port another process holds
// is refused with its number and the flag; a registry answering there, or a free port, is fine.
// Real listeners on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BerthError } from '../../src/core/errors.js';
import { checkRegistryPort } from '../../src/drivers/swarm/registry.js';

async function listen(handler: http.RequestListener): Promise<{ port: number; close(): void }> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

test('a port held by a process that is no registry is refused, naming the port and --registry-port', async () => {
  const other = await listen((_req, res) => res.writeHead(404).end('not a registry'));
  try {
    await assert.rejects(checkRegistryPort('127.0.0.1', other.port), (err: unknown) => {
      assert.ok(err instanceof BerthError);
      assert.equal(err.code, 'address_unavailable');
      assert.match(
        err.message,
        new RegExp(`port ${other.port} \\(127\\.0\\.0\\.1:${other.port}\\) is held by another process`),
      );
      assert.match(err.hint ?? '', /berth server --registry-port N/);
      return true;
    });
  } finally {
    other.close();
  }
});

test('a registry answering on the port is used as it is; a free port is taken later', async () => {
  const registry = await listen((req, res) => res.writeHead(req.url === '/v2/' ? 200 : 404).end('{}'));
  try {
    await checkRegistryPort('127.0.0.1', registry.port);
  } finally {
    registry.close();
  }
  // The port just closed is free again.
  await checkRegistryPort('127.0.0.1', registry.port);
});
