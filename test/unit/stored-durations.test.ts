import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeConfig } from '../../src/core/config/normalize.js';
import { durationsOutOfRange } from '../../src/core/config/stored-durations.js';
import type { AppConfig } from '../../src/core/config/types.js';

// A config as today's loader stores it, then bent the way an older release could hold it.
function stored(bend: (c: AppConfig) => void): AppConfig {
  const { config } = normalizeConfig(
    {
      app: 'old',
      http_service: { internal_port: 8080, checks: [{ path: '/healthz', interval: '5s', timeout: '2s' }] },
      checks: { db: { type: 'tcp', port: 5432, interval: '10s', timeout: '1s' } },
    },
    () => undefined,
  );
  assert.ok(config, 'the base config loads');
  const copy = structuredClone(config);
  bend(copy);
  return copy;
}

const cases: { name: string; bend: (c: AppConfig) => void; want: RegExp[] }[] = [
  { name: 'a config loaded today', bend: () => {}, want: [] },
  {
    name: 'wait_timeout that became 0',
    bend: (c) => (c.deploy.waitTimeoutMs = 0),
    want: [/^deploy\.wait_timeout is /],
  },
  {
    name: 'a check timeout past 2³¹ ms',
    bend: (c) => (c.httpService!.checks[0]!.timeoutMs = 2 ** 31 + 1),
    want: [/^http_service\.checks\..+\.timeout is .*not between 1ms and 24h/],
  },
  { name: 'grace_period 0 is fine', bend: (c) => (c.checks[0]!.gracePeriodMs = 0), want: [] },
  {
    name: 'several at once, each named',
    bend: (c) => {
      c.killTimeoutMs = 10;
      c.checks[0]!.intervalMs = 0.5;
    },
    want: [/^kill_timeout is /, /^checks\.db\.interval is /],
  },
];

for (const c of cases) {
  test(`durations of a stored config: ${c.name}`, () => {
    const problems = durationsOutOfRange(stored(c.bend));
    assert.equal(problems.length, c.want.length, problems.join('\n'));
    c.want.forEach((re, i) => assert.match(problems[i]!, re));
  });
}
