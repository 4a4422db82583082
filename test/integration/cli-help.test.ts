// The real CLI's help: `berth --help` lists every command and the exit codes, and the --help
// of every command and subcommand ends with examples that start with `berth`. Commands are
// found by reading the help itself, so a command added later is held to the same rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_MEANINGS } from '../../src/cli/exit-codes.js';
import { CLI, REPO_ROOT } from '../helpers/daemon.js';

const home = mkdtempSync(join(tmpdir(), 'berth-help-'));
test.after(() => rmSync(home, { recursive: true, force: true }));

function help(words: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...words, '--help'], {
      cwd: REPO_ROOT,
      env: { ...process.env, BERTH_HOME: home, BERTH_API_URL: 'http://127.0.0.1:9' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout }));
  });
}

/** The names in the "Commands:" section of a help text, without commander's own `help`. */
function subcommands(text: string): string[] {
  const section = /^Commands:\n([\s\S]*?)(?:\n\n|(?![\s\S]))/m.exec(text)?.[1] ?? '';
  return section
    .split('\n')
    .map((line) => /^ {2}(\S+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');
}

test('berth --help lists the commands and every exit code with its meaning', async () => {
  const { code, stdout } = await help([]);
  assert.equal(code, 0);
  assert.ok(subcommands(stdout).length >= 15, stdout);
  assert.match(stdout, /^Exit codes:$/m);
  for (const [exit, meaning] of EXIT_MEANINGS) {
    assert.ok(stdout.includes(`  ${exit}  ${meaning}`), `exit code ${exit} is listed`);
  }
});

test('the --help of every command and subcommand shows examples', async () => {
  const top = subcommands((await help([])).stdout);
  const checked: string[] = [];
  const missing: string[] = [];
  // Breadth-first over the command tree, a level's commands in parallel.
  let level = top.map((name) => [name]);
  while (level.length > 0) {
    const texts = await Promise.all(level.map((words) => help(words)));
    const next: string[][] = [];
    level.forEach((words, i) => {
      const { code, stdout } = texts[i]!;
      assert.equal(code, 0, `berth ${words.join(' ')} --help exits 0`);
      checked.push(words.join(' '));
      if (!/\nExamples:\n {2}\$ (berth |\S.*\| berth )/.test(stdout)) missing.push(words.join(' '));
      for (const sub of subcommands(stdout)) next.push([...words, sub]);
    });
    level = next;
  }
  assert.deepEqual(missing, [], `commands whose --help has no example: ${missing.join(', ')}`);
  for (const expected of ['deploy', 'status', 'secrets set', 'machine run', 'volumes destroy']) {
    assert.ok(checked.includes(expected), `${expected} was checked`);
  }
});
