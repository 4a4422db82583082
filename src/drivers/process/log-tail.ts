// Reading machine log files: the last lines, then (with follow) new lines as they arrive.
import { open, stat } from 'node:fs/promises';

/** The last `count` lines of a file (reads at most the final 1 MiB). */
export async function lastLines(file: string, count: number): Promise<{ lines: string[]; offset: number }> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return { lines: [], offset: 0 };
  }
  const start = Math.max(0, size - 1024 * 1024);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (start > 0) lines.shift(); // first line is likely cut in half
    return { lines: count > 0 ? lines.slice(-count) : [], offset: size };
  } finally {
    await handle.close();
  }
}

/**
 * Follows a file from `offset`, calling onLine for each complete new line, until the signal
 * aborts. Polls: log files are appended by processes the daemon may not own.
 */
export async function followFile(
  file: string,
  offset: number,
  onLine: (line: string) => void,
  signal: AbortSignal,
  pollMs = 200,
  /** Asked when all has been read: once the writer is done, the rest is read and the follow ends. */
  writerDone?: () => Promise<boolean>,
): Promise<void> {
  let position = offset;
  let partial = '';
  let last = false;
  while (!signal.aborted) {
    let size = 0;
    try {
      size = (await stat(file)).size;
    } catch {
      size = 0;
    }
    if (size < position) position = 0; // truncated or replaced
    if (size > position) {
      const handle = await open(file, 'r');
      try {
        const buffer = Buffer.alloc(Math.min(size - position, 1024 * 1024));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        position += bytesRead;
        const text = partial + buffer.subarray(0, bytesRead).toString('utf8');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      } finally {
        await handle.close();
      }
      continue;
    }
    if (last) {
      // A last line without its newline is still output.
      if (partial !== '') onLine(partial);
      return;
    }
    // Asked before the final read: whatever the writer wrote before it was done is read next.
    if (writerDone && (await writerDone())) {
      last = true;
      continue;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
