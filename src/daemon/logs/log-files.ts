// The machine output the daemon keeps: <logs>/<app>/<machine>.log, rotated to <machine>.log.1
// at half the per-machine cap, and all of it held under the total cap and the retention period
// (oldest first). Kept apart from the drivers, so a machine's lines outlive its process or
// container: logs of replaced, destroyed and one-off machines stay readable.
// Synchronous on purpose: a reader sees every line written before it, and nothing twice.
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { decodeStoredLine, encodeStoredLine, type LogRecord } from '../../core/logs/log-record.js';
import {
  logFilesToDelete,
  rotationBytes,
  type KeptLogFile,
  type LogCaps,
} from '../../core/logs/log-retention.js';

export const DEFAULT_LOG_CAPS: LogCaps = {
  maxMachineBytes: 10 * 1024 * 1024,
  maxTotalBytes: 512 * 1024 * 1024,
  retentionMs: 7 * 86_400_000,
};

const CURRENT = '.log';
const ROTATED = '.log.1';
const BLOCK = 64 * 1024;

interface OpenFile {
  fd: number;
  bytes: number;
}

/** Which lines a reader wants: one machine's, one release's, or the whole app's. */
export interface LogFilter {
  machine?: string;
  release?: number;
  /** Only what the machine wrote, not the daemon's lines about it. */
  outputOnly?: boolean;
}

export function passes(record: LogRecord, filter: LogFilter): boolean {
  return (
    (filter.machine === undefined || record.machine === filter.machine) &&
    (filter.release === undefined || record.release === filter.release) &&
    (!filter.outputOnly || record.stream !== 'berth')
  );
}

export class LogFiles {
  private readonly open = new Map<string, OpenFile>();
  private totalBytes = 0;

  constructor(
    private readonly dir: string,
    readonly caps: LogCaps,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.totalBytes = this.list().reduce((sum, file) => sum + file.bytes, 0);
  }

  /** Appends a machine's record; rotates its file at half its cap, and keeps the total under its cap. */
  append(app: string, record: LogRecord, cursor?: string): void {
    const text = Buffer.from(encodeStoredLine(record, cursor));
    const path = this.current(app, record.machine);
    let file = this.openFile(app, path);
    if (file.bytes > 0 && file.bytes + text.length > rotationBytes(this.caps)) {
      this.closeFile(path);
      const rotated = this.rotated(app, record.machine);
      this.totalBytes -= sizeOf(rotated);
      renameSync(path, rotated);
      file = this.openFile(app, path);
    }
    writeSync(file.fd, text);
    file.bytes += text.length;
    this.totalBytes += text.length;
    if (this.totalBytes > this.caps.maxTotalBytes) this.prune();
  }

  /** The cursor of the last line a driver gave for this machine, to resume a follow after it. */
  lastCursor(app: string, machine: string): string | undefined {
    for (const path of [this.current(app, machine), this.rotated(app, machine)]) {
      const found = readBackwards(path, machine, 1, (_, cursor) => cursor !== undefined);
      if (found.length > 0) return found[0]!.cursor;
    }
    return undefined;
  }

  /** Whether any line of this machine is kept. */
  has(app: string, machine: string): boolean {
    return sizeOf(this.current(app, machine)) > 0 || sizeOf(this.rotated(app, machine)) > 0;
  }

  /**
   * The newest `count` lines of the app that pass the filter, oldest first. Files are read
   * newest first, and a file last written before the oldest line already found is not opened.
   */
  tail(app: string, count: number, filter: LogFilter = {}): LogRecord[] {
    if (count <= 0) return [];
    const files = this.appFiles(app)
      .filter((file) => filter.machine === undefined || file.machine === filter.machine)
      .sort((a, b) => b.mtimeMs - a.mtimeMs);
    const found: { record: LogRecord; order: number }[] = [];
    let order = 0;
    for (const file of files) {
      if (found.length >= count) {
        found.sort(byTime);
        const oldestKept = Date.parse(found[found.length - count]!.record.time);
        if (file.mtimeMs < oldestKept) break;
      }
      const lines = readBackwards(file.path, file.machine, count, (record) => passes(record, filter));
      // readBackwards gives newest first; `order` keeps a file's own order among equal times.
      for (const { record } of lines.reverse()) found.push({ record, order: order++ });
    }
    found.sort(byTime);
    return found.slice(-count).map((entry) => entry.record);
  }

