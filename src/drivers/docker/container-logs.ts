// A machine's output through the Engine's logs API: the last lines, or the lines to come. The
// json-file log driver set at create keeps it (10 MB x 3 per container); a machine's next run
// is a new container, so its output starts afresh, as the Engine keeps it per container.
import type Docker from 'dockerode';
import { engineError, unlessGone } from './engine.js';
import type { FollowOptions, LineInfo } from '../driver.js';
import { LogLineDecoder } from './log-frames.js';

export async function tailContainerLogs(container: Docker.Container, count: number): Promise<string[]> {
  if (count <= 0) return [];
  let output: Buffer | undefined;
  try {
    output = await unlessGone(() =>
      container.logs({ stdout: true, stderr: true, tail: count, follow: false }),
    );
  } catch (err) {
    throw engineError(`reading the logs of container ${container.id}`, err);
  }
  if (!output) return [];
  const decoder = new LogLineDecoder();
  return [...decoder.push(output), ...decoder.end()].map((line) => line.text).slice(-count);
}

/**
 * Resolves when signal aborts, or when the container's output ends (it stopped, or is gone).
 * Lines come with the Engine's own timestamps; the cursor is a line's stamp in nanoseconds.
 * drainMs: how long a drained follow waits for the stream to end by itself (a Swarm service's
 * never does; with untilExit, the catch-up read brings what it had not delivered).
 */
export async function followContainerLogs(
  container: Docker.Container,
  onLine: (line: string, info: LineInfo) => void,
  signal: AbortSignal,
  options: FollowOptions = {},
  drainMs = DRAIN_MS,
): Promise<void> {
  if (signal.aborted) return;
  const after =
    options.after !== undefined && /^\d+$/.test(options.after) ? BigInt(options.after) : undefined;
  // From the start: a release command may have finished before the follow attached.
  let stream: NodeJS.ReadableStream | undefined;
  try {
    stream = await unlessGone(() =>
      container.logs({
        stdout: true,
        stderr: true,
        follow: true,
        timestamps: true,
        // The Engine's default is every line; `since` keeps the lines stamped at or after it.
        ...(after !== undefined ? { since: engineTime(after) } : options.fromStart ? {} : { tail: 0 }),
        abortSignal: signal,
      } as Docker.ContainerLogsOptions & { follow: true }),
    );
  } catch (err) {
    if (signal.aborted) return;
    throw engineError(`following the logs of container ${container.id}`, err);
  }
  if (!stream) return;
  const decoder = new LogLineDecoder();
  // The last stamp delivered and how many lines carried it: a catch-up read skips exactly those.
  let lastNanos: bigint | undefined;
  let atLastNanos = 0;
  const deliver = (line: { stream: 'stdout' | 'stderr'; text: string }) => {
    const stamped = splitTimestamp(line.text);
    if (after !== undefined && stamped.nanos !== undefined && stamped.nanos <= after) return;
    if (stamped.nanos !== undefined) {
      atLastNanos = stamped.nanos === lastNanos ? atLastNanos + 1 : 1;
      lastNanos = stamped.nanos;
    }
    onLine(stamped.text, {
      time: stamped.time ?? new Date().toISOString(),
      stream: line.stream,
      cursor: String(stamped.nanos ?? ''),
    });
  };
  const done = new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      for (const line of decoder.push(chunk)) deliver(line);
    });
    stream.on('end', () => {
      for (const line of decoder.end()) deliver(line);
      resolve();
    });
    stream.on('error', () => resolve());
    stream.on('close', () => resolve());
  });
  const abort = () => (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
  signal.addEventListener('abort', abort, { once: true });
  // A stopped container's stream ends once its last lines are out; one that does not is let go.
  let drainTimer: NodeJS.Timeout | undefined;
  const drain = () => (drainTimer = setTimeout(abort, drainMs));
  if (options.drain?.aborted) drain();
  else options.drain?.addEventListener('abort', drain, { once: true });
  try {
    await done;
  } finally {
    clearTimeout(drainTimer);
    signal.removeEventListener('abort', abort);
    options.drain?.removeEventListener('abort', drain);
  }
  // The Engine can end a follow as the container exits before its last lines are read from the
  // log file (`berth run` lost a command's final line): read once more what came after.
  if (options.untilExit && !signal.aborted)
    await catchUp(container, lastNanos ?? after, atLastNanos, deliver);
}

async function catchUp(
  container: Docker.Container,
  since: bigint | undefined,
  skipAtSince: number,
  deliver: (line: { stream: 'stdout' | 'stderr'; text: string }) => void,
): Promise<void> {
  let output: Buffer | undefined;
  try {
    output = await unlessGone(() =>
      container.logs({
        stdout: true,
        stderr: true,
        follow: false,
        timestamps: true,
        ...(since !== undefined ? { since: engineTime(since) } : {}),
      }),
    );
  } catch {
    return; // the follow delivered what it could; a vanished container has nothing more
  }
  if (!output) return;
  const decoder = new LogLineDecoder();
  let skip = skipAtSince;
  for (const line of [...decoder.push(output), ...decoder.end()]) {
    const nanos = splitTimestamp(line.text).nanos;
    if (since !== undefined && nanos !== undefined) {
      if (nanos < since) continue;
      if (nanos === since && skip > 0) {
        skip--;
        continue;
      }
    }
    deliver(line);
  }
}

/** The Engine's `since`: seconds with a nine-digit fraction. */
function engineTime(nanos: bigint): string {
  return `${nanos / 1_000_000_000n}.${String(nanos % 1_000_000_000n).padStart(9, '0')}`;
}

const DRAIN_MS = 5000;
const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z ?/;

/** "2024-05-01T10:00:00.123456789Z text" -> its text, ISO time (ms) and nanoseconds since the epoch. */
export function splitTimestamp(line: string): { text: string; time?: string; nanos?: bigint } {
  const match = STAMP.exec(line);
  if (!match) return { text: line };
  const wholeSecondsMs = Date.parse(`${match[1]}Z`);
  if (Number.isNaN(wholeSecondsMs)) return { text: line };
  const fraction = (match[2] ?? '').padEnd(9, '0');
  const nanos = BigInt(wholeSecondsMs) * 1_000_000n + BigInt(fraction);
  return {
    text: line.slice(match[0].length),
    time: new Date(wholeSecondsMs + Number(fraction.slice(0, 3))).toISOString(),
    nanos,
  };
}
