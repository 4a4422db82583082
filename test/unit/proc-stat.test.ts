import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  hasExited,
  liveGroupMembers,
  parseProcStat,
  readProcessStartTime,
  readProcessState,
  readProcStat,
} from '../../src/drivers/process/proc-stat.js';

/** A stat line as Linux writes it: pid (comm) state, then fields 4..52 with starttime at 22. */
function statLine(pid: number, comm: string, state: string, startTime: string, newline = true): string {
  const rest = Array.from({ length: 52 - 3 }, (_, i) => String(i + 4));
  rest[0] = '1'; // ppid
  rest[1] = String(pid); // pgrp
  rest[22 - 4] = startTime;
  return `${pid} (${comm}) ${state} ${rest.join(' ')}${newline ? '\n' : ''}`;
}

test('parseProcStat finds the fields after the comm, whatever the comm holds', () => {
  const comms = [
    'node',
    'my app',
    'a) b',
    'x (y) z',
    ') S 1 2 (',
    '((((',
    '))))',
    '',
    ' ',
    '1 (2) R 3',
    'tab\there',
    'new\nline',
    'émoji 🚀',
  ];
  for (const comm of comms) {
    const parsed = parseProcStat(statLine(4242, comm, 'S', '987654321'));
    assert.deepEqual(
      parsed,
      { pid: 4242, comm, state: 'S', ppid: 1, pgrp: 4242, startTime: '987654321' },
      JSON.stringify(comm),
    );
  }
});

test('parseProcStat reads every state letter and tolerates a missing newline', () => {
  for (const state of ['R', 'S', 'D', 'Z', 'T', 't', 'X', 'I']) {
    assert.equal(parseProcStat(statLine(7, 'sh', state, '5', false))?.state, state);
  }
});

test('parseProcStat rejects what is not a stat line', () => {
  const cases: [name: string, text: string][] = [
    ['empty', ''],
    ['no parentheses', '123 node S 1 2 3'],
    ['no pid', '(node) S 1 2 3'],
    ['pid not a number', 'abc (node) S 1 1 1'],
    ['pid zero', statLine(0, 'x', 'S', '5')],
    ['truncated before starttime', '123 (node) S 1 123 123 0 -1 4194304'],
    ['starttime not a number', statLine(9, 'x', 'S', 'soon')],
    ['state not a letter', statLine(9, 'x', '?', '5')],
    ['missing closing parenthesis', '123 (node S 1 2'],
  ];
  for (const [name, text] of cases) assert.equal(parseProcStat(text), undefined, name);
});

test('hasExited is true for zombies and dead tasks only', () => {
  const cases: [state: string, exited: boolean][] = [
    ['Z', true],
    ['X', true],
    ['R', false],
    ['S', false],
    ['D', false],
    ['T', false],
  ];
  for (const [state, exited] of cases) assert.equal(hasExited(state), exited, state);
});

test('readProcStat reads this process', () => {
  const stat = readProcStat(process.pid);
  assert.ok(stat);
  assert.equal(stat.pid, process.pid);
  assert.match(stat.startTime, /^\d+$/);
  assert.equal(readProcessStartTime(process.pid), stat.startTime);
  assert.equal(readProcessState(process.pid), 'R');
  assert.ok(liveGroupMembers(stat.pgrp).some((member) => member.pid === process.pid));
});

test('readProcStat answers undefined for a pid that does not exist', () => {
  // Above the largest pid_max Linux allows (2^22).
  assert.equal(readProcStat(4_194_305), undefined);
  assert.equal(readProcessStartTime(4_194_305), undefined);
  assert.equal(readProcessState(4_194_305), undefined);
  assert.deepEqual(liveGroupMembers(4_194_305), []);
});

test('readProcStat reads a real process whose name has spaces and parentheses', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-proc-stat-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The kernel takes comm from the executable's file name, cut to 15 bytes.
  const tricky = join(dir, 'a) b (c');
  copyFileSync('/bin/sleep', tricky);
  const child = spawn(tricky, ['30'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((resolve) => child.once('spawn', resolve));
  // Wait for the exec to replace the forked node's comm.
  let stat = readProcStat(child.pid!);
  for (const deadline = Date.now() + 10_000; stat?.comm !== 'a) b (c' && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    stat = readProcStat(child.pid!);
  }
  assert.equal(stat?.comm, 'a) b (c');
  assert.equal(stat?.ppid, process.pid);
  assert.match(stat?.startTime ?? '', /^\d+$/);
});

test('liveGroupMembers leaves out zombies that nobody has reaped', async (t) => {
  // The subshell exits at once and stays a zombie: its parent becomes sleep, which never waits.
  const child = spawn('/bin/sh', ['-c', '(exit 0) & exec sleep 30'], { detached: true, stdio: 'ignore' });
  const pgid = child.pid!;
  t.after(() => process.kill(-pgid, 'SIGKILL'));
  const members = async () => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      const all = readdirSync('/proc')
        .filter((entry) => /^\d+$/.test(entry))
        .map((entry) => readProcStat(Number(entry)))
        .filter((stat) => stat?.pgrp === pgid);
      if (
        all.length === 2 &&
        all.some((stat) => stat?.state === 'Z') &&
        all.some((s) => s?.comm === 'sleep')
      ) {
        return all;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.fail('the group never had a zombie and a sleeper');
  };
  const all = await members();
  const zombie = all.find((stat) => stat?.state === 'Z')!;
  assert.equal(zombie.ppid, pgid);
  assert.deepEqual(
    liveGroupMembers(pgid).map((stat) => stat.pid),
    [pgid],
  );
});
