// Waiting for one freshly started machine to become healthy, for the deploy's batches.
// Each check runs on its own timer from the end of its grace period; the machine's liveness is
// polled often so that a crash fails the wait at once instead of at the deadline. Whether the
// results add up to "healthy" is decided by core/health/verdict.ts.
//
// It knows nothing of the store or the driver (the caller passes isAlive and an address), so it
// works the same for a machine started a second ago and one adopted after a daemon restart.
import type { CheckConfig } from '../../core/config/types.js';
import { judgeListeningPorts } from '../../core/health/listening-port.js';
import { nextFailureStreak } from '../../core/health/unhealthy-streak.js';
import { checkLabel, healthVerdict, type ProbeResult } from '../../core/health/verdict.js';
import type { ListeningPorts } from '../../drivers/driver.js';
import { probeHttp, probeTcp, type ProbeOutcome } from './probe.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

const FAILING_RETRY_MS = 1000;

/** How often a wait says what it is still waiting for, so a deploy never goes quiet. */
const WAITING_REPORT_MS = 10_000;

/** Up this long with its port still closed, a machine is asked where it listens instead. */
const WRONG_PORT_AFTER_MS = 2500;
/** How often it is asked; listening only elsewhere on two asks this far apart fails it. */
const PORT_ASK_MS = 1000;

export interface WaitHealthyOptions {
  machineId: string;
  /** host:port the machine answers on, or null when it has no port. */
  address: string | null;
  checks: readonly CheckConfig[];
  /** The app's hostname, sent as Host by HTTP checks. */
  hostHeader: string;
  /** When the machine started (epoch ms); grace periods and settling count from here. */
  startedAt: number;
  /** When to give up (epoch ms), from the deploy's wait_timeout. */
  deadline: number;
  /** Without checks: how long the machine must have been up. */
  settleMs: number;
  isAlive: () => Promise<boolean>;
  /** Short lines for the deploy's output: each check's first failure and its pass. */
  onProgress?: (line: string) => void;
  /** Aborting stops every timer and probe; the wait then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Where the machine listens (from its driver). Asked once it has been up a few seconds
   * without its port open: a machine that listens only on other ports (a fixed 8080 instead
   * of $PORT) fails the wait with wrong_port, instead of at the deadline.
   */
  listeningPorts?: () => Promise<ListeningPorts | undefined>;
  /** The config's internal_port of the machine's group, for the wrong_port message. */
  internalPort?: number;
  /** A check failing this many times in a row after its grace period ends the wait at once. */
  maxUnhealthyChecks?: number;
  /** Every 10 s while it waits: what it waits for, the last result, the time left. */
  onWaiting?: (report: WaitingReport) => void;
}

/** A wait's periodic word on itself, for the deploy's output and its --json events. */
export interface WaitingReport {
  machineId: string;
  /** One line for people: "machine ID: waiting 10s for …; 4m50s left". */
  message: string;
  /** What is missing, as the health verdict says it (with the last check result). */
  waitingFor: string;
  /** The latest check result's detail, or null before the first (or without checks). */
  lastResult: string | null;
  /** The longest run of failures in a row of any check, and how many end the wait. */
  failuresInARow: number;
  maxUnhealthyChecks: number | null;
  waitedMs: number;
  remainingMs: number;
}

export type WaitHealthyOutcome =
  | { state: 'healthy' }
  | { state: 'exited' }
  | { state: 'timeout'; lastFailure: string }
  /** A check failed max_unhealthy_checks times in a row: `reason` names it and its last result. */
  | { state: 'failing'; reason: string }
  /** It listens only on other ports: message and hint say which and what to do. */
  | { state: 'wrong_port'; message: string; hint: string; expected: number; ports: number[] };

/** Why a wait did not end healthy, for the machine's failure line (after "machine ID: "). */
export function unhealthyReason(
  outcome: Exclude<WaitHealthyOutcome, { state: 'healthy' }>,
  waitMs: number,
): string {
  switch (outcome.state) {
    case 'exited':
      return 'it exited before it was healthy';
    case 'timeout':
      return `not healthy within ${waitMs / 1000}s (${outcome.lastFailure})`;
    case 'failing':
      return `not healthy: ${outcome.reason}`;
    case 'wrong_port':
      return `wrong_port: it ${outcome.message}\n  hint: ${outcome.hint}`;
  }
}

export interface HealthMonitorOptions {
  /** How often to ask isAlive and, without checks, to try connecting. */
  pollMs?: number;
  /** Timeout of the connect that tells a machine without checks is listening. */
  connectTimeoutMs?: number;
}

export class HealthMonitor {
  private readonly pollMs: number;
  private readonly connectTimeoutMs: number;

  constructor(options: HealthMonitorOptions = {}) {
    this.pollMs = options.pollMs ?? 150;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 500;
  }

