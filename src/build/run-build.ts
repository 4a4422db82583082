// Runs a release's `[build] command` once, in the release's unpacked tree, streaming its
// output line by line. The build sees the config's [env] plus BERTH_APP and
// BERTH_RELEASE_VERSION, never the daemon's own environment.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface BuildResult {
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
}

export function runBuild(options: {
  command: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
}): Promise<BuildResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', options.command], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout kills everything the build started
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, options.timeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => options.onLine('stdout', line));
    createInterface({ input: child.stderr }).on('line', (line) => options.onLine('stderr', line));
    child.on('error', (err) => options.onLine('stderr', `could not start the build: ${err.message}`));
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({
        ok: exitCode === 0 && !timedOut,
        exitCode,
        signal,
        timedOut,
        durationMs: Date.now() - started,
      });
    });
  });
}
