// Deciding that a freshly started machine can take traffic: it accepts connections on its
// port, or (for a process without one) it stays up for a short settle time.
import { connect } from 'node:net';

export function canConnect(address: string, timeoutMs = 500): Promise<boolean> {
  const [host, port] = splitAddress(address);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}

export type ReadyOutcome = { ready: true } | { ready: false; reason: 'exited' | 'timeout' };

/**
 * Polls until the machine is ready, it dies, or the deadline passes. `isAlive` is asked on
 * every round so a crash fails the wait at once rather than at the deadline.
 */
export async function waitUntilReady(options: {
  address: string | null;
  isAlive: () => Promise<boolean>;
  timeoutMs: number;
  settleMs: number;
}): Promise<ReadyOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  const startedAt = Date.now();
  while (Date.now() < deadline) {
    if (!(await options.isAlive())) return { ready: false, reason: 'exited' };
    if (options.address) {
      if (await canConnect(options.address)) return { ready: true };
    } else if (Date.now() - startedAt >= options.settleMs) {
      return { ready: true };
    }
    await sleep(100);
  }
  return { ready: false, reason: 'timeout' };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
