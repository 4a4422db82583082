// The rollout planners, driven to completion by a tiny simulator that applies each action
// the way the controller would. Invariants are checked after every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planNext, revertTarget } from '../../src/core/rollout/plan.js';
import {
  batchSize,
  type RolloutAction,
  type RolloutMachine,
  type RolloutTarget,
} from '../../src/core/rollout/types.js';
import type { DeployStrategy } from '../../src/core/config/types.js';

interface Sim {
  machines: RolloutMachine[];
  next: number;
  steps: RolloutAction[];
  minServing: number;
  maxRunning: number;
}

/** Applies actions; `healthOf` decides how new machines come out of a health wait. */
function simulate(
  target: RolloutTarget,
  initial: RolloutMachine[],
  healthOf: (m: RolloutMachine, index: number) => 'healthy' | 'unhealthy' | 'exited' = () => 'healthy',
): Sim {
  const sim: Sim = {
    machines: structuredClone(initial),
    next: 0,
    steps: [],
    minServing: Infinity,
    maxRunning: 0,
  };
  let started = 0;
  for (let i = 0; i < 100; i++) {
    const action = planNext(sim.machines, target);
    sim.steps.push(action);
    if (action.kind === 'done' || action.kind === 'fail') return sim;
    switch (action.kind) {
      case 'start':
        for (const { group } of action.machines) {
          sim.machines.push({
            id: `${target.release === 2 ? 'n' : 'r'}${sim.next++}`,
            group,
            release: target.release,
            state: 'running',
            health: action.waitForHealth ? 'pending' : 'healthy',
            serving: false,
          });
        }
        break;
      case 'await-health':
        for (const m of sim.machines) if (action.machineIds.includes(m.id)) m.health = healthOf(m, started++);
        break;
      case 'serve':
        for (const m of sim.machines) {
          if (action.add.includes(m.id)) m.serving = true;
          if (action.remove.includes(m.id)) m.serving = false;
        }
        break;
      case 'retire':
        sim.machines = sim.machines.filter((m) => !action.machineIds.includes(m.id));
        break;
      case 'update-stopped':
        for (const m of sim.machines) if (action.machineIds.includes(m.id)) m.release = target.release;
        break;
    }
    const serving = sim.machines.filter((m) => m.serving).length;
    sim.minServing = Math.min(sim.minServing, serving);
    sim.maxRunning = Math.max(sim.maxRunning, sim.machines.filter((m) => m.state === 'running').length);
  }
  throw new Error(`no convergence: ${JSON.stringify(sim.steps.slice(-5))}`);
}

function fleet(n: number, release = 1, group = 'app'): RolloutMachine[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `o${group}${i}`,
    group,
    release,
    state: 'running' as const,
    health: 'healthy' as const,
    serving: true,
  }));
}

const target = (
  strategy: DeployStrategy,
  counts: Record<string, number>,
  maxUnavailable = 0.33,
): RolloutTarget => ({
  release: 2,
  strategy,
  counts,
  maxUnavailable,
});

test('batchSize: fractions of the group, counts, at least one', () => {
  const cases: Array<[number, number, number]> = [
    [0.33, 1, 1],
    [0.33, 3, 1],
    [0.33, 10, 3],
    [0.5, 4, 2],
    [1, 5, 1],
    [2, 5, 2],
    [0.01, 100, 1],
  ];
  for (const [max, size, expected] of cases)
    assert.equal(batchSize(max, size), expected, `${max} of ${size}`);
});

const successCases: Array<{
  strategy: DeployStrategy;
  size: number;
  keepsCapacity: boolean;
  maxRunning: number;
}> = [
  { strategy: 'rolling', size: 1, keepsCapacity: true, maxRunning: 2 },
  { strategy: 'rolling', size: 3, keepsCapacity: true, maxRunning: 4 },
  { strategy: 'canary', size: 1, keepsCapacity: true, maxRunning: 2 },
  { strategy: 'canary', size: 4, keepsCapacity: true, maxRunning: 5 },
  { strategy: 'bluegreen', size: 3, keepsCapacity: true, maxRunning: 6 },
  { strategy: 'immediate', size: 3, keepsCapacity: false, maxRunning: 6 },
];

for (const c of successCases) {
  test(`${c.strategy} with ${c.size} machine(s) converges on the new release`, () => {
    const sim = simulate(target(c.strategy, { app: c.size }), fleet(c.size));
    assert.equal(sim.steps.at(-1)?.kind, 'done');
    assert.equal(sim.machines.length, c.size);
    assert.ok(sim.machines.every((m) => m.release === 2 && m.serving));
    if (c.keepsCapacity) assert.ok(sim.minServing >= c.size, `serving dropped to ${sim.minServing}`);
    assert.equal(sim.maxRunning, c.maxRunning);
  });
}

test('rolling waits for health before routing, and routes before retiring', () => {
  const sim = simulate(target('rolling', { app: 1 }), fleet(1));
  assert.deepEqual(
    sim.steps.map((s) => s.kind),
    ['start', 'await-health', 'serve', 'retire', 'done'],
  );
  const retire = sim.steps[3] as Extract<RolloutAction, { kind: 'retire' }>;
  assert.deepEqual(retire, { kind: 'retire', machineIds: ['oapp0'], drain: true });
});

test('canary starts exactly one machine first, then rolls the rest in batches', () => {
  const sim = simulate(target('canary', { app: 4 }, 0.5), fleet(4));
  const starts = sim.steps
    .filter((s) => s.kind === 'start')
    .map((s) => (s.kind === 'start' ? s.machines.length : 0));
  assert.deepEqual(starts, [1, 2, 1]);
});

