// Where a container is reached. The proxy and health checks go to the container's own address
// on its bridge network, <container IP>:<internal port>, and never through a published port:
// Docker's userland forwarder (docker-proxy) accepts a connection on a published port whether
// or not the app inside listens yet (or still), then closes it. A connect-based readiness
// check would call a container ready the moment it starts, and the proxy would send requests
// to a machine that is not listening, failing them during rollouts. The bridge address refuses
// a connection (RST) until the app listens, like a process machine's port. Each port is still
// published on 127.0.0.1 (an Engine-chosen host port) for people; that address is used only
// where the host cannot reach the bridge (rootless Docker, Docker Desktop, macOS).

/** inspect's NetworkSettings.Networks entry, the fields read here. */
export interface EndpointJson {
  NetworkID?: string;
  IPAddress?: string;
}

/** Internal port -> "127.0.0.1:<host port>", from inspect's NetworkSettings.Ports. */
export function publishedAddresses(
  ports: Record<string, { HostIp: string; HostPort: string }[] | null | undefined> | undefined,
): Record<string, string> {
  const addresses: Record<string, string> = {};
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const [port, protocol] = key.split('/');
    if (protocol !== 'tcp' || port === undefined) continue;
    const binding = (bindings ?? []).find((b) => b.HostIp === '127.0.0.1') ?? bindings?.[0];
    if (binding?.HostPort) addresses[port] = `127.0.0.1:${binding.HostPort}`;
  }
  return addresses;
}

/** The addresses in the order of the spec's ports: the first is the HTTP service's. */
export function orderedAddresses(ports: number[], published: Record<string, string>): Record<string, string> {
  const addresses: Record<string, string> = {};
  for (const port of ports) {
    const address = published[String(port)];
    if (address !== undefined) addresses[String(port)] = address;
  }
  return addresses;
}

/**
 * The container's IPv4 address on a bridge network, or undefined when it has none (not
 * running, `--network none`, a network of another kind, an Engine whose bridge the host
 * cannot reach).
 */
export function bridgeAddress(
  networks: Record<string, EndpointJson> | undefined,
  isBridge: (networkId: string) => boolean,
): string | undefined {
  for (const endpoint of Object.values(networks ?? {})) {
    if (endpoint.IPAddress && endpoint.NetworkID && isBridge(endpoint.NetworkID)) return endpoint.IPAddress;
  }
  return undefined;
}

/**
 * What the proxy and health checks reach for each port, in the spec's order: the bridge
 * address when there is one, else the published one. No address for a port that has neither
 * (a container that exited at once has lost both).
 */
export function machineAddresses(
  ports: number[],
  published: Record<string, string>,
  bridgeIp: string | undefined,
): Record<string, string> {
  if (bridgeIp === undefined) return orderedAddresses(ports, published);
  return Object.fromEntries(ports.map((port) => [String(port), `${bridgeIp}:${port}`]));
}

/** What the Engine says of itself, the fields read here (`docker info`). */
export interface EngineInfoJson {
  OperatingSystem?: string;
  SecurityOptions?: string[];
}

/**
 * Whether this host reaches containers' bridge addresses: a Linux host whose Engine runs on it
 * as root. A rootless Engine keeps its bridge inside its own namespace, and Docker Desktop
 * keeps it inside a VM; both are reached through published ports only.
 */
export function hostReachesBridge(
  info: EngineInfoJson,
  platform: string,
): { reachable: boolean; why: string } {
  if (platform !== 'linux') return { reachable: false, why: `the host is ${platform}, not Linux` };
  if ((info.SecurityOptions ?? []).some((option) => /name=rootless/.test(option))) {
    return { reachable: false, why: 'the Engine is rootless' };
  }
  if (/docker desktop/i.test(info.OperatingSystem ?? '')) {
    return { reachable: false, why: 'the Engine is Docker Desktop' };
  }
  return { reachable: true, why: 'a Linux host with a rootful Engine' };
}
