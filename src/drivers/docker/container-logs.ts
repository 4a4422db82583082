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
 */
export async function followContainerLogs(
  container: Docker.Container,
  onLine: (line: string, info: LineInfo) => void,
  signal: AbortSignal,
  options: FollowOptions = {},
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
        ...(after !== undefined
          ? { since: `${after / 1_000_000_000n}.${String(after % 1_000_000_000n).padStart(9, '0')}` }
          : options.fromStart
            ? {}
            : { tail: 0 }),
        abortSignal: signal,
      } as Docker.ContainerLogsOptions & { follow: true }),
    );
  } catch (err) {
    if (signal.aborted) return;
    throw engineError(`following the logs of container ${container.id}`, err);
  }
  if (!stream) return;
  const decoder = new LogLineDecoder();
  const deliver = (line: { stream: 'stdout' | 'stderr'; text: string }) => {
    const stamped = splitTimestamp(line.text);
    if (after !== undefined && stamped.nanos !== undefined && stamped.nanos <= after) return;
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
  const drain = () => (drainTimer = setTimeout(abort, DRAIN_MS));
  if (options.drain?.aborted) drain();
  else options.drain?.addEventListener('abort', drain, { once: true });
  try {
    await done;
  } finally {
    clearTimeout(drainTimer);
    signal.removeEventListener('abort', abort);
    options.drain?.removeEventListener('abort', drain);
  }
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
