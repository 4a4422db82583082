// The berth edge proxy alone in a process, for the benchmark: the load generator and the
// proxy must not share an event loop.
//
//   proxy-process.js <listen-port> <backend host:port> [--upstream pool|node-http]
//                    [--proxy-http-server berth|node] [--workers N]
//
// `--upstream node-http` runs the same proxy with node's http client to the machine (see
// node-http-upstream.ts); `--proxy-http-server node` with node's http server reading the
// clients' requests instead of berth's own. `--workers N` serves the listener from N worker processes, as
// `berth server --proxy-workers N` does (this process then only holds the routes). Prints one JSON line `{"port":N}` once listening; exits on
// SIGTERM/SIGINT.
import { EdgeProxy } from '../../src/proxy/edge-proxy.js';
import { RouteTable } from '../../src/proxy/route-table.js';
import { ProxyWorkers } from '../../src/proxy/workers/proxy-workers.js';
import { SharedRouteTable } from '../../src/proxy/workers/shared-route-table.js';
import { NodeHttpUpstream } from './node-http-upstream.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};
const [portArg = '0', backend = '127.0.0.1:3000'] = args;
const upstream = option('upstream') ?? 'pool';
if (upstream !== 'pool' && upstream !== 'node-http') throw new Error('--upstream is pool or node-http');
const httpServer = option('proxy-http-server') ?? 'berth';
if (httpServer !== 'berth' && httpServer !== 'node') throw new Error('--proxy-http-server is berth or node');

const workers = Number(option('workers') ?? 0);
const hello = [{ machineId: 'hello-1', address: backend, releaseVersion: 1 }];
let close: () => Promise<void>;
let port: number;
if (workers > 0) {
  const routes = new SharedRouteTable({ domain: 'localhost' });
  routes.setBackends('hello', hello);
  const pool = new ProxyWorkers({
    count: workers,
    routes,
    limits: {}, // the defaults, as in-process
    log: (line) => process.stderr.write(line + '\n'),
  });
  ({ port } = await pool.start('127.0.0.1', Number(portArg)));
  close = () => pool.close();
} else {
  const routes = new RouteTable();
  routes.setBackends('hello', hello);
  const proxy = new EdgeProxy({
    routes,
    domain: 'localhost',
    httpServer,
    ...(upstream === 'node-http' && { upstream: new NodeHttpUpstream() }),
  });
  ({ port } = await proxy.listen('127.0.0.1', Number(portArg)));
  close = () => proxy.close();
}
process.stdout.write(JSON.stringify({ port }) + '\n');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void close().then(() => process.exit(0));
  });
}
