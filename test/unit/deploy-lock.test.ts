import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeLock, describeOwner, isLockExpired, type DeployLock } from '../../src/core/deploy-lock.js';

const NOW = Date.parse('2026-11-23T09:15:31.000Z');

const lock = (fields: Partial<DeployLock> = {}): DeployLock => ({
  app: 'hello',
  owner: '12',
  user: 'admin',
  acquiredAt: '2026-11-23T09:14:49.123Z',
  heartbeatAt: '2026-11-23T09:15:30.000Z',
  expiresAt: '2026-11-23T09:16:59.000Z',
  ...fields,
});

const expiry: Array<[string, string, boolean]> = [
  ['expires in the future', '2026-11-23T09:16:59.000Z', false],
  ['expires one millisecond from now', '2026-11-23T09:15:31.001Z', false],
  ['expires exactly now', '2026-11-23T09:15:31.000Z', true],
  ['expired a minute ago', '2026-11-23T09:14:31.000Z', true],
];
for (const [name, expiresAt, expired] of expiry) {
  test(`isLockExpired: a lock that ${name} is ${expired ? '' : 'not '}expired`, () => {
    assert.equal(isLockExpired(lock({ expiresAt }), NOW), expired);
    assert.equal(isLockExpired(lock({ expiresAt }), new Date(NOW)), expired);
  });
}

const owners: Array<[string, string]> = [
  ['12', 'deployment 12'],
  ['ghost', 'ghost'],
  ['cli on host-a', 'cli on host-a'],
];
for (const [owner, shown] of owners) {
  test(`describeOwner("${owner}") is "${shown}"`, () => assert.equal(describeOwner(owner), shown));
}

const descriptions: Array<[string, Partial<DeployLock>, string]> = [
  [
    'a live lock of a deployment',
    {},
    'held by admin (deployment 12) since 2026-11-23T09:14:49Z, 41s ago; expires in 1m28s unless renewed',
  ],
  [
    'a free-text owner taken just now',
    { owner: 'ghost', acquiredAt: '2026-11-23T09:15:30.800Z', expiresAt: '2026-11-23T09:15:31.200Z' },
    'held by admin (ghost) since 2026-11-23T09:15:30Z, just now; expires in 1s unless renewed',
  ],
  [
    'an expired lock',
    { expiresAt: '2026-11-23T09:15:01.000Z' },
    'held by admin (deployment 12) since 2026-11-23T09:14:49Z, 41s ago; expired 30s ago (its holder stopped renewing it), so the next deploy takes it over',
  ],
  [
    'a lock held for hours',
    { acquiredAt: '2026-11-23T06:00:00.000Z' },
    'held by admin (deployment 12) since 2026-11-23T06:00:00Z, 3h15m31s ago; expires in 1m28s unless renewed',
  ],
];
for (const [name, fields, expected] of descriptions) {
  test(`describeLock: ${name}`, () => assert.equal(describeLock(lock(fields), NOW), expected));
}
