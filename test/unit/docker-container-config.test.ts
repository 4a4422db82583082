// What the Engine is asked to create for a machine, and how its answers read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MachineSpec } from '../../src/drivers/driver.js';
import {
  bridgeAddress,
  hostReachesBridge,
  machineAddresses,
  orderedAddresses,
  publishedAddresses,
} from '../../src/drivers/docker/container-addresses.js';
import {
  containerConfig,
  exitOfContainer,
  observedState,
} from '../../src/drivers/docker/container-config.js';
import { connectEngine } from '../../src/drivers/docker/engine.js';
import { containerName, homeId, releaseOfTag, volumeName } from '../../src/drivers/docker/names.js';

const spec: MachineSpec = {
  machineId: 'abc123',
  app: 'web',
  releaseVersion: 4,
  processGroup: 'worker',
  command: 'node worker.js',
  env: { SECRET_KEY: 's3cret', PORT: '1' },
  ports: [8080, 9090],
  prepared: { driver: 'docker', image: 'berth/web:v4', imageId: 'sha256:aa' },
  killSignal: 'SIGINT',
  killTimeoutMs: 2_500,
  limits: { memoryMb: 256, cpus: 1.5 },
  mounts: [{ volumeId: 'vol_0123456789abcdef', destination: '/data' }],
};

test('a machine becomes one container: command, env with PORT, ports, labels, limits, volumes', () => {
  const config = containerConfig(spec, { home: 'h0me', name: 'berth-web-abc123-h0me', image: 'sha256:aa' });
  assert.equal(config.Image, 'sha256:aa');
  assert.deepEqual(config.Cmd, ['node', 'worker.js']);
  assert.equal(config.Entrypoint, undefined);
  assert.deepEqual(config.Env, ['SECRET_KEY=s3cret', 'PORT=8080']);
  assert.deepEqual(config.ExposedPorts, { '8080/tcp': {}, '9090/tcp': {} });
  assert.deepEqual(config.HostConfig?.PortBindings, {
    '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    '9090/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
  });
  assert.deepEqual(config.Labels, {
    'berth.managed': 'true',
    'berth.home': 'h0me',
    'berth.app': 'web',
    'berth.release': '4',
    'berth.machine': 'abc123',
    'berth.group': 'worker',
  });
  assert.ok(!JSON.stringify(config.Labels).includes('s3cret'));
  assert.equal(config.StopSignal, 'SIGINT');
  assert.equal(config.StopTimeout, 3);
  assert.deepEqual(config.HostConfig?.RestartPolicy, { Name: 'no' });
  assert.equal(config.HostConfig?.Memory, 256 * 1024 * 1024);
  assert.equal(config.HostConfig?.NanoCpus, 1_500_000_000);
  assert.deepEqual(config.HostConfig?.Mounts, [
    { Type: 'volume', Source: 'berth-vol_0123456789abcdef', Target: '/data' },
  ]);
});

test("a CPU limit above the host's CPUs is the host's CPUs", () => {
  const on = (hostCpus: number | undefined, cpus: number) =>
    containerConfig({ ...spec, limits: { cpus } }, { home: 'h', name: 'n', image: 'i', hostCpus }).HostConfig
      ?.NanoCpus;
  assert.equal(on(2, 8), 2_000_000_000);
  assert.equal(on(2, 0.5), 500_000_000);
  assert.equal(on(undefined, 8), 8_000_000_000);
});

test("an empty command keeps the image's CMD; no ports, no PORT", () => {
  const config = containerConfig(
    { ...spec, command: '', ports: [], env: {}, limits: undefined, mounts: undefined },
    { home: 'h', name: 'n', image: 'i' },
  );
  assert.equal('Cmd' in config, false);
  assert.deepEqual(config.Env, []);
  assert.equal(config.HostConfig?.Memory, undefined);
  assert.deepEqual(config.HostConfig?.Mounts, []);
});

test('published ports read back as loopback addresses, in the order of the spec', () => {
  const published = publishedAddresses({
    '9090/tcp': [{ HostIp: '127.0.0.1', HostPort: '49154' }],
    '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '49153' }],
    '53/udp': [{ HostIp: '127.0.0.1', HostPort: '49155' }],
    '7000/tcp': null,
  });
  assert.deepEqual(published, { '9090': '127.0.0.1:49154', '8080': '127.0.0.1:49153' });
  assert.deepEqual(Object.entries(orderedAddresses([8080, 9090], published)), [
    ['8080', '127.0.0.1:49153'],
    ['9090', '127.0.0.1:49154'],
  ]);
  assert.deepEqual(publishedAddresses(undefined), {});
});

