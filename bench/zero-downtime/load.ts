// The load generator of the zero-downtime benchmark. run.ts forks it so that its event loop is
// shared with neither the daemon nor the driver that runs the deploys: a deploy's CPU spike in
// the driver must not look like a stall of the target.
//
// Protocol (IPC): the parent sends {type:'start', settings}; this process answers
// {type:'started'} and sends requests at a fixed rate (open loop: a slow target gets more
// requests in flight, not fewer requests) until it gets {type:'stop'}; it then lets in-flight
// requests finish, closes its stream and answers {type:'result', result}.
//
// The stream: one GET /stream is held open for the whole run. A machine that holds it and is
// replaced must end it at some point, so a stream that ends with a complete chunked response is
// a clean end (counted in `cleanEnds`, reopened at once); one that is reset, truncated, or
// cannot be (re)opened with a 200 is a failure (`resets`).
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadSettings {
  /** Loopback only. */
  host: string;
  port: number;
  hostHeader: string;
  /** Requests per second. */
  rate: number;
  /** Share of requests sent on a new connection (agent: false) rather than the keep-alive pool. */
  freshFraction: number;
  /** Share of requests to /slow (1 s). */
  slowFraction: number;
  /** A request without a complete response after this long counts as a socket error TIMEOUT. */
  timeoutMs: number;
  keepAliveSockets: number;
}

export interface Failure {
  /** Epoch milliseconds when the request was sent. */
  t: number;
  /** Status code ("503") or error code ("ECONNRESET", "TIMEOUT", "TRUNCATED"). */
  what: string;
  kind: 'status' | 'socket';
  path: string;
  fresh: boolean;
  /** First line of the body for a status, the message for an error. */
  detail: string;
}

export interface StreamReport {
  opened: number;
  cleanEnds: number;
  resets: number;
  lines: number;
  /** Longest silence between two lines of one stream. */
  maxGapMs: number;
  /** Longest time from the end of one stream to the first line of the next. */
  maxReconnectMs: number;
  events: Array<{ t: number; what: string; detail: string }>;
}

export interface LoadResult {
  startedAt: number;
  stoppedAt: number;
  requests: number;
  ok: number;
  non2xx: number;
  socketErrors: number;
  /** Failures by status or error code. */
  byWhat: Record<string, number>;
  /** The first MAX_FAILURES failures, with times; the rest are only counted. */
  failures: Failure[];
  /** Latency of the fast requests (/), milliseconds. */
  latency: { p50: number; p99: number; max: number };
  /** Largest number of requests that were due but not sent because MAX_IN_FLIGHT were out. */
  maxBacklog: number;
  /** Distinct `release=… stamp=…` pairs seen in response bodies. */
  versions: string[];
  stream: StreamReport;
}

const MAX_IN_FLIGHT = 4000;
const MAX_FAILURES = 5000;
const TICK_MS = 2;

type Message = { type: 'start'; settings: LoadSettings } | { type: 'stop' };

class Load {
  private readonly agent: http.Agent;
  private timer: NodeJS.Timeout | undefined;
  private startedPerf = 0;
  private issued = 0;
  private inFlight = 0;
  private slowAcc = 0;
  private freshAcc = 0;
  private stopping = false;
  private streamReq: http.ClientRequest | undefined;
  private streamEndedAt: number | undefined;
  private readonly latencies: number[] = [];
  private readonly versions = new Set<string>();
  readonly result: LoadResult = {
    startedAt: 0,
    stoppedAt: 0,
    requests: 0,
    ok: 0,
    non2xx: 0,
    socketErrors: 0,
    byWhat: {},
    failures: [],
    latency: { p50: 0, p99: 0, max: 0 },
    maxBacklog: 0,
    versions: [],
    stream: { opened: 0, cleanEnds: 0, resets: 0, lines: 0, maxGapMs: 0, maxReconnectMs: 0, events: [] },
  };

