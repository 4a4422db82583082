// Which TCP ports a machine's processes listen on, from /proc: the socket inodes each process
// holds (/proc/<pid>/fd) matched against the LISTEN sockets of its network namespace
// (/proc/<pid>/net/tcp and tcp6). A machine is its process group and, when sandboxed, every
// process of its own PID namespace (one that left the group with setsid is still in it).
// Machines share the host's network, so the tables hold every listener of the host: only the
// inodes tell which are the machine's.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { childInOwnPidNamespace, readProcStat } from './proc-stat.js';

/** TCP state 0A in /proc/net/tcp: LISTEN. */
const LISTEN = '0A';

/** The LISTEN sockets of one /proc/<pid>/net/tcp{,6} table: local port and socket inode. */
export function parseListenSockets(text: string): { port: number; inode: string }[] {
  const sockets: { port: number; inode: string }[] = [];
  // After the header: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const inode = fields[9];
    if (fields[3] !== LISTEN || !local || !inode || !/^\d+$/.test(inode)) continue;
    const hex = local.slice(local.lastIndexOf(':') + 1);
    const port = Number.parseInt(hex, 16);
    if (/^[0-9A-Fa-f]{4}$/.test(hex) && port > 0) sockets.push({ port, inode });
  }
  return sockets;
}

/**
 * The ports the machine led by `leader` listens on, sorted; undefined when /proc cannot say
 * (the leader is gone, or a descriptor table is not ours to read).
 */
export function machineListeningPorts(leader: number): number[] | undefined {
  const inodes = new Set<string>();
  for (const pid of machinePids(leader)) {
    const held = socketInodes(pid);
    if (held === undefined) return undefined;
    for (const inode of held) inodes.add(inode);
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${leader}/net/${table}`, 'utf8');
    } catch {
      // No IPv6 on this host: no tcp6 table. No tcp table: the leader is gone.
      if (table === 'tcp') return undefined;
      continue;
    }
    for (const socket of parseListenSockets(text)) if (inodes.has(socket.inode)) ports.add(socket.port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** The leader's process group, and every process of its machine's own PID namespace. */
function machinePids(leader: number): number[] {
  const init = childInOwnPidNamespace(leader);
  const namespace = init === undefined ? undefined : pidNamespaceOf(init);
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [leader];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (
      readProcStat(pid)?.pgrp === leader ||
      (namespace !== undefined && pidNamespaceOf(pid) === namespace)
    ) {
      pids.push(pid);
    }
  }
  return pids;
}

/** Inodes of the sockets `pid` holds; [] once it is gone, undefined when not ours to read. */
function socketInodes(pid: number): string[] | undefined {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? [] : undefined;
  }
  const inodes: string[] = [];
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.push(match[1]);
    } catch {
      // Closed since the listing.
    }
  }
  return inodes;
}

function pidNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}
