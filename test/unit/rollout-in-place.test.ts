// The planners with machines that hold volumes: no surge, machines replaced in place (same
// id), a batch at a time, waiting for health before serving; also when reverting. Driven to
// completion by a simulator that applies each action the way the controller would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planNext, revertTarget } from '../../src/core/rollout/plan.js';
import type { RolloutAction, RolloutMachine, RolloutTarget } from '../../src/core/rollout/types.js';
import type { DeployStrategy } from '../../src/core/config/types.js';

interface Sim {
  machines: RolloutMachine[];
  steps: RolloutAction[];
  maxMachines: number;
  minServing: number;
}

function simulate(
  target: RolloutTarget,
  initial: RolloutMachine[],
  healthOf: (m: RolloutMachine) => 'healthy' | 'unhealthy' = () => 'healthy',
): Sim {
  const sim: Sim = { machines: structuredClone(initial), steps: [], maxMachines: 0, minServing: Infinity };
  let next = 0;
  for (let i = 0; i < 100; i++) {
    const action = planNext(sim.machines, target);
    sim.steps.push(action);
    if (action.kind === 'done' || action.kind === 'fail') return sim;
    switch (action.kind) {
      case 'start':
        for (const { group } of action.machines) {
          sim.machines.push({
            id: `new${next++}`,
            group,
            release: target.release,
            state: 'running',
            health: action.waitForHealth ? 'pending' : 'healthy',
            serving: false,
            hasVolume: (target.mountGroups ?? []).includes(group),
          });
        }
        break;
      case 'replace-in-place':
        for (const m of sim.machines) {
          if (!action.machineIds.includes(m.id)) continue;
          m.release = target.release;
          m.serving = false;
          m.health = action.waitForHealth ? 'pending' : 'healthy';
        }
        break;
      case 'await-health':
        for (const m of sim.machines) if (action.machineIds.includes(m.id)) m.health = healthOf(m);
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
    sim.maxMachines = Math.max(sim.maxMachines, sim.machines.length);
    sim.minServing = Math.min(sim.minServing, sim.machines.filter((m) => m.serving).length);
  }
  throw new Error(`no convergence: ${JSON.stringify(sim.steps.slice(-5))}`);
}

function fleet(n: number, group = 'app', hasVolume = true, release = 1): RolloutMachine[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${group}${i}`,
    group,
    release,
    state: 'running' as const,
    health: 'healthy' as const,
    serving: true,
    hasVolume,
  }));
}

const target = (
  strategy: DeployStrategy,
  counts: Record<string, number>,
  mountGroups: string[] = ['app'],
  maxUnavailable = 0.33,
): RolloutTarget => ({ release: 2, strategy, counts, maxUnavailable, mountGroups });

const kinds = (sim: Sim) => sim.steps.map((s) => s.kind);

const cases: Array<{
  name: string;
  strategy: DeployStrategy;
  initial: RolloutMachine[];
  counts: Record<string, number>;
  mountGroups?: string[];
  maxUnavailable?: number;
  steps: string[];
  /** Machines replaced per replace-in-place step. */
  batches?: number[];
  maxMachines: number;
}> = [
  {
    name: 'rolling, one machine: stop then start, health, serve',
    strategy: 'rolling',
    initial: fleet(1),
    counts: { app: 1 },
    steps: ['replace-in-place', 'await-health', 'serve', 'done'],
    batches: [1],
    maxMachines: 1,
  },
  {
    name: 'rolling, three machines: one at a time',
    strategy: 'rolling',
    initial: fleet(3),
    counts: { app: 3 },
    steps: [...Array(3).fill(['replace-in-place', 'await-health', 'serve']).flat(), 'done'],
    batches: [1, 1, 1],
    maxMachines: 3,
  },
  {
    name: 'rolling, four machines, max_unavailable 2: two at a time',
    strategy: 'rolling',
    initial: fleet(4),
    counts: { app: 4 },
    maxUnavailable: 2,
    steps: [...Array(2).fill(['replace-in-place', 'await-health', 'serve']).flat(), 'done'],
    batches: [2, 2],
    maxMachines: 4,
  },
  {
    name: 'a release that adds [mounts] moves machines without volumes in place too',
    strategy: 'rolling',
    initial: fleet(1, 'app', false),
    counts: { app: 1 },
    steps: ['replace-in-place', 'await-health', 'serve', 'done'],
    maxMachines: 1,
  },
  {
    name: 'a release that drops [mounts]: machines holding volumes still do not surge',
    strategy: 'rolling',
    initial: fleet(1),
    counts: { app: 1 },
    mountGroups: [],
    steps: ['replace-in-place', 'await-health', 'serve', 'done'],
    maxMachines: 1,
  },
  {
    name: 'first deploy with a mount: new machines (they create their volumes)',
    strategy: 'rolling',
    initial: [],
    counts: { app: 2 },
    steps: ['start', 'await-health', 'serve', 'start', 'await-health', 'serve', 'done'],
    maxMachines: 2,
  },
  {
    name: 'scaled up in the same deploy: replace the old ones, then start the missing one',
    strategy: 'rolling',
    initial: fleet(1),
    counts: { app: 2 },
    steps: ['replace-in-place', 'await-health', 'serve', 'start', 'await-health', 'serve', 'done'],
    maxMachines: 2,
  },
  {
    name: 'a group without volumes beside one with: that group still surges',
    strategy: 'rolling',
    initial: [...fleet(1), ...fleet(1, 'worker', false)],
    counts: { app: 1, worker: 1 },
    steps: ['replace-in-place', 'await-health', 'serve', 'start', 'await-health', 'serve', 'retire', 'done'],
    maxMachines: 3,
  },
  {
    name: 'immediate: every machine with a volume at once, no health wait',
    strategy: 'immediate',
    initial: fleet(3),
    counts: { app: 3 },
    steps: ['replace-in-place', 'serve', 'done'],
    batches: [3],
    maxMachines: 3,
  },
  {
    name: 'immediate, scaled down: the surplus old machine is retired',
    strategy: 'immediate',
    initial: fleet(3),
    counts: { app: 2 },
    steps: ['replace-in-place', 'serve', 'retire', 'done'],
    batches: [2],
    maxMachines: 3,
  },
];

for (const c of cases) {
  test(`in place: ${c.name}`, () => {
    const initialIds = c.initial.map((m) => m.id).sort();
    const sim = simulate(target(c.strategy, c.counts, c.mountGroups, c.maxUnavailable), c.initial);
    assert.deepEqual(kinds(sim), c.steps);
    assert.equal(sim.maxMachines, c.maxMachines, 'never more machines than that');
    assert.ok(sim.machines.every((m) => m.release === 2 && m.serving));
    const batches = sim.steps.flatMap((s) => (s.kind === 'replace-in-place' ? [s.machineIds.length] : []));
    if (c.batches) assert.deepEqual(batches, c.batches);
    // Replaced machines keep their ids (and so their volumes).
    const kept = sim.machines.map((m) => m.id).filter((id) => initialIds.includes(id));
    const grew = Object.values(c.counts).reduce((a, b) => a + b, 0) >= c.initial.length;
    if (grew)
      assert.deepEqual(
        kept.filter((id) => id.startsWith('app')).sort(),
        initialIds.filter((id) => id.startsWith('app')),
      );
  });
}

test('in place: machines that take no traffic are replaced first', () => {
  const initial = fleet(3);
  initial[2]!.serving = false;
  const action = planNext(initial, target('rolling', { app: 3 }));
  assert.deepEqual(action, { kind: 'replace-in-place', machineIds: ['app2'], waitForHealth: true });
});

test('in place: a stopped machine with a volume is moved and stays stopped', () => {
  const initial = [...fleet(1), { ...fleet(1)[0]!, id: 'asleep', state: 'stopped' as const, serving: false }];
  const sim = simulate(target('rolling', { app: 2 }), initial);
  assert.deepEqual(kinds(sim), ['update-stopped', 'replace-in-place', 'await-health', 'serve', 'done']);
  assert.equal(sim.machines.find((m) => m.id === 'asleep')!.state, 'stopped');
});

test('in place: an unhealthy replacement fails the rollout; the revert moves it back in place', () => {
  const forward = target('rolling', { app: 3 });
  const sim = simulate(forward, fleet(3), (m) => (m.id === 'app0' ? 'unhealthy' : 'healthy'));
  assert.equal(sim.steps.at(-1)?.kind, 'fail');
  assert.deepEqual((sim.steps.at(-1) as Extract<RolloutAction, { kind: 'fail' }>).machineIds, ['app0']);
  assert.ok(sim.minServing >= 2, 'the other machines kept serving');

  const back = simulate(
    { ...revertTarget(forward, 1, { app: 3 }), release: 1, mountGroups: ['app'] },
    sim.machines,
  );
  assert.deepEqual(kinds(back), ['replace-in-place', 'await-health', 'serve', 'done']);
  assert.deepEqual(
    back.machines.map((m) => [m.id, m.release, m.serving]),
    [
      ['app0', 1, true],
      ['app1', 1, true],
      ['app2', 1, true],
    ],
  );
  assert.equal(back.maxMachines, 3);
});

test('in place: the revert target needs no mountGroups when the machines say they hold volumes', () => {
  const machines = fleet(1, 'app', true, 2);
  const action = planNext(machines, {
    release: 1,
    strategy: 'rolling',
    counts: { app: 1 },
    maxUnavailable: 0.33,
  });
  assert.equal(action.kind, 'replace-in-place');
});