  /** Deletes files past the retention period, then the oldest while the total is over its cap. */
  prune(nowMs = Date.now()): void {
    const files = this.list();
    const doomed = logFilesToDelete(files, this.caps, nowMs);
    for (const path of doomed) {
      this.closeFile(path);
      rmSync(path, { force: true });
    }
    this.totalBytes = this.list().reduce((sum, file) => sum + file.bytes, 0);
    if (doomed.length > 0) this.log(`logs: deleted ${doomed.length} old machine log file(s)`);
  }

  /** Lets go of a machine's open file (its follow ended); the next line opens it again. */
  release(app: string, machine: string): void {
    this.closeFile(this.current(app, machine));
  }

  /** An app destroyed: its logs go with it (a new app of the same name starts afresh). */
  removeApp(app: string): void {
    for (const file of this.appFiles(app)) this.closeFile(file.path);
    rmSync(join(this.dir, app), { recursive: true, force: true });
    this.totalBytes = this.list().reduce((sum, file) => sum + file.bytes, 0);
  }

  close(): void {
    for (const path of [...this.open.keys()]) this.closeFile(path);
  }

  private current(app: string, machine: string): string {
    return join(this.dir, app, machine + CURRENT);
  }

  private rotated(app: string, machine: string): string {
    return join(this.dir, app, machine + ROTATED);
  }

  private openFile(app: string, path: string): OpenFile {
    let file = this.open.get(path);
    if (!file) {
      mkdirSync(join(this.dir, app), { recursive: true, mode: 0o700 });
      const fd = openSync(path, 'a', 0o600);
      file = { fd, bytes: fstatSync(fd).size };
      this.open.set(path, file);
    }
    return file;
  }

  private closeFile(path: string): void {
    const file = this.open.get(path);
    if (!file) return;
    this.open.delete(path);
    closeSync(file.fd);
  }

  private appFiles(app: string): (KeptLogFile & { machine: string })[] {
    let names: string[];
    try {
      names = readdirSync(join(this.dir, app));
    } catch {
      return [];
    }
    return names.flatMap((name) => {
      const machine = name.endsWith(CURRENT)
        ? name.slice(0, -CURRENT.length)
        : name.endsWith(ROTATED)
          ? name.slice(0, -ROTATED.length)
          : undefined;
      if (machine === undefined) return [];
      const path = join(this.dir, app, name);
      try {
        const info = statSync(path);
        return [{ path, machine, bytes: info.size, mtimeMs: info.mtimeMs }];
      } catch {
        return [];
      }
    });
  }

  private list(): KeptLogFile[] {
    let apps: string[];
    try {
      apps = readdirSync(this.dir);
    } catch {
      return [];
    }
    return apps.flatMap((app) => this.appFiles(app));
  }
}

function byTime(a: { record: LogRecord; order: number }, b: { record: LogRecord; order: number }): number {
  return a.record.time < b.record.time ? -1 : a.record.time > b.record.time ? 1 : a.order - b.order;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Up to `count` records of the file that match, newest first, reading it from its end. */
function readBackwards(
  path: string,
  machine: string,
  count: number,
  matches: (record: LogRecord, cursor: string | undefined) => boolean,
): { record: LogRecord; cursor?: string }[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  const found: { record: LogRecord; cursor?: string }[] = [];
  try {
    let end = fstatSync(fd).size;
    let carry = Buffer.alloc(0);
    while (end > 0 && found.length < count) {
      const start = Math.max(0, end - BLOCK);
      const block = Buffer.alloc(end - start);
      readSync(fd, block, 0, block.length, start);
      let text = Buffer.concat([block, carry]);
      end = start;
      // Keep the first (maybe partial) line for the next block, unless this is the file's start.
      const firstNewline = start > 0 ? text.indexOf(10) : -1;
      carry = start > 0 ? Buffer.from(text.subarray(0, firstNewline + 1 || text.length)) : Buffer.alloc(0);
      if (start > 0 && firstNewline === -1) continue;
      text = start > 0 ? text.subarray(firstNewline + 1) : text;
      const lines = text.toString('utf8').split('\n');
      for (let i = lines.length - 1; i >= 0 && found.length < count; i--) {
        if (lines[i] === '') continue;
        const decoded = decodeStoredLine(machine, lines[i]!);
        if (decoded && matches(decoded.record, decoded.cursor)) found.push(decoded);
      }
    }
  } finally {
    closeSync(fd);
  }
  return found;
}
