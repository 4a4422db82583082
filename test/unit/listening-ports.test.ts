// The process driver's reading of /proc: LISTEN sockets from a tcp table (as Linux writes it),
// and the ports a real process group listens on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { machineListeningPorts, parseListenSockets } from '../../src/drivers/process/listening-ports.js';

const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

test('parseListenSockets keeps LISTEN sockets (state 0A) with their port and inode, IPv4 and IPv6', () => {
  const tcp = [
    HEADER,
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41234 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 41235 1 0000000000000000 20 4 30 10 -1',
    '   2: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 777 1 0000000000000000 100 0 0 10 0',
    '   3: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 0',
    '',
  ].join('\n');
  assert.deepEqual(parseListenSockets(tcp), [
    { port: 8080, inode: '41234' },
    { port: 3000, inode: '777' },
    // Inode 0 is held by no process: parsed, but it never matches one.
    { port: 80, inode: '0' },
  ]);
  const tcp6 = [
    HEADER,
    '   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 10 0',
  ].join('\n');
  assert.deepEqual(parseListenSockets(tcp6), [{ port: 8080, inode: '99' }]);
  assert.deepEqual(parseListenSockets(''), []);
  assert.deepEqual(parseListenSockets(`${HEADER}\ngarbage line\n`), []);
});

test('machineListeningPorts finds the port a process of the group listens on, and only its own', async (t) => {
  if (!existsSync('/proc/self/net/tcp')) {
    t.skip('no /proc/net/tcp on this host');
    return;
  }
  // The leader is a shell; the listener is its child, as with `sh -c "node server.js"`.
  const script =
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port));";
  const child = spawn('/bin/sh', ['-c', `"${process.execPath}" -e "${script}"; sleep 60`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
    const port = Number(chunk.toString().trim());
    assert.ok(port > 0);
    assert.deepEqual(machineListeningPorts(child.pid!), [port]);
    // This test's own process group listens on nothing of that child's.
    assert.ok(!(machineListeningPorts(process.pid) ?? []).includes(port));
  } finally {
    process.kill(-child.pid!, 'SIGKILL');
  }
});
