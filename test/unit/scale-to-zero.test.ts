// Scale-to-zero decisions: which idle machines stop, which machine a request wakes, when the
// started machines are full, and which service's settings govern an app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../src/config/load.js';
import type { MachineState } from '../../src/core/machine-state.js';
import { wantsAnotherMachine } from '../../src/core/scale-to-zero/capacity.js';
import { machinesToStop, type WarmMachine } from '../../src/core/scale-to-zero/idle-stop.js';
import { policyCovers, scalePolicy } from '../../src/core/scale-to-zero/policy.js';
import { chooseWake, type WakeCandidate, type WakeChoice } from '../../src/core/scale-to-zero/wake-target.js';

const NOW = 1_000_000;
const IDLE = 5_000;

function warm(id: string, idleMs: number, inFlight = 0): WarmMachine {
  return { id, lastActiveAt: NOW - idleMs, inFlight };
}

const stopCases: Array<{
  name: string;
  machines: WarmMachine[];
  autoStop?: boolean;
  minRunning?: number;
  want: string[];
}> = [
  { name: 'auto stop off: nothing stops', machines: [warm('a', 60_000)], autoStop: false, want: [] },
  { name: 'idle for the whole window: stops', machines: [warm('a', IDLE)], want: ['a'] },
  { name: 'idle for less than the window: stays', machines: [warm('a', IDLE - 1)], want: [] },
  { name: 'a request in flight: stays, however old', machines: [warm('a', 60_000, 1)], want: [] },
  { name: 'min 1 with one machine: stays', machines: [warm('a', 60_000)], minRunning: 1, want: [] },
  {
    name: 'min 1 with three idle: the two idle longest stop',
    machines: [warm('a', 6_000), warm('b', 9_000), warm('c', 7_000)],
    minRunning: 1,
    want: ['b', 'c'],
  },
  {
    name: 'min 1: a busy machine counts toward the minimum',
    machines: [warm('a', 9_000), warm('b', 0, 3)],
    minRunning: 1,
    want: ['a'],
  },
  {
    name: 'min 3 with two busy and one idle: the idle one stays too',
    machines: [warm('a', 9_000), warm('b', 0, 1), warm('c', 0, 1)],
    minRunning: 3,
    want: [],
  },
  {
    name: 'min above the machine count: nothing stops',
    machines: [warm('a', 9_000), warm('b', 9_000)],
    minRunning: 5,
    want: [],
  },
  {
    name: 'equally idle: by id, so every tick agrees',
    machines: [warm('z', 9_000), warm('m', 9_000), warm('a', 9_000)],
    minRunning: 1,
    want: ['a', 'm'],
  },
  { name: 'no machines: nothing', machines: [], want: [] },
];

for (const c of stopCases) {
  test(`machinesToStop: ${c.name}`, () => {
    const stops = machinesToStop(
      c.machines,
      { autoStop: c.autoStop ?? true, minRunning: c.minRunning ?? 0, idleTimeoutMs: IDLE },
      NOW,
    );
    assert.deepEqual(
      stops.map((s) => s.id),
      c.want,
    );
    for (const s of stops) assert.equal(s.idleMs, NOW - c.machines.find((m) => m.id === s.id)!.lastActiveAt);
  });
}

function candidate(id: string, state: MachineState, extra: Partial<WakeCandidate> = {}): WakeCandidate {
  return { id, state, releaseVersion: 2, managed: true, servesHttp: true, ...extra };
}

