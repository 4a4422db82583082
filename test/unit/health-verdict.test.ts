// Table-driven: each case is what the probes saw at a moment, and the verdict it must give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckConfig } from '../../src/core/config/types.js';
import {
  checkLabel,
  healthVerdict,
  type HealthInput,
  type HealthState,
  type UnhealthyCause,
} from '../../src/core/health/verdict.js';

function check(overrides: Partial<CheckConfig> = {}): CheckConfig {
  return {
    name: 'alive',
    type: 'http',
    port: 8080,
    intervalMs: 1000,
    timeoutMs: 500,
    gracePeriodMs: 0,
    method: 'GET',
    path: '/healthz',
    protocol: 'http',
    headers: {},
    ...overrides,
  };
}

const pass = (at: number) => ({ ok: true, detail: '200 OK', at });
const fail = (at: number, detail = '500 Internal Server Error') => ({ ok: false, detail, at });

// Every case starts at 1000 with a settle time of 1500 unless it says otherwise.
const base: HealthInput = {
  checks: [],
  latest: [],
  startedAt: 1000,
  now: 1000,
  settleMs: 1500,
  listening: false,
};

const cases: {
  name: string;
  input: Partial<HealthInput>;
  state: HealthState;
  cause?: UnhealthyCause;
  says?: RegExp;
}[] = [
  // Without checks: listening (or no port) plus the settle time.
  { name: 'no checks, not listening', input: { now: 9000 }, state: 'pending', says: /not listening/ },
  {
    name: 'no checks, listening, not settled',
    input: { listening: true, now: 2000 },
    state: 'pending',
    says: /settling/,
  },
  { name: 'no checks, listening, settled', input: { listening: true, now: 2500 }, state: 'healthy' },
  { name: 'no checks, no port, not settled', input: { listening: null, now: 2499 }, state: 'pending' },
  { name: 'no checks, no port, settled', input: { listening: null, now: 2500 }, state: 'healthy' },
  {
    name: 'no checks, settle 0, listening at once',
    input: { listening: true, settleMs: 0 },
    state: 'healthy',
  },
  {
    name: 'no checks, never listened by the deadline',
    input: { now: 5000, deadline: 5000 },
    state: 'unhealthy',
    says: /not listening/,
  },

  // With checks: every latest result passing, taken after the grace period.
  {
    name: 'one check, no result yet',
    input: { checks: [check()], latest: [] },
    state: 'pending',
    says: /no result/,
  },
  {
    name: 'one check passing',
    input: { checks: [check()], latest: [pass(1100)], now: 1100 },
    state: 'healthy',
  },
  {
    name: 'checks ignore listening and settling',
    input: { checks: [check()], latest: [pass(1001)], now: 1001, listening: false, settleMs: 60_000 },
    state: 'healthy',
  },
  {
    name: 'latest result failing',
    input: { checks: [check()], latest: [fail(3000)], now: 3000 },
    state: 'pending',
    says: /check "alive" \(GET \/healthz\): 500 Internal Server Error/,
  },
  {
    name: 'a pass from inside the grace period does not count',
    input: { checks: [check({ gracePeriodMs: 5000 })], latest: [pass(3000)], now: 3000 },
    state: 'pending',
    says: /grace period \(5s\)/,
  },
  {
    name: 'grace over, only a pass from before it',
    input: { checks: [check({ gracePeriodMs: 5000 })], latest: [pass(3000)], now: 7000 },
    state: 'pending',
    says: /no result yet/,
  },
  {
    name: 'a pass right at the end of the grace period counts',
    input: { checks: [check({ gracePeriodMs: 5000 })], latest: [pass(6000)], now: 6000 },
    state: 'healthy',
  },
  {
    name: 'two checks, one failing',
    input: {
      checks: [check(), check({ name: 'db', type: 'tcp', port: 5432 })],
      latest: [pass(1200), fail(1200, 'connection refused')],
      now: 1200,
    },
    state: 'pending',
    says: /check "db" \(tcp :5432\): connection refused/,
  },
  {
    name: 'two checks, both passing',
    input: {
      checks: [check(), check({ name: 'db', type: 'tcp' })],
      latest: [pass(1200), pass(1300)],
      now: 1300,
    },
    state: 'healthy',
  },
  {
    name: 'failing still pending just before the deadline',
    input: { checks: [check()], latest: [fail(4000)], now: 4999, deadline: 5000 },
    state: 'pending',
  },
  {
    name: 'failing at the deadline: unhealthy with the last failure',
    input: { checks: [check()], latest: [fail(4000, 'timed out after 500ms')], now: 5000, deadline: 5000 },
    state: 'unhealthy',
    says: /timed out after 500ms/,
  },
  {
    name: 'healthy at the deadline wins over the deadline',
    input: { checks: [check()], latest: [pass(5000)], now: 5000, deadline: 5000 },
    state: 'healthy',
  },
  {
    name: 'an exited machine is unhealthy at once, even with passing checks',
    input: { checks: [check()], latest: [pass(1100)], now: 1100, exited: true },
    state: 'unhealthy',
    says: /exited/,
  },
  { name: 'exited without checks', input: { listening: true, now: 9000, exited: true }, state: 'unhealthy' },

  // max_unhealthy_checks: a streak of failures after the grace period gives up before the deadline.
  {
    name: 'a streak below the limit keeps waiting',
    input: { checks: [check()], latest: [fail(4000)], now: 4000, failureStreaks: [2], maxUnhealthyChecks: 3 },
    state: 'pending',
  },
  {
    name: 'a streak at the limit fails long before the deadline',
    input: {
      checks: [check()],
      latest: [fail(4000)],
      now: 4000,
      deadline: 300_000,
      failureStreaks: [3],
      maxUnhealthyChecks: 3,
    },
    state: 'unhealthy',
    cause: 'failing',
    says: /^check "alive" \(GET \/healthz\) failed 3 times in a row after its grace period: 500 Internal Server Error$/,
  },
  {
    name: 'the second check reaching the limit names that check',
    input: {
      checks: [check(), check({ name: 'db', type: 'tcp', port: 5432 })],
      latest: [pass(4000), fail(4000, 'connection refused')],
      now: 4000,
      failureStreaks: [0, 10],
      maxUnhealthyChecks: 10,
    },
    state: 'unhealthy',
    cause: 'failing',
    says: /check "db" \(tcp :5432\) failed 10 times in a row.*connection refused/,
  },
  {
    name: 'streaks without a limit never fail a machine',
    input: { checks: [check()], latest: [fail(4000)], now: 4000, failureStreaks: [1000] },
    state: 'pending',
  },
  {
    name: 'the deadline still fails a short streak, as a deadline',
    input: {
      checks: [check()],
      latest: [fail(4000)],
      now: 5000,
      deadline: 5000,
      failureStreaks: [1],
      maxUnhealthyChecks: 10,
    },
    state: 'unhealthy',
    cause: 'deadline',
  },
  {
    name: 'exiting wins over a long streak',
    input: {
      checks: [check()],
      latest: [fail(4000)],
      exited: true,
      failureStreaks: [10],
      maxUnhealthyChecks: 3,
    },
    state: 'unhealthy',
    cause: 'exited',
  },
];

for (const c of cases) {
  test(`health verdict: ${c.name}`, () => {
    const verdict = healthVerdict({ ...base, ...c.input });
    assert.equal(verdict.state, c.state, JSON.stringify(verdict));
    if (c.cause) assert.equal(verdict.state === 'unhealthy' && verdict.cause, c.cause);
    if (c.says) {
      const text =
        verdict.state === 'pending'
          ? verdict.waitingFor
          : verdict.state === 'unhealthy'
            ? verdict.reason
            : '';
      assert.match(text, c.says);
    }
  });
}

test('check labels: method and path for HTTP, port for TCP', () => {
  assert.equal(checkLabel(check({ method: 'HEAD', path: '/up' })), 'HEAD /up');
  assert.equal(checkLabel(check({ type: 'tcp', port: 9000 })), 'tcp :9000');
});
