// The swarm driver's pure parts: what a service's tasks say, the ports it publishes, the
// service it asks for, and its handle as stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHandle } from '../../src/drivers/parse-handle.js';
import { choosePorts, PUBLISHED_PORT_RANGE } from '../../src/drivers/swarm/published-ports.js';
import { pinnedNode, placement, serviceSpec } from '../../src/drivers/swarm/service-spec.js';
import {
  nodeAddress,
  observeOnce,
  observeTasks,
  rejection,
  type TaskJson,
} from '../../src/drivers/swarm/tasks.js';

const task = (
  id: string,
  at: string,
  desired: string,
  state: string,
  extra: Partial<TaskJson['Status']> = {},
): TaskJson => ({
  ID: id,
  NodeID: `node-${id}`,
  CreatedAt: at,
  DesiredState: desired,
  Status: { State: state, ...extra },
});

test('observeTasks: the running task, a task on its way, or a stopped service', () => {
  const cases: { name: string; tasks: TaskJson[]; replicas: number; want: string }[] = [
    { name: 'one running', tasks: [task('a', '1', 'running', 'running')], replicas: 1, want: 'running a' },
    {
      name: 'moved: the old one shut down, the new one runs',
      tasks: [task('a', '1', 'shutdown', 'running'), task('b', '2', 'running', 'running')],
      replicas: 1,
      want: 'running b',
    },
    {
      name: 'restarting after an exit',
      tasks: [
        task('a', '1', 'shutdown', 'failed', { Err: 'task: non-zero exit (1)' }),
        task('b', '2', 'running', 'preparing'),
      ],
      replicas: 1,
      want: 'starting failed: task: non-zero exit (1)',
    },
    {
      name: 'stopped by berth',
      tasks: [task('a', '1', 'shutdown', 'shutdown', { ContainerStatus: { ExitCode: 0 } })],
      replicas: 0,
      want: 'stopped 0',
    },
    { name: 'no task yet', tasks: [], replicas: 1, want: 'starting undefined' },
  ];
  for (const c of cases) {
    const seen = observeTasks(c.tasks, c.replicas);
    const got =
      seen.kind === 'running'
        ? `running ${seen.task.ID}`
        : seen.kind === 'starting'
          ? `starting ${seen.why}`
          : `stopped ${seen.exitCode}`;
    assert.equal(got, c.want, c.name);
  }
});

test('observeOnce: a one-off task running, on its way, or ended with its exit code', () => {
  const cases: { name: string; tasks: TaskJson[]; lost?: string[]; want: string }[] = [
    { name: 'no task yet', tasks: [], want: 'starting' },
    { name: 'pulling its image', tasks: [task('a', '1', 'running', 'preparing')], want: 'starting' },
    { name: 'running', tasks: [task('a', '1', 'running', 'running')], want: 'running a' },
    {
      name: 'done',
      tasks: [task('a', '1', 'shutdown', 'complete', { ContainerStatus: { ExitCode: 0 } })],
      want: 'exited 0',
    },
    {
      name: 'exited 3',
      tasks: [task('a', '1', 'shutdown', 'failed', { ContainerStatus: { ExitCode: 3 } })],
      want: 'exited 3',
    },
    {
      name: 'rejected before it ran: no exit code',
      tasks: [task('a', '1', 'shutdown', 'rejected', { Err: 'No such image' })],
      want: 'exited null',
    },
    {
      name: 'orphaned on a lost node',
      tasks: [task('a', '1', 'running', 'orphaned')],
      want: 'exited null',
    },
    {
      name: 'running on a node now down: its last state stays running for ever',
      tasks: [task('a', '1', 'shutdown', 'running')],
      lost: ['node-a'],
      want: 'exited null lost: its node n1 (10.0.0.2) was lost',
    },
    {
      name: 'done before its node was lost: its exit code stands',
      tasks: [task('a', '1', 'shutdown', 'complete', { ContainerStatus: { ExitCode: 0 } })],
      lost: ['node-a'],
      want: 'exited 0',
    },
    {
      name: 'another node is down',
      tasks: [task('a', '1', 'running', 'running')],
      lost: ['node-b'],
      want: 'running a',
    },
  ];
  for (const c of cases) {
    const lost = new Map((c.lost ?? []).map((id) => [id, 'n1 (10.0.0.2)']));
    const seen = observeOnce(c.tasks, lost);
    const got =
      seen.kind === 'running'
        ? `running ${seen.task.ID}`
        : seen.kind === 'exited'
          ? `exited ${seen.exitCode}${seen.lost ? ` lost: ${seen.why}` : ''}`
          : seen.kind;
    assert.equal(got, c.want, c.name);
  }
});

test('rejection: a task that failed before its command ran, not one whose command exited', () => {
  assert.equal(
    rejection([task('a', '1', 'shutdown', 'rejected', { Err: 'No such image: x' })]),
    'rejected: No such image: x',
  );
  assert.equal(
    rejection([task('a', '1', 'shutdown', 'failed', { ContainerStatus: { ExitCode: 1 } })]),
    undefined,
  );
});

test("nodeAddress: a node's Addr, or its manager address when a manager reports 0.0.0.0", () => {
  assert.equal(nodeAddress({ ID: 'n', Status: { Addr: '10.0.0.6' } }), '10.0.0.6');
  assert.equal(
    nodeAddress({ ID: 'n', Status: { Addr: '0.0.0.0' }, ManagerStatus: { Addr: '10.0.0.5:2377' } }),
    '10.0.0.5',
  );
  assert.equal(nodeAddress({ ID: 'n' }), undefined);
});

