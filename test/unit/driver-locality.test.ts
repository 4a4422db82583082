// What only a driver knows stays in src/drivers/: outside it, no source mentions /proc,
// unshare, container ids or names, a handle's pid, ref or log path. The daemon's own pid
// (process.pid, server.json's, the home lock's daemon.pid) and a child or worker process's
// are the daemon's, not a machine's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

const FORBIDDEN: { name: string; pattern: RegExp }[] = [
  { name: '/proc', pattern: /\/proc\b/ },
  { name: 'unshare', pattern: /unshare/i },
  { name: 'container ids', pattern: /container_?id|container ?name|containerName/i },
  { name: "a machine's pid", pattern: /(?<!\bprocess|\bchild|\binfo|\bdaemon)\.pid\b/ },
  { name: "a handle's ref", pattern: /\.ref\b/ },
  { name: 'log file paths', pattern: /logPath/ },
];

/** Occurrences that mean something else, each with its reason. */
const ALLOWED: { file: string; text: string; why: string }[] = [
  {
    file: 'core/volumes/deploy-checks.ts',
    text: "'/proc',",
    why: 'a mount destination inside the machine that berth refuses, whatever its driver',
  },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'drivers' && dir === SRC.replace(/\/$/, '') ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

test('the guard reads the sources and skips only src/drivers', () => {
  const files = sourceFiles(SRC.replace(/\/$/, '')).map((f) => relative(SRC, f));
  assert.ok(files.includes('daemon/supervisor.ts'));
  assert.ok(files.includes('api/routes/machines.ts'));
  assert.ok(!files.some((f) => f.startsWith('drivers/')));
});

test('the patterns catch what they are for, and leave the daemon its own pid', () => {
  const caught = (line: string) => FORBIDDEN.filter((f) => f.pattern.test(line)).map((f) => f.name);
  assert.deepEqual(caught('message: `adopted (pid ${handle.pid})`'), ["a machine's pid"]);
  assert.deepEqual(caught('const pid = machine.handle.pid;'), ["a machine's pid"]);
  assert.deepEqual(caught('readFileSync(`/proc/${pid}/stat`)'), ['/proc']);
  assert.deepEqual(caught("spawn('unshare', args)"), ['unshare']);
  assert.deepEqual(caught('handle.containerId'), ['container ids']);
  assert.deepEqual(caught('lastLines(handle.logPath, 10)'), ['log file paths']);
  assert.deepEqual(caught('`adopted (pid ${handle.ref})`'), ["a handle's ref"]);
  assert.deepEqual(caught('const tmp = `${file}.${process.pid}.tmp`;'), []);
  assert.deepEqual(caught("daemonPid: join(dir, 'daemon.pid'),"), []);
  assert.deepEqual(caught('if (info.pid !== child.pid) {'), []);
});

test('nothing outside src/drivers/ knows pids, /proc, unshare, containers or log files of machines', () => {
  const problems: string[] = [];
  for (const file of sourceFiles(SRC.replace(/\/$/, ''))) {
    const name = relative(SRC, file);
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const { name: what, pattern } of FORBIDDEN) {
          if (!pattern.test(line)) continue;
          if (ALLOWED.some((a) => a.file === name && line.includes(a.text))) continue;
          problems.push(`src/${name}:${i + 1} mentions ${what}: ${line.trim()}`);
        }
      });
  }
  assert.deepEqual(problems, []);
});
