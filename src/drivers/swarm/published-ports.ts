// The host ports a machine's internal ports are published on. Host mode publishes a port on the
// node that runs the task, so a port must be free on whichever node Swarm picks: berth gives
// each machine of the swarm ports no other service of the swarm publishes.

/** Below the ingress mesh's automatic range (30000-32767) and above most services' own ports. */
export const PUBLISHED_PORT_RANGE = { first: 20000, last: 29999 } as const;

/** `count` ports of the range not in `used`, starting from `start` (spread, so restarts rarely collide). */
export function choosePorts(used: ReadonlySet<number>, count: number, start: number): number[] {
  const { first, last } = PUBLISHED_PORT_RANGE;
  const size = last - first + 1;
  const chosen: number[] = [];
  for (let i = 0; i < size && chosen.length < count; i++) {
    const port = first + ((((start - first + i) % size) + size) % size);
    if (!used.has(port)) chosen.push(port);
  }
  return chosen.length === count ? chosen : [];
}
