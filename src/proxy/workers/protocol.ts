// Messages between the daemon and its proxy workers (`berth server --proxy-workers N`), over
// the cluster IPC channel. The daemon owns the routes and pushes a whole snapshot on every
// change; each worker answers with the version it applied and its per-machine counters, so
// the daemon's drains and auto-stops see every process's requests.
import type { Backend } from '../route-table.js';
import type { WakeOutcome } from '../wake-gate.js';

/** Everything a worker routes by: replaces the previous snapshot whole. */
export interface RouteSnapshot {
  /** Grows with every change; a worker's report names the one it had applied. */
  version: number;
  domain: string;
  /** The daemon's TLS listener port, for force_https redirects. */
  tlsPort: number | undefined;
  apps: { app: string; backends: Backend[]; forceHttps: boolean }[];
  /** Extra hostname → app. */
  hostnames: [string, string][];
}

/** One app and release's proxy counters in one worker: [meterKey, values (core/metrics/meter.ts)]. */
export type MeterReading = [string, number[]];

/** One machine's counters in one worker: [machineId, inFlight, requests]. */
export type MachineCounts = [string, number, number];

export type ToWorker =
  | { type: 'routes'; snapshot: RouteSnapshot }
  | { type: 'woken'; id: number; outcome: WakeOutcome }
  /** A machine reached its drain deadline: close its WebSocket tunnels. */
  | { type: 'close-tunnels'; machineId: string }
  /** A machine became unreachable (its node was lost): move its requests, close its connections. */
  | { type: 'abandon-machine'; machineId: string; address: string | null }
  /** Send your metrics counters (asked for when metrics are read, not on a timer). */
  | { type: 'meters'; id: number }
  /** Stop accepting, let in-flight requests finish, exit. */
  | { type: 'shutdown' };

export type FromWorker =
  /** Loaded and listening for messages (earlier ones would be lost): send the routes. */
  | { type: 'ready' }
  | { type: 'listening'; host: string; port: number }
  | { type: 'listen-failed'; code: string | undefined; message: string }
  /** Counters after applying snapshot `version` (sent then, and whenever they change). */
  | { type: 'report'; version: number; machines: MachineCounts[] }
  /** The answer to a `meters` request. */
  | { type: 'meters'; id: number; readings: MeterReading[] }
  /** A request found no started machine for `app`: the daemon wakes one. */
  | { type: 'wake'; id: number; app: string };

/** The environment variable that tells a worker where to listen (`host:port`). */
export const WORKER_LISTEN_ENV = 'BERTH_PROXY_WORKER_LISTEN';

/** The environment variable that carries the daemon's proxy limits to a worker (JSON). */
export const WORKER_LIMITS_ENV = 'BERTH_PROXY_WORKER_LIMITS';
