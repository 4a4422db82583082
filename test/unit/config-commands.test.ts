import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyCommandError, parseProcfile, resolveCommands } from '../../src/core/config/commands.js';
import { normalizeConfig } from '../../src/core/config/normalize.js';
import type { AppConfig } from '../../src/core/config/types.js';

function configWith(processes: Record<string, string>): AppConfig {
  const { config } = normalizeConfig({ processes }, () => undefined);
  assert.ok(config);
  return config;
}

const cases: {
  name: string;
  processes?: Record<string, string>;
  procfile?: string;
  packageJson?: string;
  want: { source: string; commands: Record<string, string> } | { error: RegExp };
}[] = [
  {
    name: '[processes] wins over everything',
    processes: { web: 'bin/web', worker: 'bin/worker' },
    procfile: 'web: other',
    packageJson: '{"scripts":{"start":"node x"}}',
    want: { source: 'processes', commands: { web: 'bin/web', worker: 'bin/worker' } },
  },
  {
    name: 'a Procfile when there is no [processes]',
    procfile: '# comment\n\nweb: bundle exec puma -p $PORT\nworker:   sidekiq -c 5  \r\n',
    packageJson: '{"scripts":{"start":"node x"}}',
    want: { source: 'procfile', commands: { web: 'bundle exec puma -p $PORT', worker: 'sidekiq -c 5' } },
  },
  {
    name: 'a command may contain colons',
    procfile: 'web: node server.js --listen 0.0.0.0:8080',
    want: { source: 'procfile', commands: { web: 'node server.js --listen 0.0.0.0:8080' } },
  },
  {
    name: 'an empty Procfile falls through to npm start',
    procfile: '# nothing here\n',
    packageJson: '{"scripts":{"start":"node server.js"}}',
    want: { source: 'npm-start', commands: { app: 'npm start' } },
  },
  {
    name: 'npm start as group "app" when package.json has scripts.start',
    packageJson: '{"name":"x","scripts":{"start":"node server.js"}}',
    want: { source: 'npm-start', commands: { app: 'npm start' } },
  },
  {
    name: 'no start script: no_command',
    packageJson: '{"scripts":{"build":"tsc"}}',
    want: { error: /no "start" script/ },
  },
  {
    name: 'package.json that is not JSON: no_command, not a crash',
    packageJson: '{ nope',
    want: { error: /no_command|nothing to run/ },
  },
  {
    name: 'package.json that is JSON null',
    packageJson: 'null',
    want: { error: /nothing to run/ },
  },
  {
    name: 'nothing at all: no_command naming where it looked',
    want: { error: /no \[processes\] in the config, no Procfile, no package\.json/ },
  },
];

for (const c of cases) {
  test(`resolveCommands: ${c.name}`, () => {
    const result = resolveCommands(configWith(c.processes ?? {}), {
      ...(c.procfile !== undefined && { procfile: c.procfile }),
      ...(c.packageJson !== undefined && { packageJson: c.packageJson }),
    });
    if ('error' in c.want) {
      assert.ok('error' in result, 'expected an error');
      assert.equal(result.error.code, 'no_command');
      assert.match(`${result.error.code} ${result.error.message}`, c.want.error);
      assert.ok(result.error.hint.length > 0);
    } else {
      assert.deepEqual(result, c.want);
    }
  });
}

test('parseProcfile skips lines without a name or a command', () => {
  assert.deepEqual(parseProcfile('just words\nweb:\n: cmd\n  release: rake db:migrate\n'), {
    release: 'rake db:migrate',
  });
});

const emptyCases: { name: string; commands: Record<string, string>; want: RegExp | undefined }[] = [
  { name: 'every group has a command', commands: { app: 'node server.js', worker: 'x' }, want: undefined },
  {
    name: 'an empty command is refused, naming the group and both ways out',
    commands: { app: '', worker: 'x' },
    want: /^process group "app" has an empty command \(\[processes\] app = ""\), which means the image's own CMD/,
  },
  {
    name: 'blank counts as empty; every such group is named',
    commands: { web: ' ', worker: '' },
    want: /^process groups "web", "worker" have an empty command/,
  },
];

for (const c of emptyCases) {
  test(`empty commands: ${c.name}`, () => {
    const err = emptyCommandError(c.commands);
    if (c.want === undefined) {
      assert.equal(err, undefined);
      return;
    }
    assert.equal(err?.code, 'empty_command');
    assert.match(err.message, c.want);
    assert.match(err.hint, /\[processes\].*docker driver/);
  });
}
