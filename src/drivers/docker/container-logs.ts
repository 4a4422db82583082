// A machine's output through the Engine's logs API: the last lines, or the lines to come. The
// json-file log driver set at create keeps it (10 MB x 3 per container); a machine's next run
// is a new container, so its output starts afresh, as the Engine keeps it per container.
import type Docker from 'dockerode';
import { engineError, unlessGone } from './engine.js';
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

/** Resolves when signal aborts, or when the container's output ends (it stopped, or is gone). */
export async function followContainerLogs(
  container: Docker.Container,
  onLine: (line: string) => void,
  signal: AbortSignal,
  options: { fromStart?: boolean } = {},
): Promise<void> {
  if (signal.aborted) return;
  // From the start: a release command may have finished before the follow attached.
  let stream: NodeJS.ReadableStream | undefined;
  try {
    stream = await unlessGone(() =>
      container.logs({
        stdout: true,
        stderr: true,
        follow: true,
        // The Engine's default is every line.
        ...(options.fromStart ? {} : { tail: 0 }),
        abortSignal: signal,
      }),
    );
  } catch (err) {
    if (signal.aborted) return;
    throw engineError(`following the logs of container ${container.id}`, err);
  }
  if (!stream) return;
  const decoder = new LogLineDecoder();
  const done = new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      for (const line of decoder.push(chunk)) onLine(line.text);
    });
    stream.on('end', () => {
      for (const line of decoder.end()) onLine(line.text);
      resolve();
    });
    stream.on('error', () => resolve());
    stream.on('close', () => resolve());
  });
  const abort = () => (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
  signal.addEventListener('abort', abort, { once: true });
  try {
    await done;
  } finally {
    signal.removeEventListener('abort', abort);
  }
}
