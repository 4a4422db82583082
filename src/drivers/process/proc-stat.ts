// Reads what Linux says about a process in /proc/<pid>/stat. The process driver uses the start
// time to tell its own machine from a process that later got the same pid, and the state to
// tell a live process from a zombie nobody has reaped yet.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** The executable name (field 2), without the surrounding parentheses. */
  comm: string;
  /** One letter: R running, S sleeping, D disk sleep, Z zombie, T stopped, X dead, ... */
  state: string;
  ppid: number;
  /** Process group id. */
  pgrp: number;
  /** Field 22: clock ticks since boot when the process started. Kept as text: only compared. */
  startTime: string;
}

/**
 * Parses the single line of /proc/<pid>/stat, or returns undefined when it is not one.
 * The comm field is in parentheses and may itself contain spaces and parentheses, so the
 * fields after it are found from the last ")" rather than by splitting the whole line.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return undefined;
  const pid = Number(text.slice(0, open));
  const comm = text.slice(open + 2, close);
  // Fields 3 and on; fields[0] is field 3.
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = fields[0];
  const ppid = Number(fields[1]);
  const pgrp = Number(fields[2]);
  const startTime = fields[22 - 3];
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (state === undefined || !/^[A-Za-z]$/.test(state)) return undefined;
  if (!Number.isInteger(ppid) || !Number.isInteger(pgrp)) return undefined;
  if (startTime === undefined || !/^\d+$/.test(startTime)) return undefined;
  return { pid, comm, state, ppid, pgrp, startTime };
}

/** The parsed stat of a live or zombie process; undefined once it is gone (or without /proc). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStat(text);
}

export function readProcessStartTime(pid: number): string | undefined {
  return readProcStat(pid)?.startTime;
}

export function readProcessState(pid: number): string | undefined {
  return readProcStat(pid)?.state;
}

/** Zombies (Z) and dying tasks (X) have exited; only their parent has not reaped them yet. */
export function hasExited(state: string): boolean {
  return state === 'Z' || state === 'X';
}

/** Whether /proc can answer at all (Linux); elsewhere callers fall back to kill(pid, 0). */
export function procfsAvailable(): boolean {
  return readProcStat(process.pid) !== undefined;
}

/** Members of a process group that have not exited, found by scanning /proc. */
export function liveGroupMembers(pgid: number): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const members: ProcStat[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat && stat.pgrp === pgid && !hasExited(stat.state)) members.push(stat);
  }
  return members;
}

/**
 * The pid (as this namespace sees it) of a child of `pid` that lives in another PID
 * namespace: the init of a sandboxed machine, whose leader is unshare. Undefined when none.
 */
export function childInOwnPidNamespace(pid: number): number | undefined {
  const own = pidNamespaceOf(pid);
  if (own === undefined) return undefined;
  let children: number[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return undefined;
  }
  return children.find((child) => {
    const ns = pidNamespaceOf(child);
    return ns !== undefined && ns !== own;
  });
}

function pidNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}