test('choosePorts: ports of the range not in use, wrapping at its end', () => {
  const { first, last } = PUBLISHED_PORT_RANGE;
  assert.deepEqual(choosePorts(new Set([last]), 2, last), [first, first + 1]);
  assert.deepEqual(choosePorts(new Set([first + 1]), 2, first), [first, first + 2]);
  const all = new Set(Array.from({ length: last - first + 1 }, (_, i) => first + i));
  assert.deepEqual(choosePorts(all, 1, first), []);
});

test('serviceSpec: one replica, spread over nodes, restarted by Swarm, ports published in host mode', () => {
  const spec = serviceSpec(
    {
      machineId: 'm1',
      app: 'web',
      releaseVersion: 3,
      processGroup: 'app',
      command: 'node server.js',
      env: { A: '1' },
      ports: [8080],
      prepared: { driver: 'swarm', image: 'r:5000/berth/web:v3@sha256:x', imageId: 'sha256:y' },
      killSignal: 'SIGTERM',
      killTimeoutMs: 3000,
      limits: { memoryMb: 256, cpus: 8 },
    },
    {
      home: 'h',
      name: 'berth-web-m1-h',
      image: 'r:5000/berth/web:v3@sha256:x',
      published: { '8080': 21000 },
      hostCpus: 2,
    },
  );
  assert.deepEqual(spec.Mode, { Replicated: { Replicas: 1 } });
  assert.deepEqual(spec.EndpointSpec?.Ports, [
    { Protocol: 'tcp', TargetPort: 8080, PublishedPort: 21000, PublishMode: 'host' },
  ]);
  const template = spec.TaskTemplate as {
    ContainerSpec: { Args: string[]; Env: string[]; Labels: Record<string, string>; StopGracePeriod: number };
    RestartPolicy: { Condition: string };
    Placement: unknown;
    Resources: { Limits: unknown };
  };
  assert.deepEqual(template.ContainerSpec.Args, ['node', 'server.js']);
  assert.deepEqual(template.ContainerSpec.Env.sort(), ['A=1', 'PORT=8080']);
  assert.equal(template.ContainerSpec.Labels['berth.machine'], 'm1');
  assert.equal(template.ContainerSpec.StopGracePeriod, 3_000_000_000);
  assert.equal(template.RestartPolicy.Condition, 'any');
  assert.deepEqual(template.Placement, { Preferences: [{ Spread: { SpreadDescriptor: 'node.id' } }] });
  assert.deepEqual(template.Resources.Limits, { MemoryBytes: 256 * 1024 * 1024, NanoCPUs: 2e9 });
  assert.equal(spec.Labels?.['berth.home'], 'h');
});

test('serviceSpec: a one-off runs once (restart condition none) and publishes no port', () => {
  const spec = serviceSpec(
    {
      machineId: 'm2',
      app: 'web',
      releaseVersion: 3,
      processGroup: 'release_command',
      command: 'node migrate.js',
      env: {},
      ports: [8080],
      prepared: { driver: 'swarm', image: 'r:5000/berth/web:v3@sha256:x', imageId: 'sha256:y' },
      killSignal: 'SIGTERM',
      killTimeoutMs: 3000,
      once: true,
    },
    { home: 'h', name: 'berth-web-m2-h', image: 'r:5000/berth/web:v3@sha256:x', published: {} },
  );
  assert.deepEqual(spec.EndpointSpec?.Ports, []);
  assert.deepEqual((spec.TaskTemplate as { RestartPolicy: unknown }).RestartPolicy, { Condition: 'none' });
});

test('placement: spread, pinned to the node of a volume, and the app constraints after', () => {
  const cases: Array<{ mounts: { node?: string }[]; constraints: string[]; want: string[] | undefined }> = [
    { mounts: [], constraints: [], want: undefined },
    { mounts: [{}], constraints: [], want: undefined },
    { mounts: [{ node: 'n1' }, { node: 'n1' }], constraints: [], want: ['node.id==n1'] },
    {
      mounts: [{ node: 'n2' }],
      constraints: ['node.labels.region==eu'],
      want: ['node.id==n2', 'node.labels.region==eu'],
    },
    { mounts: [], constraints: ['node.role!=manager'], want: ['node.role!=manager'] },
  ];
  for (const c of cases) {
    const got = placement(c.mounts, c.constraints);
    assert.deepEqual(got.Constraints, c.want, JSON.stringify(c));
    assert.deepEqual(got.Preferences, [{ Spread: { SpreadDescriptor: 'node.id' } }]);
  }
  assert.equal(pinnedNode(['node.labels.a==b', 'node.id==n7']), 'n7');
  assert.equal(pinnedNode(['node.id!=n7']), undefined);
  assert.equal(pinnedNode(undefined), undefined);
});

test('parseHandle: a swarm handle round-trips; a damaged one is no handle', () => {
  const handle = {
    driver: 'swarm',
    serviceId: 'abcdefghij0123456789abcde',
    serviceName: 'berth-web-m1-h',
    taskId: 't1',
    nodeId: 'n1',
    addresses: { '8080': '10.0.0.6:21000' },
    published: { '8080': 21000 },
  };
  assert.deepEqual(parseHandle(JSON.stringify(handle)), handle);
  assert.equal(parseHandle(JSON.stringify({ ...handle, published: { '8080': '21000' } })), null);
  assert.equal(parseHandle(JSON.stringify({ ...handle, serviceId: 'x' })), null);
});
