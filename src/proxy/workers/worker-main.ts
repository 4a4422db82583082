// A proxy worker process (`berth server --proxy-workers N`): the edge proxy on the shared
// listener, routing by the snapshots the daemon pushes. It reports its per-machine counters
// back (after each snapshot, and every REPORT_MS while they change) and asks the daemon to
// wake apps that have no started machine. Its metrics counters go to the daemon when it asks
// (a metrics read), never on the request path. It listens only once it has routes, and exits when
// the daemon goes away.
import { EdgeProxy } from '../edge-proxy.js';
import type { ProxyLimits } from '../limits.js';
import { RouteTable } from '../route-table.js';
import { WakeGate, type WakeOutcome } from '../wake-gate.js';
import {
  WORKER_LIMITS_ENV,
  WORKER_LISTEN_ENV,
  type FromWorker,
  type MachineCounts,
  type RouteSnapshot,
  type ToWorker,
} from './protocol.js';

const REPORT_MS = 50;

const send = (message: FromWorker): void => {
  if (process.connected) process.send!(message);
};

const routes = new RouteTable();
const limits = JSON.parse(process.env[WORKER_LIMITS_ENV] ?? '{}') as Partial<ProxyLimits>;
const proxy = new EdgeProxy({ routes, domain: 'localhost', limits });
const pendingWakes = new Map<number, (outcome: WakeOutcome) => void>();
let nextWakeId = 1;
proxy.wakeGate = new WakeGate(
  (app) =>
    new Promise<WakeOutcome>((resolve) => {
      const id = nextWakeId++;
      pendingWakes.set(id, resolve);
      send({ type: 'wake', id, app });
    }),
);

let applied = -1;
let listening = false;
const knownApps = new Set<string>();
const knownHosts = new Map<string, string>();
/** Machines to report on: routed ones, and unrouted ones until their count is 0. */
const tracked = new Set<string>();
let lastReport = '';

function apply(snapshot: RouteSnapshot): void {
  if (snapshot.version <= applied) return;
  if (routes.getDomain() !== snapshot.domain) routes.setDomain(snapshot.domain);
  proxy.tlsPort = snapshot.tlsPort;
  const apps = new Set<string>();
  for (const route of snapshot.apps) {
    apps.add(route.app);
    routes.setBackends(route.app, route.backends);
    routes.setForceHttps(route.app, route.forceHttps);
    for (const b of route.backends) tracked.add(b.machineId);
  }
  for (const app of knownApps) if (!apps.has(app)) routes.removeApp(app);
  knownApps.clear();
  for (const app of apps) knownApps.add(app);
  const hosts = new Map(snapshot.hostnames);
  for (const [host, app] of knownHosts) if (hosts.get(host) !== app) routes.removeHostname(host);
  for (const [host, app] of hosts) if (knownHosts.get(host) !== app) routes.addHostname(host, app);
  knownHosts.clear();
  for (const [host, app] of hosts) knownHosts.set(host, app);
  applied = snapshot.version;
  report(true);
}

function report(force: boolean): void {
  if (applied < 0) return;
  const machines: MachineCounts[] = [];
  for (const id of tracked) {
    const routed = routes.activity(id);
    if (routed !== undefined) {
      machines.push([id, routed.inFlight, routed.requests]);
      continue;
    }
    // Unrouted: report it until its last request is done, then once more as 0.
    const inFlight = routes.inFlight(id);
    machines.push([id, inFlight, 0]);
    if (inFlight === 0) tracked.delete(id);
  }
  const text = JSON.stringify(machines);
  if (!force && text === lastReport) return;
  lastReport = text;
  send({ type: 'report', version: applied, machines });
}

async function listen(): Promise<void> {
  const address = process.env[WORKER_LISTEN_ENV] ?? '127.0.0.1:0';
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(colon + 1));
  try {
    const bound = await proxy.listen(host, port);
    send({ type: 'listening', host: bound.host, port: bound.port });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    send({ type: 'listen-failed', code: e.code, message: e.message });
    process.exit(1);
  }
}

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  clearInterval(reporter);
  for (const resolve of pendingWakes.values()) resolve({ woken: false });
  void proxy.close().then(() => process.exit(0));
}

process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'routes':
      apply(message.snapshot);
      if (!listening) {
        listening = true;
        void listen();
      }
      break;
    case 'woken': {
      const resolve = pendingWakes.get(message.id);
      pendingWakes.delete(message.id);
      resolve?.(message.outcome);
      break;
    }
    case 'meters':
      send({
        type: 'meters',
        id: message.id,
        readings: [...routes.meterReadings()].map(([key, values]) => [key, Array.from(values)]),
      });
      break;
    case 'close-tunnels':
      proxy.closeTunnelsTo(message.machineId);
      report(true);
      break;
    case 'abandon-machine':
      proxy.abandonMachine(message.machineId, message.address);
      report(true);
      break;
    case 'shutdown':
      stop();
      break;
  }
});
// The daemon is gone (or let go of us): finish what is in flight and exit.
process.on('disconnect', stop);
// Signals are the daemon's to handle: it tells us when to stop.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', stop);

const reporter = setInterval(() => report(false), REPORT_MS);
send({ type: 'ready' });
