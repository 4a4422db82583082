// Waiting for a woken machine to be ready for the request that woke it. Unlike a deploy's
// health wait (health-monitor.ts), a request is waiting here, so it polls every few
// milliseconds and a passing check counts at once, even inside its grace period: the grace
// period only forgives failures while the app boots, and the deadline bounds the wait.
import type { CheckConfig } from '../core/config/types.js';
import { checkLabel } from '../core/health/verdict.js';
import { probeHttp, probeTcp, type ProbeOutcome } from './health/probe.js';
import { sleep } from './readiness.js';

export interface WakeReadinessOptions {
  /** host:port the machine answers on. */
  address: string;
  /** Its group's checks; with none, accepting a connection is ready. */
  checks: readonly CheckConfig[];
  /** The app's hostname, sent as Host by HTTP checks. */
  hostHeader: string;
  isAlive: () => Promise<boolean>;
  /** Epoch ms. */
  deadline: number;
  /** Pause between rounds. */
  pollMs?: number;
}

export type WakeReadiness =
  | { ready: true }
  | { ready: false; reason: 'exited' }
  | { ready: false; reason: 'timeout'; lastFailure: string };

const DEFAULT_POLL_MS = 3;
/** A probe's own bound: a machine that accepts but hangs must not stall the loop. */
const MAX_PROBE_MS = 2_000;

export async function waitReadyToServe(o: WakeReadinessOptions): Promise<WakeReadiness> {
  const pollMs = o.pollMs ?? DEFAULT_POLL_MS;
  const noProbeYet = 'no probe finished yet';
  let lastFailure = noProbeYet;
  // A probe the deadline cut short says only that time ran out ("timed out after 2ms"): the
  // answer of an earlier round explains more.
  const failing = (failure: string) => {
    if (Date.now() < o.deadline || lastFailure === noProbeYet) lastFailure = failure;
  };
  // Until the app listens, a bare connect is the cheapest question: the booting app, not the
  // polling, should get the CPU. Its checks run from the first accepted connection on.
  let listening = false;
  for (;;) {
    if (!(await o.isAlive())) return { ready: false, reason: 'exited' };
    const left = o.deadline - Date.now();
    if (left <= 0) return { ready: false, reason: 'timeout', lastFailure };
    const bound = Math.min(left, MAX_PROBE_MS);
    if (!listening) {
      const connected = await probeTcp({ address: o.address, timeoutMs: bound });
      listening = connected.ok;
      if (!listening) failing(`not accepting connections (${connected.detail})`);
    }
    if (listening) {
      const failed = o.checks.length === 0 ? undefined : await failingCheck(o, bound);
      if (failed === undefined) return { ready: true };
      failing(failed);
    }
    await sleep(pollMs);
  }
}

/** Runs every check once; the first failure, if any. */
async function failingCheck(o: WakeReadinessOptions, boundMs: number): Promise<string | undefined> {
  const outcomes = await Promise.all(o.checks.map((check) => probe(o, check, boundMs)));
  const i = outcomes.findIndex((outcome) => !outcome.ok);
  if (i === -1) return undefined;
  const check = o.checks[i]!;
  return `check "${check.name}" (${checkLabel(check)}) failing: ${outcomes[i]!.detail}`;
}

function probe(o: WakeReadinessOptions, check: CheckConfig, boundMs: number): Promise<ProbeOutcome> {
  const timeoutMs = Math.min(check.timeoutMs, boundMs);
  if (check.type === 'tcp') return probeTcp({ address: o.address, timeoutMs });
  return probeHttp({
    address: o.address,
    method: check.method,
    path: check.path,
    headers: check.headers,
    hostHeader: o.hostHeader,
    protocol: check.protocol,
    timeoutMs,
  });
}
