import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseDriver, type DriverChoiceInput } from '../../src/core/driver-choice.js';

const noDocker = { cause: 'no Docker Engine at /var/run/docker.sock (ENOENT)', fix: 'Start Docker.' };
const base: DriverChoiceInput = {
  appDriver: null,
  build: { rootDockerfile: false },
  hasProcesses: false,
  serverDefault: 'process',
  available: ['process', 'docker'],
  unavailable: {},
};
const withoutDocker: Partial<DriverChoiceInput> = {
  available: ['process'],
  unavailable: { docker: noDocker },
};

const cases: {
  name: string;
  input: Partial<DriverChoiceInput>;
  expect: { driver: string; reason: RegExp } | { code: string; message: RegExp; hint?: RegExp };
}[] = [
  {
    name: 'a tree, nothing asked: the server default',
    input: {},
    expect: { driver: 'process', reason: /server's default/ },
  },
  {
    name: 'the server default may be docker',
    input: { serverDefault: 'docker' },
    expect: { driver: 'docker', reason: /server's default/ },
  },
  {
    name: 'a Dockerfile at the root with docker here',
    input: { build: { rootDockerfile: true } },
    expect: { driver: 'docker', reason: /^the app has a Dockerfile$/ },
  },
  {
    name: '[build] image with docker here',
    input: { build: { image: 'nginx', rootDockerfile: false } },
    expect: { driver: 'docker', reason: /\[build\] image is nginx/ },
  },
  {
    name: '[build] dockerfile with docker here',
    input: { build: { dockerfile: 'Dockerfile.prod', rootDockerfile: false } },
    expect: { driver: 'docker', reason: /\[build\] dockerfile is Dockerfile\.prod/ },
  },
  {
    name: "the app's driver wins over a Dockerfile",
    input: { appDriver: 'process', build: { rootDockerfile: true } },
    expect: { driver: 'process', reason: /the app's driver/ },
  },
  {
    name: '--driver wins over the app',
    input: { requested: 'docker', appDriver: 'process' },
    expect: { driver: 'docker', reason: /--driver/ },
  },
  {
    name: '--driver process runs a Dockerfile app as processes',
    input: { requested: 'process', build: { rootDockerfile: true } },
    expect: { driver: 'process', reason: /--driver/ },
  },
  {
    name: 'a Dockerfile app with [processes] runs as processes on a daemon without docker',
    input: { ...withoutDocker, build: { rootDockerfile: true }, hasProcesses: true },
    expect: { driver: 'process', reason: /server's default/ },
  },
  {
    name: 'a Dockerfile app without [processes] needs docker',
    input: { ...withoutDocker, build: { rootDockerfile: true } },
    expect: {
      code: 'docker_unavailable',
      message: /needs the docker driver \(the app has a Dockerfile\).*ENOENT/,
      hint: /Start Docker\..*\[processes\].*--driver process/,
    },
  },
  {
    name: 'an image needs docker even with [processes]',
    input: { ...withoutDocker, build: { image: 'nginx', rootDockerfile: false }, hasProcesses: true },
    expect: { code: 'docker_unavailable', message: /\[build\] image is nginx/ },
  },
  {
    name: '--driver docker without docker',
    input: { ...withoutDocker, requested: 'docker' },
    expect: { code: 'docker_unavailable', message: /asked for with --driver/ },
  },
  {
    name: 'an app on docker, deployed on a daemon without it',
    input: { ...withoutDocker, appDriver: 'docker' },
    expect: { code: 'docker_unavailable', message: /the app's driver/ },
  },
];

test('chooseDriver: --driver, else the app, else docker for an image build, else the default', () => {
  for (const c of cases) {
    const input = { ...base, ...c.input };
    if ('driver' in c.expect) {
      const choice = chooseDriver(input);
      assert.equal(choice.driver, c.expect.driver, c.name);
      assert.match(choice.reason, c.expect.reason, c.name);
    } else {
      const expected = c.expect;
      assert.throws(
        () => chooseDriver(input),
        (err: { code: string; message: string; hint: string }) => {
          assert.equal(err.code, expected.code, c.name);
          assert.match(err.message, expected.message, c.name);
          if (expected.hint) assert.match(err.hint, expected.hint, c.name);
          return true;
        },
        c.name,
      );
    }
  }
});
