// The berth edge proxy alone in a process, for the benchmark: the load generator and the
// proxy must not share an event loop. Usage: proxy-process.js <listen-port> <backend host:port>
// Prints one JSON line `{"port":N}` once listening; exits on SIGTERM/SIGINT.
import { EdgeProxy } from '../../src/proxy/edge-proxy.js';
import { RouteTable } from '../../src/proxy/route-table.js';

const [portArg = '0', backend = '127.0.0.1:3000'] = process.argv.slice(2);

const routes = new RouteTable();
routes.setBackends('hello', [{ machineId: 'hello-1', address: backend, releaseVersion: 1 }]);
const proxy = new EdgeProxy({ routes, domain: 'localhost' });
const { port } = await proxy.listen('127.0.0.1', Number(portArg));
process.stdout.write(JSON.stringify({ port }) + '\n');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void proxy.close().then(() => process.exit(0));
  });
}
