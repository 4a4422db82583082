// What every row of the docker benchmark measures the same way: constant load around an
// action, the time of the action, and when a port starts answering.
import { fork } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { LoadResult, LoadSettings } from './load.js';
import { sleep } from './engine.js';

const LOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load.js');

export interface LoadOptions {
  rate: number;
  freshFraction: number;
  /** Load before and after the action, so that a late failure is still counted. */
  settleMs: number;
}

/** A row of the deploy table: the time of one deploy and the load around it. */
export interface DeployRow {
  label: string;
  deployMs: number | null;
  load: LoadResult | null;
  note?: string;
}

export interface WakeRow {
  label: string;
  /** One value per round, milliseconds. */
  wakesMs: number[];
  failed: number;
  note?: string;
}

/** Runs `action` under constant load on 127.0.0.1:port; the action's own time and the load's count. */
export async function underLoad(
  target: { port: number; hostHeader: string },
  options: LoadOptions,
  action: () => Promise<void>,
): Promise<{ deployMs: number; load: LoadResult }> {
  const child = fork(LOAD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const message = <T>(type: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (msg: { type: string; result?: T }): void => {
        if (msg.type !== type) return;
        child.off('message', onMessage);
        resolve(msg.result as T);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`the load generator exited (${code})`)));
    });
  try {
    const settings: LoadSettings = {
      host: '127.0.0.1',
      port: target.port,
      hostHeader: target.hostHeader,
      rate: options.rate,
      freshFraction: options.freshFraction,
      timeoutMs: 5_000,
    };
    const started = message('started');
    child.send({ type: 'start', settings });
    await started;
    await sleep(options.settleMs);
    const t0 = performance.now();
    await action();
    const deployMs = performance.now() - t0;
    await sleep(options.settleMs);
    const result = message<LoadResult>('result');
    child.send({ type: 'stop' });
    return { deployMs, load: await result };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** One GET on a new connection: its status, or 0 when it failed. */
export function getStatus(port: number, hostHeader: string, timeoutMs = 2_000): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/', headers: { host: hostHeader }, agent: false },
      (res) => {
        res.resume();
        res.on('error', () => resolve(0));
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Polls until the port answers 2xx; milliseconds waited. Throws after timeoutMs. */
export async function waitAnswers(
  port: number,
  hostHeader: string,
  timeoutMs = 60_000,
  pollMs = 5,
): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const status = await getStatus(port, hostHeader);
    if (status >= 200 && status < 300) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`127.0.0.1:${port} did not answer within ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
