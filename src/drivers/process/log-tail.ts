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

/** What followFile reports besides a line: when (the file's mtime as read) and the offset past it. */
export interface FileLineInfo {
  time: string;
  cursor: string;
}

/**
 * Follows a file from `offset`, calling onLine for each complete new line, until the signal
 * aborts, or until `drain` aborts and what is written so far has been delivered. Polls: log
 * files are appended by processes the daemon may not own. With reclaimBytes, a file read to
 * its end past that size is emptied (its writers append, so they go on at its new end); a
 * line written in the instant between the last read and the truncation is lost.
 */
export async function followFile(
  file: string,
  offset: number,
  onLine: (line: string, info: FileLineInfo) => void,
  signal: AbortSignal,
  options: { pollMs?: number; drain?: AbortSignal; reclaimBytes?: number } = {},
): Promise<void> {
  let position = offset;
  let partial = Buffer.alloc(0);
  const pollMs = options.pollMs ?? 200;
  const reclaim = options.reclaimBytes;
  for (;;) {
    if (signal.aborted) return;
    const draining = options.drain?.aborted === true;
    let size = 0;
    let mtime = new Date();
    try {
      const info = await stat(file);
      size = info.size;
      mtime = info.mtime;
    } catch {
      size = 0;
    }
    if (size < position) {
      position = 0; // truncated or replaced
      partial = Buffer.alloc(0);
    }
    if (size > position) {
      const handle = await open(file, 'r');
      try {
        const buffer = Buffer.alloc(Math.min(size - position, 1024 * 1024));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        position += bytesRead;
        const chunk =
          partial.length > 0
            ? Buffer.concat([partial, buffer.subarray(0, bytesRead)])
            : buffer.subarray(0, bytesRead);
        // Byte offsets, not characters: the cursor is a place in the file.
        const chunkStart = position - chunk.length;
        let start = 0;
        const time = mtime.toISOString();
        for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
          onLine(chunk.subarray(start, nl).toString('utf8'), { time, cursor: String(chunkStart + nl + 1) });
          start = nl + 1;
        }
        partial = Buffer.from(chunk.subarray(start));
      } finally {
        await handle.close();
      }
      // Read to a line's end past the mark: emptied now, or a busy writer would keep it growing.
      if (
        reclaim !== undefined &&
        position >= reclaim &&
        partial.length === 0 &&
        (await emptyIfUnchanged(file, position))
      )
        position = 0;
      continue;
    }
    if (draining) {
      if (partial.length > 0)
        onLine(partial.toString('utf8'), { time: mtime.toISOString(), cursor: String(position) });
      return;
    }
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(wake, pollMs);
      signal.addEventListener('abort', wake, { once: true });
      options.drain?.addEventListener('abort', wake, { once: true });
    });
  }
}

/** Truncates the file when it still holds exactly `size` bytes (all of them delivered). */
async function emptyIfUnchanged(file: string, size: number): Promise<boolean> {
  const handle = await open(file, 'r+');
  try {
    if ((await handle.stat()).size !== size) return false;
    await handle.truncate(0);
    return true;
  } finally {
    await handle.close();
  }
}
