// Whether a machine that does not answer on its port listens somewhere else. On the process
// driver every machine shares the host's network and gets its own port in $PORT; an app that
// listens on a fixed port (fly's internal_port, often 8080) would otherwise be waited on until
// the deploy's wait_timeout. Pure: the driver reports the ports, the health wait asks.

export type PortJudgement =
  /** The expected port is among those it listens on: keep waiting for it to answer. */
  | { state: 'listening' }
  /** It listens nowhere yet: still starting. */
  | { state: 'not-yet' }
  /** It listens, but only on other ports: it will never answer on the expected one. */
  | { state: 'wrong-port'; ports: number[]; message: string; hint: string };

export interface PortInput {
  /** The port the machine was given and must listen on ($PORT on the process driver). */
  expected: number;
  /** The TCP ports its processes listen on, on any address. */
  listening: readonly number[];
  /** The config's internal_port for the machine's group, when it serves one, for the message. */
  internalPort?: number;
}

export function judgeListeningPorts(input: PortInput): PortJudgement {
  const ports = [...new Set(input.listening)].sort((a, b) => a - b);
  if (ports.includes(input.expected)) return { state: 'listening' };
  if (ports.length === 0) return { state: 'not-yet' };
  const named = ports.map((p) => (p === input.internalPort ? `${p} (its internal_port)` : String(p)));
  const list =
    named.length === 1 ? `port ${named[0]}` : `ports ${named.slice(0, -1).join(', ')} and ${named.at(-1)}`;
  const fixed = input.internalPort ?? ports[0]!;
  return {
    state: 'wrong-port',
    ports,
    message: `listens on ${list}, not on the port berth gave it in $PORT (${input.expected}), so it can never answer`,
    hint:
      `Make the app listen on the port in the PORT environment variable (e.g. process.env.PORT), as berth gives each machine its own; ` +
      `or deploy it with the docker driver, where it listens on internal_port ${fixed} inside its container.`,
  };
}
