// Constant load for the docker benchmark, forked so that the docker CLI calls and polls of the
// bench never stall it. Open loop: requests leave at a fixed rate whatever the target does (a
// slow target gets more requests in flight, not fewer requests), a share of them on a new
// connection each, the rest on a keep-alive pool. Any answer but a complete 2xx is a failure.
//
// IPC: {type:'start', settings} → {type:'started'}; {type:'stop'} → in-flight requests finish,
// then {type:'result', result}.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadSettings {
  host: string;
  port: number;
  /** Host header (berth's proxy routes by it). */
  hostHeader: string;
  rate: number;
  freshFraction: number;
  timeoutMs: number;
}

export interface LoadResult {
  requests: number;
  ok: number;
  failed: number;
  /** Failures by status or error code, e.g. {"502": 3, "ECONNRESET": 12}. */
  byWhat: Record<string, number>;
  /** Milliseconds from the load's start of the first and the last failure. */
  firstFailureMs: number | null;
  lastFailureMs: number | null;
}

type Message = { type: 'start'; settings: LoadSettings } | { type: 'stop' };

const TICK_MS = 2;

class Load {
  private readonly agent: http.Agent;
  private timer: NodeJS.Timeout | undefined;
  private started = 0;
  private issued = 0;
  private inFlight = 0;
  private freshAcc = 0;
  readonly result: LoadResult = {
    requests: 0,
    ok: 0,
    failed: 0,
    byWhat: {},
    firstFailureMs: null,
    lastFailureMs: null,
  };

  constructor(private readonly s: LoadSettings) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  start(): void {
    this.started = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  async stop(): Promise<LoadResult> {
    clearInterval(this.timer);
    const deadline = Date.now() + this.s.timeoutMs + 1000;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.agent.destroy();
    return this.result;
  }

  private tick(): void {
    const due = Math.floor(((performance.now() - this.started) / 1000) * this.s.rate);
    while (this.issued < due) {
      this.issued++;
      this.freshAcc += this.s.freshFraction;
      const fresh = this.freshAcc >= 1;
      if (fresh) this.freshAcc -= 1;
      this.send(fresh);
    }
  }

  private send(fresh: boolean): void {
    const sentAt = performance.now() - this.started;
    let done = false;
    this.inFlight++;
    this.result.requests++;
    const finish = (failure?: string): void => {
      if (done) return;
      done = true;
      this.inFlight--;
      if (failure === undefined) {
        this.result.ok++;
        return;
      }
      this.result.failed++;
      this.result.byWhat[failure] = (this.result.byWhat[failure] ?? 0) + 1;
      this.result.firstFailureMs ??= Math.round(sentAt);
      this.result.lastFailureMs = Math.round(sentAt);
    };
    const req = http.get(
      {
        host: this.s.host,
        port: this.s.port,
        path: '/',
        headers: { host: this.s.hostHeader },
        agent: fresh ? false : this.agent,
      },
      (res) => {
        res.resume();
        res.on('error', () => {});
        res.on('close', () => {
          const status = res.statusCode ?? 0;
          if (!res.complete) finish('TRUNCATED');
          else if (status < 200 || status > 299) finish(String(status));
          else finish();
        });
      },
    );
    req.setTimeout(this.s.timeoutMs, () => {
      finish('TIMEOUT');
      req.destroy();
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? 'ERROR'));
  }
}

let load: Load | undefined;
process.on('message', (msg: Message) => {
  if (msg.type === 'start') {
    load = new Load(msg.settings);
    load.start();
    process.send!({ type: 'started' });
  } else if (msg.type === 'stop' && load) {
    void load.stop().then((result) => process.send!({ type: 'result', result }, () => process.exit(0)));
  }
});
process.on('disconnect', () => process.exit(1));
