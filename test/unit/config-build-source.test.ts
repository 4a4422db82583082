// Table-driven: what a [build] section and a Dockerfile in the directory ask to build, and the
// driver that implies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildSource,
  describeImpliedDriver,
  impliedDriver,
  type BuildSource,
} from '../../src/core/config/build-source.js';
import type { AppConfig } from '../../src/core/config/types.js';

const cases: {
  name: string;
  build: AppConfig['build'];
  hasDockerfile: boolean;
  source: BuildSource;
  driver: 'process' | 'docker';
  reason: RegExp;
}[] = [
  {
    name: 'an image, even with a Dockerfile beside it',
    build: { image: 'nginx', dockerfile: 'Dockerfile', args: {} },
    hasDockerfile: true,
    source: { kind: 'image', image: 'nginx' },
    driver: 'docker',
    reason: /^\[build\] image = "nginx"$/,
  },
  {
    name: 'a named Dockerfile',
    build: { dockerfile: 'deploy/Dockerfile.prod', args: {} },
    hasDockerfile: false,
    source: { kind: 'dockerfile', dockerfile: 'deploy/Dockerfile.prod', named: true },
    driver: 'docker',
    reason: /^\[build\] dockerfile = "deploy\/Dockerfile.prod"$/,
  },
  {
    name: 'a Dockerfile at the root and no [build]',
    build: { args: {} },
    hasDockerfile: true,
    source: { kind: 'dockerfile', dockerfile: 'Dockerfile', named: false },
    driver: 'docker',
    reason: /^a Dockerfile in the directory$/,
  },
  {
    name: 'a source tree with a build command',
    build: { command: 'npm run build', args: {} },
    hasDockerfile: false,
    source: { kind: 'tree' },
    driver: 'process',
    reason: /no \[build\] image, \[build\] dockerfile or Dockerfile/,
  },
];

for (const c of cases) {
  test(`build source: ${c.name}`, () => {
    const source = buildSource(c.build, c.hasDockerfile);
    assert.deepEqual(source, c.source);
    const implied = impliedDriver(source);
    assert.equal(implied.driver, c.driver);
    assert.match(implied.reason, c.reason);
    assert.match(
      describeImpliedDriver(implied),
      new RegExp(`^note: this config implies the ${c.driver} driver \\(`),
    );
  });
}