  constructor(private readonly s: LoadSettings) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: s.keepAliveSockets });
  }

  start(): void {
    this.result.startedAt = Date.now();
    this.startedPerf = performance.now();
    this.openStream();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  async stop(): Promise<LoadResult> {
    this.stopping = true;
    clearInterval(this.timer);
    this.result.stoppedAt = Date.now();
    // The bench closes its stream itself: that is not a failure.
    this.streamReq?.destroy();
    const deadline = Date.now() + this.s.timeoutMs + 1000;
    while (this.inFlight > 0 && Date.now() < deadline) await sleep(20);
    this.agent.destroy();
    const sorted = this.latencies.sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    this.result.latency = { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
    this.result.versions = [...this.versions];
    return this.result;
  }

  private tick(): void {
    const due = Math.floor(((performance.now() - this.startedPerf) / 1000) * this.s.rate);
    while (this.issued < due && this.inFlight < MAX_IN_FLIGHT) {
      this.issued++;
      this.slowAcc += this.s.slowFraction;
      this.freshAcc += this.s.freshFraction;
      const slow = this.slowAcc >= 1;
      const fresh = this.freshAcc >= 1;
      if (slow) this.slowAcc -= 1;
      if (fresh) this.freshAcc -= 1;
      this.send(slow ? '/slow' : '/', fresh);
    }
    this.result.maxBacklog = Math.max(this.result.maxBacklog, due - this.issued);
  }

  private send(path: string, fresh: boolean): void {
    const t = Date.now();
    const t0 = performance.now();
    let done = false;
    this.inFlight++;
    this.result.requests++;
    const finish = (kind: 'ok' | 'status' | 'socket', what = '', detail = '') => {
      if (done) return;
      done = true;
      this.inFlight--;
      if (kind === 'ok') {
        this.result.ok++;
        if (path === '/') this.latencies.push(performance.now() - t0);
        return;
      }
      if (kind === 'status') this.result.non2xx++;
      else this.result.socketErrors++;
      this.result.byWhat[what] = (this.result.byWhat[what] ?? 0) + 1;
      if (this.result.failures.length < MAX_FAILURES) {
        this.result.failures.push({ t, what, kind, path, fresh, detail });
      }
    };
    const req = http.get(
      {
        host: this.s.host,
        port: this.s.port,
        path,
        headers: { host: this.s.hostHeader },
        agent: fresh ? false : this.agent,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (body.length < 400) body += d;
        });
        res.on('error', () => {});
        res.on('close', () => {
          const status = res.statusCode ?? 0;
          if (!res.complete) return finish('socket', 'TRUNCATED', `status ${status}, response cut off`);
          if (status < 200 || status > 299) return finish('status', String(status), firstLine(body));
          const version = /release=(\S+) stamp=(\S+)/.exec(body);
          if (version) this.versions.add(`${version[1]}/${version[2]}`);
          finish('ok');
        });
      },
    );
    req.setTimeout(this.s.timeoutMs, () => {
      finish('socket', 'TIMEOUT', `no complete response within ${this.s.timeoutMs} ms`);
      req.destroy();
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish('socket', err.code ?? 'ERROR', err.message));
  }

  private openStream(): void {
    if (this.stopping) return;
    const st = this.result.stream;
    st.opened++;
    let settled = false;
    let last = 0;
    const event = (what: string, detail: string) => {
      if (st.events.length < MAX_FAILURES) st.events.push({ t: Date.now(), what, detail });
    };
    const end = (clean: boolean, what: string, detail: string) => {
      if (settled || this.stopping) return;
      settled = true;
      if (clean) st.cleanEnds++;
      else st.resets++;
      event(what, detail);
      this.streamEndedAt = performance.now();
      // At once after a clean end; a failed open (say a 503 while nothing serves) is retried
      // after a pause so that it does not spin.
      setTimeout(() => this.openStream(), clean ? 0 : 100);
    };
    const req = http.get(
      {
        host: this.s.host,
        port: this.s.port,
        path: '/stream',
        headers: { host: this.s.hostHeader },
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('error', () => {});
          res.on('close', () => end(false, `open ${res.statusCode}`, firstLine(body)));
          return;
        }
        let tail = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          const now = performance.now();
          if (last === 0 && this.streamEndedAt !== undefined) {
            st.maxReconnectMs = Math.max(st.maxReconnectMs, now - this.streamEndedAt);
          } else if (last !== 0) {
            st.maxGapMs = Math.max(st.maxGapMs, now - last);
          }
          last = now;
          for (const ch of d) if (ch === '\n') st.lines++;
          tail = (tail + d).slice(-200);
        });
        res.on('error', () => {});
        res.on('close', () => {
          const lastLine = tail.trimEnd().split('\n').pop() ?? '';
          if (res.complete) end(true, 'clean end', lastLine);
          else end(false, 'reset', `response cut off after: ${lastLine}`);
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => end(false, err.code ?? 'ERROR', err.message));
    this.streamReq = req;
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 200);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
// The driver is gone (crashed or killed): stop loading the machine.
process.on('disconnect', () => process.exit(1));