const wakeCases: Array<{
  name: string;
  machines: WakeCandidate[];
  autoStart?: boolean;
  want: WakeChoice;
}> = [
  {
    name: 'one stopped machine: start it',
    machines: [candidate('a', 'stopped')],
    want: { kind: 'start', machineId: 'a' },
  },
  {
    name: 'the current release first, then by id',
    machines: [
      candidate('a', 'stopped', { releaseVersion: 1 }),
      candidate('c', 'stopped'),
      candidate('b', 'stopped'),
    ],
    want: { kind: 'start', machineId: 'b' },
  },
  {
    name: 'unmanaged machines are never woken',
    machines: [candidate('a', 'stopped', { managed: false })],
    want: { kind: 'nothing' },
  },
  {
    name: 'a worker group does not serve: not woken',
    machines: [candidate('w', 'stopped', { servesHttp: false })],
    want: { kind: 'nothing' },
  },
  {
    name: 'auto start off with stopped machines: disabled, counted',
    machines: [candidate('a', 'stopped'), candidate('b', 'stopped')],
    autoStart: false,
    want: { kind: 'disabled', stopped: 2 },
  },
  {
    name: 'auto start off and nothing stopped: nothing',
    machines: [candidate('a', 'destroyed')],
    autoStart: false,
    want: { kind: 'nothing' },
  },
  {
    name: 'an auto-stop racing the request: wait for it, then start it',
    machines: [candidate('a', 'stopping'), candidate('d', 'destroyed')],
    want: { kind: 'await-stop', machineId: 'a' },
  },
  {
    name: 'a machine booting (deploy, restart): wait for it',
    machines: [candidate('a', 'restarting'), candidate('b', 'stopping')],
    want: { kind: 'await-start' },
  },
  {
    name: 'a stopped machine beats waiting for a booting one',
    machines: [candidate('a', 'starting'), candidate('b', 'stopped')],
    want: { kind: 'start', machineId: 'b' },
  },
  { name: 'no machines at all', machines: [], want: { kind: 'nothing' } },
  {
    name: 'only failed or destroyed machines',
    machines: [candidate('a', 'failed'), candidate('b', 'destroyed')],
    want: { kind: 'nothing' },
  },
];

for (const c of wakeCases) {
  test(`chooseWake: ${c.name}`, () => {
    assert.deepEqual(chooseWake(c.machines, 2, c.autoStart ?? true), c.want);
  });
}

test('wantsAnotherMachine: only when every started machine is at the hard limit', () => {
  const cases: Array<[number[], number | undefined, boolean]> = [
    [[5, 5], 5, true],
    [[6], 5, true],
    [[5, 4], 5, false],
    [[5, 5], undefined, false],
    [[], 5, false],
  ];
  for (const [inFlight, limit, want] of cases) {
    assert.equal(wantsAnotherMachine(inFlight, limit), want, `${JSON.stringify(inFlight)} / ${limit}`);
  }
});

function config(toml: string) {
  const loaded = loadConfigText(toml, 'berth.toml');
  assert.ok(loaded.config, JSON.stringify(loaded.diagnostics));
  return loaded.config;
}

test('scalePolicy: [http_service] settings, "suspend" as stop, its processes', () => {
  const policy = scalePolicy(
    config(
      '[http_service]\ninternal_port = 3000\nauto_stop_machines = "suspend"\nmin_machines_running = 2\n' +
        'idle_timeout = "30s"\nauto_start_machines = false\nprocesses = ["web"]',
    ),
  );
  assert.deepEqual(policy, {
    autoStop: true,
    autoStart: false,
    minRunning: 2,
    idleTimeoutMs: 30_000,
    processes: ['web'],
  });
  assert.equal(policyCovers(policy!, 'web'), true);
  assert.equal(policyCovers(policy!, 'worker'), false);
});

test('scalePolicy: defaults are off with auto start, a [[services]] http handler counts, none without a service', () => {
  assert.deepEqual(scalePolicy(config('[http_service]\ninternal_port = 3000')), {
    autoStop: false,
    autoStart: true,
    minRunning: 0,
    idleTimeoutMs: 300_000,
    processes: [],
  });
  const services = scalePolicy(
    config(
      '[[services]]\ninternal_port = 7000\nprotocol = "tcp"\nauto_stop_machines = true\nmin_machines_running = 1\n' +
        '[[services.ports]]\nport = 80\nhandlers = ["http"]',
    ),
  );
  assert.equal(services?.autoStop, true);
  assert.equal(services?.minRunning, 1);
  assert.equal(scalePolicy(config('app = "worker-only"')), undefined);
});
