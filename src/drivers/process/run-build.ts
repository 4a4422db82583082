// Runs a release's `[build] command` once, in the release's unpacked tree, streaming its
// output line by line. The build sees the config's [env] plus BERTH_APP and
// BERTH_RELEASE_VERSION over the driver's few host variables (host-env.ts), never the daemon's
// own environment. Where and as whom it runs is the driver's choice (launch); without one, a
// shell on the host.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { BuildLaunch } from './build-launch.js';

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
  launch?: Pick<BuildLaunch, 'file' | 'args' | 'exitOf'>;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
}): Promise<BuildResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const launch = options.launch ?? {
      file: '/bin/sh',
      args: ['-c', options.command],
      exitOf: (exitCode: number | null, signal: NodeJS.Signals | null) => ({ exitCode, signal }),
    };
    const child = spawn(launch.file, launch.args, {
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
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      const { exitCode, signal } = launch.exitOf(code, sig);
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