  waitHealthy(options: WaitHealthyOptions): Promise<WaitHealthyOutcome> {
    return new HealthWait(options, this.pollMs, this.connectTimeoutMs).run();
  }
}

/** The state of one waitHealthy call. */
class HealthWait {
  private readonly latest: (ProbeResult | undefined)[];
  /** Each check's failures in a row after its grace period. */
  private readonly streaks: number[];
  private readonly began = Date.now();
  /** What onProgress last said of each check, so that it speaks only on a change. */
  private readonly reported: ('passing' | 'failing' | undefined)[];
  private listening = false;
  /** The driver saw the machine listen on its port: no need to ask again. */
  private portSeen = false;
  private nextPortAsk = 0;
  /** When the driver first saw it listen only elsewhere, in the current run of such answers. */
  private wrongPortSince: number | undefined;
  private finished = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Cancels probes in flight when the wait ends. */
  private readonly probes = new AbortController();
  private resolve: (outcome: WaitHealthyOutcome) => void = () => {};
  private reject: (reason: unknown) => void = () => {};

  constructor(
    private readonly o: WaitHealthyOptions,
    private readonly pollMs: number,
    private readonly connectTimeoutMs: number,
  ) {
    this.latest = o.checks.map(() => undefined);
    this.streaks = o.checks.map(() => 0);
    this.reported = o.checks.map(() => undefined);
  }

