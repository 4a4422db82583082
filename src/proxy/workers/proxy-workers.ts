// Runs the edge proxy's main listener in N worker processes (node:cluster: the daemon holds
// the listening socket and hands connections out in turn), so the proxy can use more than one
// core. The daemon keeps the routes: every change is pushed to each worker as a versioned
// snapshot; workers report per-machine counters back (SharedRouteTable sums them, so drains
// wait for every worker's requests), and forward wakes of scaled-to-zero apps to the daemon.
// A worker that dies is started again.
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { addMeter, M_IN_FLIGHT, METER_SIZE } from '../../core/metrics/meter.js';
import type { WakeFn, WakeOutcome } from '../wake-gate.js';
import type { ProxyLimits } from '../limits.js';
import { WORKER_LIMITS_ENV, WORKER_LISTEN_ENV, type FromWorker, type ToWorker } from './protocol.js';
import type { RemoteCounts, SharedRouteTable } from './shared-route-table.js';

export interface ProxyWorkersOptions {
  count: number;
  routes: SharedRouteTable;
  /** The proxy's limits, the same in every worker. */
  limits: Partial<ProxyLimits>;
  log: (line: string) => void;
}

interface WorkerState {
  worker: Worker;
  /** Snapshot version the worker last reported applying; -1 before its first report. */
  applied: number;
  /** machineId → [inFlight, requests] from its last report. */
  counts: Map<string, [number, number]>;
  /** Its metrics counters as it last answered (meterKey → values). */
  meters: Map<string, Float64Array>;
}

/** How long a metrics read waits for a worker's counters before using its last ones. */
const METERS_TIMEOUT_MS = 1000;

const RESTART_DELAY_MS = 500;

export class ProxyWorkers implements RemoteCounts {
  /** Set once the daemon can wake apps; until then a wake finds nothing to start. */
  wake: WakeFn | undefined;
  private readonly workers = new Map<number, WorkerState>();
  private readonly routes: SharedRouteTable;
  private address = '';
  private tls: number | undefined;
  private pushed = -1;
  private pushQueued = false;
  private closing = false;
  /** Counters of workers that exited (their last answer), so totals never go down. */
  private readonly retired = new Map<string, Float64Array>();
  private readonly meterRequests = new Map<number, { pending: number; done: () => void }>();
  private nextMeterRequest = 1;

  constructor(private readonly options: ProxyWorkersOptions) {
    this.routes = options.routes;
    this.routes.remote = this;
    this.routes.onChange = () => this.queuePush();
  }

  /** Starts the workers listening on host:port; resolves with the address they share. */
  async start(host: string, port: number): Promise<{ host: string; port: number }> {
    cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker-main.js', import.meta.url)) });
    // Every worker asks for the same address: cluster binds it once and shares it (port 0
    // included: the workers' first listen on port 0 share one handle, so one port).
    this.address = `${bracket(host)}:${port}`;
    const bound = await Promise.all(
      Array.from({ length: this.options.count }, () => this.fork(this.address)),
    );
    if (bound.some((b) => b.port !== bound[0]!.port)) {
      throw new Error(`proxy workers listen on different ports (${bound.map((b) => b.port).join(', ')})`);
    }
    return bound[0]!;
  }

  /** The TLS listener's port, for force_https redirects in the workers. */
  set tlsPort(port: number | undefined) {
    this.tls = port;
    this.routes.touch();
  }

  /** Closes the WebSocket tunnels to a machine in every worker (its drain deadline). */
  closeTunnelsTo(machineId: string): void {
    this.broadcast({ type: 'close-tunnels', machineId });
  }

  /** A machine became unreachable: every worker moves its requests and closes its connections. */
  abandonMachine(machineId: string, address: string | null): void {
    this.broadcast({ type: 'abandon-machine', machineId, address });
  }

  /** Worker process ids, for tests and benchmarks. */
  pids(): number[] {
    return [...this.workers.values()].map((w) => w.worker.process.pid!);
  }

  /** Workers stop accepting, finish their requests and exit. */
  async close(): Promise<void> {
    this.closing = true;
    const exits = [...this.workers.values()].map(
      (w) =>
        new Promise<void>((resolve) =>
          w.worker.isDead() ? resolve() : w.worker.once('exit', () => resolve()),
        ),
    );
    this.broadcast({ type: 'shutdown' });
    await Promise.all(exits);
  }

  // RemoteCounts
  inFlight(machineId: string, unroutedAt: number | undefined): number {
    let n = 0;
    for (const w of this.workers.values()) {
      if (w.applied < 0) continue; // not serving yet
      // It may still pick the machine: busy until it has the change.
      if (unroutedAt !== undefined && w.applied < unroutedAt) n++;
      else n += w.counts.get(machineId)?.[0] ?? 0;
    }
    return n;
  }

