import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canMoveMachine, isSupervised, type MachineState } from '../../src/core/machine-state.js';
import { canMoveRelease, isFinalRelease, type ReleaseStatus } from '../../src/core/release-status.js';

const releaseMoves: Array<[ReleaseStatus, ReleaseStatus, boolean]> = [
  ['pending', 'building', true],
  ['building', 'deploying', true],
  ['building', 'failed', true],
  ['deploying', 'complete', true],
  ['complete', 'superseded', true],
  ['failed', 'complete', false],
  ['complete', 'deploying', false],
  ['pending', 'complete', false],
];
for (const [from, to, ok] of releaseMoves) {
  test(`release ${from} -> ${to} is ${ok ? 'allowed' : 'refused'}`, () =>
    assert.equal(canMoveRelease(from, to), ok));
}

test('final release states', () => {
  assert.deepEqual(
    (['pending', 'building', 'deploying', 'complete', 'failed', 'superseded'] as ReleaseStatus[]).filter(
      isFinalRelease,
    ),
    ['complete', 'failed', 'superseded'],
  );
});

const machineMoves: Array<[MachineState, MachineState, boolean]> = [
  ['created', 'starting', true],
  ['starting', 'started', true],
  ['started', 'restarting', true],
  ['restarting', 'started', true],
  ['started', 'stopping', true],
  ['stopping', 'destroyed', true],
  ['destroyed', 'starting', false],
  ['created', 'started', false],
];
for (const [from, to, ok] of machineMoves) {
  test(`machine ${from} -> ${to} is ${ok ? 'allowed' : 'refused'}`, () =>
    assert.equal(canMoveMachine(from, to), ok));
}

test('supervised machine states', () => {
  assert.ok(isSupervised('started') && isSupervised('restarting') && isSupervised('starting'));
  assert.ok(!isSupervised('stopping') && !isSupervised('destroyed') && !isSupervised('stopped'));
});
