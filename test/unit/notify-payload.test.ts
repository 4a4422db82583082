// Table-driven: which events become notifications, delivery backoff, and what leaves berth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BerthEvent } from '../../src/core/model.js';
import { displayUrl, nextAttemptDelayMs, notificationFor } from '../../src/core/notify/notification.js';
import { redactSecrets } from '../../src/core/redact.js';

const event = (
  kind: string,
  data: Record<string, unknown> | null = null,
  machineId: string | null = null,
): BerthEvent => ({
  id: 1,
  at: '2025-01-01T00:00:00Z',
  app: 'web',
  releaseVersion: 4,
  machineId,
  kind,
  message: 'm',
  actor: null,
  data,
});

const cases: {
  name: string;
  event: BerthEvent;
  kind?: string;
  exitCode?: number | null;
  details?: RegExp;
}[] = [
  {
    name: 'failed run',
    event: event('schedule.failed', { schedule: 'nightly', runId: 7, exitCode: 2 }),
    kind: 'schedule.failed',
    exitCode: 2,
    details: /schedules history nightly -a web --run 7/,
  },
  { name: 'failed deploy', event: event('release.failed', { status: 'failed' }), kind: 'deploy.failed' },
  {
    name: 'reverted deploy',
    event: event('release.failed', { status: 'reverted' }),
    kind: 'deploy.reverted',
  },
  {
    name: 'third crash in a row',
    event: event('machine.exited', { attempt: 3, exit: 'exit code 1' }, 'abc'),
    kind: 'machine.crash_loop',
    exitCode: 1,
    details: /--machine abc/,
  },
  {
    name: 'first crash is no loop',
    event: event('machine.exited', { attempt: 1, exit: 'exit code 1' }, 'abc'),
  },
  { name: 'fourth crash told already', event: event('machine.exited', { attempt: 4 }, 'abc') },
  { name: 'failed wake', event: event('machine.wake_failed', null, 'abc'), kind: 'machine.wake_failed' },
  { name: 'a successful run', event: event('schedule.run', { schedule: 'x', runId: 1 }) },
  { name: 'own delivery failures never notify', event: event('notify.failed') },
];

for (const c of cases) {
  test(`notification: ${c.name}`, () => {
    const n = notificationFor(c.event);
    assert.equal(n?.kind, c.kind);
    if (c.exitCode !== undefined) assert.equal(n?.exitCode, c.exitCode);
    if (c.details) assert.match(n!.details, c.details);
  });
}

test('deliveries back off, then give up', () => {
  assert.deepEqual([1, 2, 3, 4, 7, 8].map(nextAttemptDelayMs), [1000, 2000, 4000, 8000, 64_000, undefined]);
});

test('urls are shown without their path, which is often a secret', () => {
  assert.equal(displayUrl('https://hooks.example.com/services/T0/B0/xyz'), 'https://hooks.example.com/…');
  assert.equal(displayUrl('http://127.0.0.1:9000/'), 'http://127.0.0.1:9000/');
});

test('secret values are blanked, longest first; short values are left alone', () => {
  assert.equal(
    redactSecrets('token abcdef and abcdefgh, on', ['abcdef', 'abcdefgh', 'on']),
    'token [secret] and [secret], on',
  );
});