  run(): Promise<WaitHealthyOutcome> {
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      const signal = this.o.signal;
      if (signal?.aborted) return this.abort();
      signal?.addEventListener('abort', this.abort, { once: true });

      const now = Date.now();
      this.o.checks.forEach((check, i) => {
        this.after(this.o.startedAt + check.gracePeriodMs - now, () => this.runCheck(i));
      });
      this.after(this.o.deadline - now, () => this.evaluate());
      this.after(WAITING_REPORT_MS, () => this.reportWaiting());
      void this.poll();
    });
  }

  private async poll(): Promise<void> {
    if (this.finished) return;
    let alive = true;
    try {
      alive = await this.o.isAlive();
    } catch {
      // Not knowing is not dying: a failed inspect is retried on the next round.
    }
    if (this.finished) return;
    if (!alive) return this.finish({ state: 'exited' });
    await this.askWherePortsAre();
    if (this.finished) return;

    if (this.o.checks.length === 0 && this.o.address !== null && !this.listening) {
      const result = await probeTcp({
        address: this.o.address,
        timeoutMs: this.connectTimeoutMs,
        signal: this.probes.signal,
      });
      if (this.finished) return;
      if (result.ok) {
        this.listening = true;
        this.progress(`listening on ${this.o.address}`);
      }
    }
    this.evaluate();
    this.after(this.pollMs, () => this.poll());
  }

  /** Fails the wait with wrong_port when the machine keeps listening only on other ports. */
  private async askWherePortsAre(): Promise<void> {
    const now = Date.now();
    if (!this.o.listeningPorts || this.o.address === null || this.listening || this.portSeen) return;
    // A check's grace period says how long the app takes to boot: it may open other ports first.
    const after = Math.max(WRONG_PORT_AFTER_MS, ...this.o.checks.map((c) => c.gracePeriodMs));
    if (now - this.o.startedAt < after || now < this.nextPortAsk) return;
    this.nextPortAsk = now + PORT_ASK_MS;
    let ports: ListeningPorts | undefined;
    try {
      ports = await this.o.listeningPorts();
    } catch {
      // Not knowing is not failing: the checks and the deadline still decide.
      return;
    }
    if (this.finished || !ports) return;
    const judged = judgeListeningPorts({
      ...ports,
      ...(this.o.internalPort !== undefined && { internalPort: this.o.internalPort }),
    });
    if (judged.state === 'listening') this.portSeen = true;
    if (judged.state !== 'wrong-port') {
      this.wrongPortSince = undefined;
      return;
    }
    // Twice, a second apart: an app may open an admin port a moment before its main one.
    this.wrongPortSince ??= now;
    if (now - this.wrongPortSince < PORT_ASK_MS) return;
    this.finish({
      state: 'wrong_port',
      message: judged.message,
      hint: judged.hint,
      expected: ports.expected,
      ports: judged.ports,
    });
  }

  /** Probes check i, then schedules its next run an interval after this one started. */
  private async runCheck(i: number): Promise<void> {
    const check = this.o.checks[i];
    if (this.finished || !check) return;
    const started = Date.now();
    const outcome = await this.probe(check);
    if (this.finished) return;
    const result = { ...outcome, at: Date.now() };
    this.latest[i] = result;
    this.streaks[i] = nextFailureStreak(this.streaks[i] ?? 0, result, this.o.startedAt + check.gracePeriodMs);
    this.report(i, check, outcome);
    this.evaluate();
    // A failing check is retried within a second: a machine still booting should not hold
    // the batch back for a whole interval once it is up.
    const interval = outcome.ok ? check.intervalMs : Math.min(check.intervalMs, FAILING_RETRY_MS);
    this.after(interval - (Date.now() - started), () => this.runCheck(i));
  }

  private probe(check: CheckConfig): Promise<ProbeOutcome> {
    const address = this.o.address;
    if (address === null)
      return Promise.resolve({ ok: false, detail: 'the machine has no address to probe' });
    const signal = this.probes.signal;
    if (check.type === 'tcp') return probeTcp({ address, timeoutMs: check.timeoutMs, signal });
    return probeHttp({
      address,
      method: check.method,
      path: check.path,
      headers: check.headers,
      hostHeader: this.o.hostHeader,
      protocol: check.protocol,
      timeoutMs: check.timeoutMs,
      signal,
    });
  }

  private verdict() {
    return healthVerdict({
      checks: this.o.checks,
      latest: this.latest,
      startedAt: this.o.startedAt,
      now: Date.now(),
      settleMs: this.o.settleMs,
      listening: this.o.address === null ? null : this.listening,
      deadline: this.o.deadline,
      failureStreaks: this.streaks,
      ...(this.o.maxUnhealthyChecks !== undefined && { maxUnhealthyChecks: this.o.maxUnhealthyChecks }),
    });
  }

  private evaluate(): void {
    if (this.finished) return;
    const verdict = this.verdict();
    if (verdict.state === 'healthy') this.finish({ state: 'healthy' });
    else if (verdict.state === 'unhealthy')
      this.finish(
        verdict.cause === 'failing'
          ? { state: 'failing', reason: verdict.reason }
          : { state: 'timeout', lastFailure: verdict.reason },
      );
  }

  /** Says what the wait is still waiting for, then again every WAITING_REPORT_MS. */
  private reportWaiting(): void {
    if (this.finished) return;
    const verdict = this.verdict();
    if (verdict.state === 'pending') {
      const now = Date.now();
      const last = this.latest
        .filter((r): r is ProbeResult => r !== undefined)
        .sort((a, b) => b.at - a.at)[0];
      const failures = Math.max(0, ...this.streaks);
      const max = this.o.maxUnhealthyChecks ?? null;
      const waitedMs = now - this.began;
      const remainingMs = Math.max(0, this.o.deadline - now);
      const streak =
        failures > 0 && max !== null
          ? ` (${failures} failure${failures === 1 ? '' : 's'} in a row of ${max} allowed)`
          : '';
      const report: WaitingReport = {
        machineId: this.o.machineId,
        message: `machine ${this.o.machineId}: still waiting after ${formatWait(waitedMs)} for ${verdict.waitingFor}${streak}; ${formatWait(remainingMs)} left of wait_timeout`,
        waitingFor: verdict.waitingFor,
        lastResult: last?.detail ?? null,
        failuresInARow: failures,
        maxUnhealthyChecks: max,
        waitedMs,
        remainingMs,
      };
      if (this.o.onWaiting) this.o.onWaiting(report);
      else this.o.onProgress?.(report.message);
    }
    this.after(WAITING_REPORT_MS, () => this.reportWaiting());
  }

  private report(i: number, check: CheckConfig, outcome: ProbeOutcome): void {
    const now = outcome.ok ? 'passing' : 'failing';
    if (this.reported[i] === now) return;
    this.reported[i] = now;
    const name = `check "${check.name}" (${checkLabel(check)})`;
    this.progress(outcome.ok ? `${name} passing` : `${name} failing: ${outcome.detail}`);
  }

  private progress(line: string): void {
    this.o.onProgress?.(`machine ${this.o.machineId}: ${line}`);
  }

  private after(ms: number, fn: () => Promise<void> | void): void {
    if (this.finished) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        void fn();
      },
      // setTimeout fires at once for delays past 2^31-1 ms; a far deadline must not.
      Math.min(Math.max(0, ms), MAX_TIMER_MS),
    );
    this.timers.add(timer);
  }

  private stop(): void {
    this.finished = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.probes.abort();
    this.o.signal?.removeEventListener('abort', this.abort);
  }

  private finish(outcome: WaitHealthyOutcome): void {
    if (this.finished) return;
    this.stop();
    this.resolve(outcome);
  }

  private readonly abort = (): void => {
    if (this.finished) return;
    this.stop();
    this.reject(this.o.signal?.reason ?? new Error('aborted'));
  };
}

/** "8s", "1m30s", "5m" for a progress line. */
function formatWait(ms: number): string {
  const total = Math.round(ms / 1000);
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  if (minutes === 0) return `${seconds}s`;
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}
