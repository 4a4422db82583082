import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError, type ErrorCode } from '../../src/core/errors.js';
import { chooseRollbackTarget, sameContent, type RollbackCandidate } from '../../src/core/rollback-target.js';
import type { ReleaseStatus } from '../../src/core/release-status.js';

/** A release; by default each runs code of its own (`content` names what it runs). */
const r = (
  version: number,
  status: ReleaseStatus,
  failureReason: string | null = null,
  content = `code of v${version}`,
): RollbackCandidate => ({
  version,
  status,
  failureReason,
  artifactDigest: `sha256:${content}`,
  driver: 'process',
  config: { app: 'hello', env: {} },
});
/** A served release running `content`. */
const same = (version: number, status: ReleaseStatus, content: string) => r(version, status, null, content);

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
    assert.equal(chooseRollbackTarget('hello', releases, current, requested).target.version, expected);
  });
}

// Releases that run what the current one runs (an unchanged redeploy, a secrets change) are
// passed over by a bare rollback, and said to be.
const skipping: Array<[string, RollbackCandidate[], number | undefined, number, number[], boolean]> = [
  [
    'an unchanged redeploy is skipped',
    [same(3, 'complete', 'b'), same(2, 'superseded', 'b'), same(1, 'superseded', 'a')],
    undefined,
    1,
    [2],
    false,
  ],
  [
    'several, and a failed one between them, are skipped',
    [
      same(5, 'complete', 'c'),
      same(4, 'superseded', 'c'),
      r(3, 'failed'),
      same(2, 'superseded', 'c'),
      same(1, 'superseded', 'a'),
    ],
    undefined,
    1,
    [4, 2],
    false,
  ],
  [
    'an older release with the same code is no target either',
    [same(3, 'complete', 'a'), same(2, 'superseded', 'b'), same(1, 'superseded', 'a')],
    undefined,
    2,
    [],
    false,
  ],
  [
    'a named release with the same code is taken, and said to change nothing',
    [same(2, 'complete', 'a'), same(1, 'superseded', 'a')],
    1,
    1,
    [],
    true,
  ],
];
for (const [name, releases, requested, expected, skipped, unchanged] of skipping) {
  test(`rollback target: ${name}`, () => {
    const current = Math.max(...releases.filter((x) => x.status === 'complete').map((x) => x.version));
    const choice = chooseRollbackTarget('hello', releases, current, requested);
    assert.deepEqual(
      [choice.target.version, choice.skipped, choice.unchanged],
      [expected, skipped, unchanged],
    );
  });
}

test('same content: artifact, driver and config all count', () => {
  const base = same(1, 'complete', 'a');
  assert.equal(sameContent(base, same(2, 'complete', 'a')), true);
  assert.equal(sameContent(base, same(2, 'complete', 'b')), false);
  assert.equal(sameContent(base, { ...same(2, 'complete', 'a'), driver: 'docker' }), false);
  assert.equal(
    sameContent(base, { ...same(2, 'complete', 'a'), config: { app: 'hello', env: { A: '1' } } }),
    false,
  );
});

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
    'default: every earlier release runs the same code',
    [same(3, 'complete', 'a'), same(2, 'superseded', 'a'), r(1, 'failed')],
    3,
    undefined,
    'no_rollback_target',
    /every release before v3 that served runs the same code and config as v3: a rollback would change nothing/,
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
