// One line of a machine's output as berth keeps and shows it: when, which machine, its process
// group and release, and the text. `berth` lines are the daemon's own words about the machine
// (started, exited, stopped), kept in the same place so a follow tells the whole story.

export type LogStream = 'stdout' | 'stderr' | 'berth';

export interface LogRecord {
  /** ISO 8601, milliseconds. */
  time: string;
  machine: string;
  processGroup: string;
  release: number;
  stream: LogStream;
  line: string;
}

/** How a record sits in a machine's log file: one JSON object a line; the machine is the file. */
interface StoredLine {
  t: string;
  r: number;
  g: string;
  s: LogStream;
  l: string;
  /** The driver's cursor past this line, so a restarted daemon resumes where it left off. */
  c?: string;
}

export function encodeStoredLine(record: Omit<LogRecord, 'machine'>, cursor?: string): string {
  const stored: StoredLine = {
    t: record.time,
    r: record.release,
    g: record.processGroup,
    s: record.stream,
    l: record.line,
  };
  if (cursor !== undefined && cursor !== '') stored.c = cursor;
  return JSON.stringify(stored) + '\n';
}

/** A stored line back as a record with its cursor; undefined for a line that is not one (cut by a crash). */
export function decodeStoredLine(
  machine: string,
  text: string,
): { record: LogRecord; cursor?: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<StoredLine>;
  if (
    typeof v.t !== 'string' ||
    typeof v.r !== 'number' ||
    typeof v.g !== 'string' ||
    typeof v.l !== 'string'
  )
    return undefined;
  const stream: LogStream = v.s === 'stderr' || v.s === 'berth' ? v.s : 'stdout';
  return {
    record: { time: v.t, machine, processGroup: v.g, release: v.r, stream, line: v.l },
    ...(typeof v.c === 'string' && { cursor: v.c }),
  };
}

/** `berth logs` text: "2024-05-01T10:00:00.123Z 3f2a… web v4: listening", daemon lines marked [berth]. */
export function formatLogRecord(record: LogRecord): string {
  const mark = record.stream === 'berth' ? ' [berth]' : '';
  return `${record.time} ${record.machine} ${record.processGroup} v${record.release}${mark}: ${record.line}`;
}
