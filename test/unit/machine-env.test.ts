import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEnv, machineEnv } from '../../src/core/machine-env.js';
import { withHostBase } from '../../src/drivers/process/host-env.js';

test('machine env: config env and berth identity, nothing of the host', () => {
  const env = machineEnv({
    configEnv: { GREETING: 'hi', PATH: '/app/bin:/usr/bin' },
    app: 'hello',
    releaseVersion: 3,
    machineId: 'abc',
    processGroup: 'web',
  });
  assert.deepEqual(env, {
    PATH: '/app/bin:/usr/bin',
    GREETING: 'hi',
    BERTH_APP: 'hello',
    BERTH_RELEASE_VERSION: '3',
    BERTH_MACHINE_ID: 'abc',
    BERTH_PROCESS_GROUP: 'web',
  });
});

test('machine env: berth identity cannot be overridden by [env]', () => {
  const env = machineEnv({
    configEnv: { BERTH_APP: 'spoof' },
    app: 'real',
    releaseVersion: 1,
    machineId: 'm',
    processGroup: 'app',
  });
  assert.equal(env.BERTH_APP, 'real');
});

test('build env: [env], the app and the release; no machine ids', () => {
  assert.deepEqual(buildEnv({ configEnv: { A: '1', BERTH_APP: 'spoof' }, app: 'x', releaseVersion: 2 }), {
    A: '1',
    BERTH_APP: 'x',
    BERTH_RELEASE_VERSION: '2',
  });
});

test("process driver base: host basics under the app's env, never the daemon's secrets", () => {
  const hostEnv = {
    PATH: '/usr/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    BERTH_TOKEN: 'secret',
    AWS_SECRET_ACCESS_KEY: 'x',
  };
  const cases: {
    name: string;
    env: Record<string, string>;
    ownUser: boolean;
    expect: Record<string, string>;
  }[] = [
    {
      name: 'the daemon user keeps the host HOME',
      env: { A: '1' },
      ownUser: false,
      expect: { PATH: '/usr/bin', HOME: '/root', LANG: 'C.UTF-8', A: '1' },
    },
    {
      name: "the app's own user gets HOME=/tmp",
      env: {},
      ownUser: true,
      expect: { PATH: '/usr/bin', HOME: '/tmp', LANG: 'C.UTF-8' },
    },
    {
      name: 'a HOME set by [env] is kept, even for its own user',
      env: { HOME: '/data' },
      ownUser: true,
      expect: { PATH: '/usr/bin', HOME: '/data', LANG: 'C.UTF-8' },
    },
    {
      name: '[env] overrides the base',
      env: { PATH: '/app/bin', LANG: 'fr_FR.UTF-8' },
      ownUser: false,
      expect: { PATH: '/app/bin', HOME: '/root', LANG: 'fr_FR.UTF-8' },
    },
  ];
  for (const c of cases) {
    assert.deepEqual(withHostBase(c.env, { ownUser: c.ownUser, hostEnv }), c.expect, c.name);
  }
});
