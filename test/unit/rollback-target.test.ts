import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError, type ErrorCode } from '../../src/core/errors.js';
import { chooseRollbackTarget, type RollbackCandidate } from '../../src/core/rollback-target.js';
import type { ReleaseStatus } from '../../src/core/release-status.js';

const r = (
  version: number,
  status: ReleaseStatus,
  failureReason: string | null = null,
): RollbackCandidate => ({
  version,
  status,
  failureReason,
});

// v1 superseded, v2 failed, v3 superseded, v4 failed, v5 complete (current), v6 deploying.
const history = [
  r(6, 'deploying'),
  r(5, 'complete'),
  r(4, 'failed', 'machine 3f9a (app) exited before it was ready\nlast log lines: boom'),
  r(3, 'superseded'),
  r(2, 'failed'),
  r(1, 'superseded'),
];

const chosen: Array<[string, RollbackCandidate[], number | null, number | undefined, number]> = [
  ['default: the newest served release before the current, skipping failed ones', history, 5, undefined, 3],
  ['default: works whatever order the list is in', [...history].reverse(), 5, undefined, 3],
  ['default: from v3 it is v1', history, 3, undefined, 1],
  [
    'default: a current release that is a rollback itself goes back one more',
    [r(3, 'complete'), r(2, 'superseded'), r(1, 'superseded')],
    3,
    undefined,
    2,
  ],
  ['explicit: a superseded release', history, 5, 1, 1],
  ['explicit: newer than the current one, when it completed', [r(2, 'complete'), r(1, 'complete')], 1, 2, 2],
];
for (const [name, releases, current, requested, expected] of chosen) {
  test(`rollback target: ${name}`, () => {
    assert.equal(chooseRollbackTarget('hello', releases, current, requested).version, expected);
  });
}

const refused: Array<[string, RollbackCandidate[], number | null, number | undefined, ErrorCode, RegExp]> = [
  ['explicit: a version that does not exist', history, 5, 9, 'release_not_found', /has no release v9/],
  [
    'explicit: a failed release, with its reason',
    history,
    5,
    4,
    'no_rollback_target',
    /v4: it failed \(machine 3f9a \(app\) exited before it was ready\) and never served/,
  ],
  [
    'explicit: a failed release without a reason',
    history,
    5,
    2,
    'no_rollback_target',
    /v2: it failed and never served/,
  ],
  ['explicit: a release still deploying', history, 5, 6, 'no_rollback_target', /still deploying/],
  ['explicit: the current release', history, 5, 5, 'no_rollback_target', /already the current release/],
  [
    'default: no current release',
    [r(1, 'failed')],
    null,
    undefined,
    'no_rollback_target',
    /no current release/,
  ],
  [
    'default: nothing served before the current',
    [r(2, 'complete'), r(1, 'failed')],
    2,
    undefined,
    'no_rollback_target',
    /no complete release before v2/,
  ],
  [
    'default: the first release',
    [r(1, 'complete')],
    1,
    undefined,
    'no_rollback_target',
    /no complete release before v1/,
  ],
];
for (const [name, releases, current, requested, code, message] of refused) {
  test(`rollback target refused: ${name}`, () => {
    assert.throws(
      () => chooseRollbackTarget('hello', releases, current, requested),
      (err: unknown) => {
        assert.ok(isBerthError(err), String(err));
        assert.equal(err.code, code);
        assert.match(err.message, message);
        assert.ok(err.hint.length > 10);
        return true;
      },
    );
  });
}
