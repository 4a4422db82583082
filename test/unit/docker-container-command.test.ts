// Table-driven: which [processes] commands run as words behind the image's ENTRYPOINT (fly's
// way) and which need the image's shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerCmd } from '../../src/drivers/docker/container-command.js';

const cases: { command: string; want: string[] | undefined }[] = [
  { command: '', want: undefined },
  { command: '   ', want: undefined },
  { command: 'node server.js', want: ['node', 'server.js'] },
  { command: '  bin/rails   fly:server ', want: ['bin/rails', 'fly:server'] },
  { command: `node -e 'console.log(1)'`, want: ['node', '-e', 'console.log(1)'] },
  { command: `echo "two words" ''`, want: ['echo', 'two words', ''] },
  { command: `node -e "require('x')"`, want: ['node', '-e', "require('x')"] },
  { command: 'gunicorn app:app --bind=0.0.0.0:8080', want: ['gunicorn', 'app:app', '--bind=0.0.0.0:8080'] },
  // A shell is needed: expansions, operators, redirections, globs, assignments, open quotes.
  { command: 'node server.js --port $PORT', want: ['/bin/sh', '-c', 'node server.js --port $PORT'] },
  { command: 'echo "$HOME"', want: ['/bin/sh', '-c', 'echo "$HOME"'] },
  { command: 'npm run migrate && npm start', want: ['/bin/sh', '-c', 'npm run migrate && npm start'] },
  { command: 'a | b', want: ['/bin/sh', '-c', 'a | b'] },
  { command: 'a; b', want: ['/bin/sh', '-c', 'a; b'] },
  { command: 'app > /tmp/log', want: ['/bin/sh', '-c', 'app > /tmp/log'] },
  { command: 'rm *.pid', want: ['/bin/sh', '-c', 'rm *.pid'] },
  {
    command: 'NODE_ENV=production node server.js',
    want: ['/bin/sh', '-c', 'NODE_ENV=production node server.js'],
  },
  { command: `echo 'unclosed`, want: ['/bin/sh', '-c', `echo 'unclosed`] },
  { command: 'echo a\\ b', want: ['/bin/sh', '-c', 'echo a\\ b'] },
  { command: 'cd ~', want: ['/bin/sh', '-c', 'cd ~'] },
  // Inside single quotes nothing is special.
  { command: `sh -c 'echo $PORT && exit'`, want: ['sh', '-c', 'echo $PORT && exit'] },
];

for (const { command, want } of cases) {
  test(`containerCmd(${JSON.stringify(command)})`, () => {
    assert.deepEqual(containerCmd(command), want);
  });
}
