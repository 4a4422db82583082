import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planReplace, type ObservedMachine, type ReplacePlan } from '../../src/core/planner/replace.js';

const m = (
  id: string,
  processGroup: string,
  releaseVersion: number,
  extra: Partial<ObservedMachine> = {},
): ObservedMachine => ({
  id,
  processGroup,
  releaseVersion,
  managed: true,
  state: 'started',
  ...extra,
});

const cases: Array<{
  name: string;
  commands: Record<string, string>;
  observed: ObservedMachine[];
  expect: ReplacePlan;
}> = [
  {
    name: 'first deploy starts one machine per group',
    commands: { web: 'node web.js', worker: 'node worker.js' },
    observed: [],
    expect: {
      start: [
        { processGroup: 'web', command: 'node web.js' },
        { processGroup: 'worker', command: 'node worker.js' },
      ],
      retire: [],
      keep: [],
    },
  },
  {
    name: 'keeps the group size and retires the old set',
    commands: { app: 'npm start' },
    observed: [m('a', 'app', 1), m('b', 'app', 1), m('c', 'app', 1)],
    expect: {
      start: [
        { processGroup: 'app', command: 'npm start' },
        { processGroup: 'app', command: 'npm start' },
        { processGroup: 'app', command: 'npm start' },
      ],
      retire: ['a', 'b', 'c'],
      keep: [],
    },
  },
  {
    name: 'never touches unmanaged machines',
    commands: { app: 'npm start' },
    observed: [m('a', 'app', 1), m('u', 'app', 1, { managed: false })],
    expect: { start: [{ processGroup: 'app', command: 'npm start' }], retire: ['a'], keep: [] },
  },
  {
    name: 'retires groups the new release no longer has',
    commands: { web: 'node web.js' },
    observed: [m('w', 'web', 1), m('old', 'worker', 1)],
    expect: { start: [{ processGroup: 'web', command: 'node web.js' }], retire: ['w', 'old'], keep: [] },
  },
  {
    name: 'a resumed deployment keeps machines already on the target release',
    commands: { app: 'npm start' },
    observed: [m('a', 'app', 1), m('b', 'app', 1), m('n', 'app', 2)],
    expect: { start: [{ processGroup: 'app', command: 'npm start' }], retire: ['a', 'b'], keep: ['n'] },
  },
  {
    name: 'destroyed machines do not count',
    commands: { app: 'npm start' },
    observed: [m('gone', 'app', 1, { state: 'destroyed' })],
    expect: { start: [{ processGroup: 'app', command: 'npm start' }], retire: [], keep: [] },
  },
];

for (const c of cases) {
  test(`planReplace: ${c.name}`, () => {
    assert.deepEqual(planReplace({ releaseVersion: 2, commands: c.commands }, c.observed), c.expect);
  });
}