test('the proxy reaches the bridge address when there is one, else the published port', () => {
  const published = { '8080': '127.0.0.1:49153', '9090': '127.0.0.1:49154' };
  const bridges = new Set(['net-bridge']);
  const isBridge = (id: string) => bridges.has(id);
  const cases: {
    name: string;
    networks: Record<string, { NetworkID?: string; IPAddress?: string }> | undefined;
    expect: Record<string, string>;
  }[] = [
    {
      name: 'on the default bridge',
      networks: { bridge: { NetworkID: 'net-bridge', IPAddress: '172.17.0.5' } },
      expect: { '8080': '172.17.0.5:8080', '9090': '172.17.0.5:9090' },
    },
    {
      name: 'an overlay or macvlan network is not one the host reaches this way',
      networks: { other: { NetworkID: 'net-overlay', IPAddress: '10.0.9.3' } },
      expect: published,
    },
    {
      name: 'no address (not running, network none)',
      networks: { bridge: { NetworkID: 'net-bridge', IPAddress: '' } },
      expect: published,
    },
    { name: 'no networks', networks: undefined, expect: published },
  ];
  for (const c of cases) {
    const ip = bridgeAddress(c.networks, isBridge);
    assert.deepEqual(machineAddresses([8080, 9090], published, ip), c.expect, c.name);
  }
  // An exited container has neither: no address, which the supervisor reads as the exit.
  assert.deepEqual(machineAddresses([8080], {}, undefined), {});
});

test('the host reaches bridge addresses on Linux with a rootful Engine only', () => {
  const cases: {
    info: { OperatingSystem?: string; SecurityOptions?: string[] };
    platform: string;
    reachable: boolean;
  }[] = [
    {
      info: { OperatingSystem: 'Debian GNU/Linux 12', SecurityOptions: ['name=seccomp,profile=default'] },
      platform: 'linux',
      reachable: true,
    },
    { info: {}, platform: 'linux', reachable: true },
    {
      info: { SecurityOptions: ['name=seccomp,profile=default', 'name=rootless'] },
      platform: 'linux',
      reachable: false,
    },
    { info: { OperatingSystem: 'Docker Desktop' }, platform: 'linux', reachable: false },
    { info: { OperatingSystem: 'Debian GNU/Linux 12' }, platform: 'darwin', reachable: false },
  ];
  for (const c of cases) {
    assert.equal(hostReachesBridge(c.info, c.platform).reachable, c.reachable, JSON.stringify(c));
  }
});

test('container states and exit codes', () => {
  assert.deepEqual(observedState(undefined), { state: 'missing' });
  assert.deepEqual(observedState({ Status: 'running', Running: true, ExitCode: 0 }), { state: 'running' });
  assert.deepEqual(observedState({ Status: 'paused', Running: false }), { state: 'running' });
  assert.deepEqual(observedState({ Status: 'created', Running: false, ExitCode: 0 }), {
    state: 'exited',
    exitCode: null,
    signal: null,
  });
  assert.deepEqual(observedState({ Status: 'exited', ExitCode: 3 }), {
    state: 'exited',
    exitCode: 3,
    signal: null,
  });
  assert.deepEqual(observedState({ Status: 'exited', ExitCode: 137 }), {
    state: 'exited',
    exitCode: null,
    signal: 'SIGKILL',
  });
  assert.deepEqual(exitOfContainer(143), { exitCode: null, signal: 'SIGTERM' });
  assert.deepEqual(exitOfContainer(128), { exitCode: 128, signal: null });
  assert.deepEqual(exitOfContainer(255), { exitCode: 255, signal: null });
});

test('names: per home, per release, per volume', () => {
  assert.equal(homeId('/srv/berth'), homeId('/srv/berth/'));
  assert.notEqual(homeId('/srv/berth'), homeId('/srv/other'));
  assert.match(homeId('/srv/berth'), /^[0-9a-f]{16}$/);
  assert.equal(containerName('web', 'abc', '0123456789abcdef'), 'berth-web-abc-01234567');
  assert.equal(volumeName('vol_1'), 'berth-vol_1');
  assert.equal(releaseOfTag('web', 'berth/web:v12'), 12);
  assert.equal(releaseOfTag('web', 'berth/web:v012'), undefined);
  assert.equal(releaseOfTag('web', 'berth/webapp:v1'), undefined);
  assert.equal(releaseOfTag('web', 'berth/web:latest'), undefined);
});

type Modem = { socketPath?: string; host?: string; port?: number; protocol?: string };
const modemOf = (host: string) => connectEngine(host).modem as unknown as Modem;

test('DOCKER_HOST forms', () => {
  assert.equal(modemOf('unix:///tmp/dk/docker.sock').socketPath, '/tmp/dk/docker.sock');
  assert.equal(modemOf('/var/run/docker.sock').socketPath, '/var/run/docker.sock');
  const tcp = modemOf('tcp://10.0.0.2:2375');
  assert.deepEqual([tcp.host, tcp.port, tcp.protocol], ['10.0.0.2', 2375, 'http']);
  assert.throws(() => connectEngine('ssh://me@host'), /not an address berth can use/);
  assert.throws(() => connectEngine('nonsense'), /not an address berth can use/);
});