  requests(machineId: string): number {
    let n = 0;
    for (const w of this.workers.values()) n += w.counts.get(machineId)?.[1] ?? 0;
    return n;
  }

  /**
   * Every worker's metrics counters, summed (with those of workers that exited). Each worker
   * is asked now; one that does not answer within a second counts with its last answer.
   */
  async meterReadings(): Promise<Map<string, Float64Array>> {
    const asked = [...this.workers.values()].filter((w) => w.applied >= 0 && w.worker.isConnected());
    if (asked.length > 0) {
      const id = this.nextMeterRequest++;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, METERS_TIMEOUT_MS);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.meterRequests.set(id, { pending: asked.length, done });
        for (const w of asked) this.sendTo(w, { type: 'meters', id });
      });
      this.meterRequests.delete(id);
    }
    const total = new Map<string, Float64Array>();
    const add = (from: Map<string, Float64Array>) => {
      for (const [key, values] of from) {
        let sum = total.get(key);
        if (sum === undefined) total.set(key, (sum = new Float64Array(METER_SIZE)));
        addMeter(sum, values);
      }
    };
    add(this.retired);
    for (const w of this.workers.values()) add(w.meters);
    return total;
  }

  private fork(address: string): Promise<{ host: string; port: number }> {
    const worker = cluster.fork({
      [WORKER_LISTEN_ENV]: address,
      [WORKER_LIMITS_ENV]: JSON.stringify(this.options.limits),
    });
    const state: WorkerState = { worker, applied: -1, counts: new Map(), meters: new Map() };
    this.workers.set(worker.id, state);
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            // Routes first: a worker listens once it has them.
            this.sendTo(state, {
              type: 'routes',
              snapshot: this.routes.snapshot(this.tls, this.options.count),
            });
            break;
          case 'listening':
            listening = true;
            resolve({ host: message.host, port: message.port });
            break;
          case 'listen-failed':
            reject(Object.assign(new Error(message.message), { code: message.code }));
            break;
          case 'report':
            state.applied = message.version;
            state.counts = new Map(
              message.machines.map(([id, inFlight, requests]) => [id, [inFlight, requests]]),
            );
            break;
          case 'wake':
            void this.answerWake(state, message.id, message.app);
            break;
          case 'meters': {
            state.meters = new Map(message.readings.map(([key, values]) => [key, Float64Array.from(values)]));
            const request = this.meterRequests.get(message.id);
            if (request !== undefined && --request.pending === 0) request.done();
            break;
          }
        }
      });
      worker.on('exit', (code, signal) => {
        this.workers.delete(worker.id);
        // Its requests are done; what it had counted stays counted.
        for (const [key, values] of state.meters) {
          let sum = this.retired.get(key);
          if (sum === undefined) this.retired.set(key, (sum = new Float64Array(METER_SIZE)));
          addMeter(sum, values);
          sum[M_IN_FLIGHT] = 0;
        }
        if (!listening) {
          reject(new Error(`proxy worker ${worker.process.pid} exited (${signal ?? code}) before listening`));
          return;
        }
        if (this.closing) return;
        this.options.log(`proxy worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
        setTimeout(() => {
          if (this.closing) return;
          this.fork(this.address).catch((err: unknown) =>
            this.options.log(`proxy worker could not be started again: ${String(err)}`),
          );
        }, RESTART_DELAY_MS).unref();
      });
    });
  }

  private async answerWake(state: WorkerState, id: number, app: string): Promise<void> {
    let outcome: WakeOutcome;
    try {
      outcome = this.wake === undefined ? { woken: false } : await this.wake(app);
    } catch (err) {
      this.options.log(`app ${app}: waking a machine failed: ${String(err)}`);
      outcome = {
        woken: false,
        reason: `berth: app "${app}" could not start a machine for this request; the daemon's log says why.\n`,
      };
    }
    // The woken machine's route must reach the worker before the answer does (one ordered channel).
    this.pushNow();
    this.sendTo(state, { type: 'woken', id, outcome });
  }

  private queuePush(): void {
    if (this.pushQueued) return;
    this.pushQueued = true;
    queueMicrotask(() => this.pushNow());
  }

  private pushNow(): void {
    this.pushQueued = false;
    if (this.pushed === this.routes.version) return;
    this.pushed = this.routes.version;
    this.broadcast({ type: 'routes', snapshot: this.routes.snapshot(this.tls, this.options.count) });
  }

  private broadcast(message: ToWorker): void {
    for (const state of this.workers.values()) this.sendTo(state, message);
  }

  private sendTo(state: WorkerState, message: ToWorker): void {
    if (state.worker.isConnected()) state.worker.send(message);
  }
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
