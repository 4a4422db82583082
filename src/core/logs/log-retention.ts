// Which kept log files go: those not written for the retention period, then the oldest until
// the total is back under its cap. Pure: the daemon lists its files, this decides, it deletes.

export interface KeptLogFile {
  path: string;
  bytes: number;
  /** Last written, ms since the epoch. */
  mtimeMs: number;
}

export interface LogCaps {
  /** Bytes one machine's logs may take (its current file and one rotated file). */
  maxMachineBytes: number;
  /** Bytes all kept logs may take; over it, the oldest files go first. */
  maxTotalBytes: number;
  retentionMs: number;
}

/** Deleting down to this share of the cap, so that one more line does not delete again. */
const TOTAL_TARGET = 0.9;

export function logFilesToDelete(files: KeptLogFile[], caps: LogCaps, nowMs: number): string[] {
  const doomed: string[] = [];
  const kept: KeptLogFile[] = [];
  for (const file of files) {
    if (nowMs - file.mtimeMs > caps.retentionMs) doomed.push(file.path);
    else kept.push(file);
  }
  let total = kept.reduce((sum, file) => sum + file.bytes, 0);
  if (total <= caps.maxTotalBytes) return doomed;
  const target = Math.floor(caps.maxTotalBytes * TOTAL_TARGET);
  const oldestFirst = [...kept].sort((a, b) => a.mtimeMs - b.mtimeMs || a.path.localeCompare(b.path));
  for (const file of oldestFirst) {
    if (total <= target) break;
    doomed.push(file.path);
    total -= file.bytes;
  }
  return doomed;
}

/** A machine's current file is rotated once it holds half its cap, so current + rotated stay within it. */
export function rotationBytes(caps: Pick<LogCaps, 'maxMachineBytes'>): number {
  return Math.max(1, Math.floor(caps.maxMachineBytes / 2));
}