test('bluegreen switches the whole set in one step', () => {
  const sim = simulate(target('bluegreen', { app: 2 }), fleet(2));
  const serves = sim.steps.filter((s) => s.kind === 'serve');
  assert.equal(serves.length, 1);
  assert.deepEqual(serves[0], { kind: 'serve', add: ['n0', 'n1'], remove: ['oapp0', 'oapp1'] });
});

test('immediate starts everything without a health wait and retires without draining', () => {
  const sim = simulate(target('immediate', { app: 2 }), fleet(2));
  assert.deepEqual(
    sim.steps.map((s) => s.kind),
    ['start', 'serve', 'retire', 'done'],
  );
  assert.deepEqual(sim.steps[0], {
    kind: 'start',
    machines: [{ group: 'app' }, { group: 'app' }],
    waitForHealth: false,
  });
  assert.equal((sim.steps[2] as Extract<RolloutAction, { kind: 'retire' }>).drain, false);
});

test('groups are rolled together; a group the release dropped is retired', () => {
  const sim = simulate(target('rolling', { web: 2 }), [...fleet(2, 1, 'web'), ...fleet(1, 1, 'worker')]);
  assert.equal(sim.steps.at(-1)?.kind, 'done');
  assert.deepEqual(sim.machines.map((m) => m.group).sort(), ['web', 'web']);
});

test('stopped machines are updated in place and stay stopped', () => {
  const initial = [
    ...fleet(2),
    { ...fleet(1)[0]!, id: 'sleeping', state: 'stopped' as const, serving: false },
  ];
  const sim = simulate(target('rolling', { app: 3 }), initial);
  assert.equal(sim.steps[0]?.kind, 'update-stopped');
  const sleeping = sim.machines.find((m) => m.id === 'sleeping')!;
  assert.equal(sleeping.release, 2);
  assert.equal(sleeping.state, 'stopped');
  assert.equal(sim.machines.filter((m) => m.state === 'running').length, 2);
});

for (const strategy of ['rolling', 'canary', 'bluegreen', 'immediate'] as const) {
  test(`${strategy}: an app whose machines are all stopped is moved to the release; nothing starts`, () => {
    const initial = [
      ...fleet(2, 1, 'web').map((m) => ({ ...m, state: 'stopped' as const, serving: false })),
      ...fleet(1, 1, 'worker').map((m) => ({ ...m, state: 'stopped' as const, serving: false })),
    ];
    const sim = simulate(target(strategy, { web: 2, worker: 1 }), initial);
    assert.deepEqual(
      sim.steps.map((s) => s.kind),
      ['update-stopped', 'done'],
    );
    assert.deepEqual(
      sim.machines.map((m) => [m.id, m.release, m.state]),
      initial.map((m) => [m.id, 2, 'stopped']),
    );
  });
}

test('rolling: warm machines are replaced, stopped ones moved; the group keeps its size', () => {
  const initial = [
    ...fleet(1, 1, 'web'),
    { ...fleet(1, 1, 'web')[0]!, id: 'cold', state: 'stopped' as const, serving: false },
  ];
  const sim = simulate(target('rolling', { web: 2 }), initial);
  assert.equal(sim.steps.at(-1)?.kind, 'done');
  assert.deepEqual(sim.machines.map((m) => [m.id === 'cold' ? 'cold' : 'other', m.release, m.state]).sort(), [
    ['cold', 2, 'stopped'],
    ['other', 2, 'running'],
  ]);
  assert.ok(sim.minServing >= 1, 'the warm machine was replaced without downtime');
});

const failureCases: Array<{
  strategy: DeployStrategy;
  size: number;
  failAt: number;
  how: 'unhealthy' | 'exited';
}> = [
  { strategy: 'rolling', size: 1, failAt: 0, how: 'unhealthy' },
  { strategy: 'rolling', size: 3, failAt: 1, how: 'exited' },
  { strategy: 'canary', size: 3, failAt: 0, how: 'unhealthy' },
  { strategy: 'bluegreen', size: 3, failAt: 2, how: 'exited' },
];

for (const c of failureCases) {
  test(`${c.strategy}: a ${c.how} machine fails the rollout, and the revert restores the old release`, () => {
    const forward = target(c.strategy, { app: c.size });
    const sim = simulate(forward, fleet(c.size), (_m, i) => (i === c.failAt ? c.how : 'healthy'));
    const fail = sim.steps.at(-1)!;
    assert.equal(fail.kind, 'fail');
    assert.match(
      (fail as Extract<RolloutAction, { kind: 'fail' }>).reason,
      c.how === 'exited' ? /exited/ : /health checks/,
    );
    if (c.strategy === 'bluegreen')
      assert.ok(sim.machines.filter((m) => m.release === 1).every((m) => m.serving));

    const back = simulate({ ...revertTarget(forward, 1, { app: c.size }), release: 1 }, sim.machines);
    assert.equal(back.steps.at(-1)?.kind, 'done');
    assert.equal(back.machines.length, c.size);
    assert.ok(back.machines.every((m) => m.release === 1 && m.serving));
    assert.ok(Math.min(sim.minServing, back.minServing) >= c.size - 0, 'capacity kept throughout');
  });
}

test('reverting a first deploy retires every new machine', () => {
  const forward = target('rolling', { app: 2 });
  const sim = simulate(forward, [], () => 'unhealthy');
  assert.equal(sim.steps.at(-1)?.kind, 'fail');
  const back = simulate(revertTarget(forward, null, {}), sim.machines);
  assert.equal(back.steps.at(-1)?.kind, 'done');
  assert.deepEqual(back.machines, []);
});
