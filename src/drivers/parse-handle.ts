// The one reader of a machine's stored handle. Each driver's handle is checked field by field;
// a row written before handles were typed (`ref` holding the pid as a string, one `address`)
// is converted, so a daemon upgraded while machines run still adopts them.
import type { DockerHandle, MachineHandle, ProcessHandle, SwarmHandle } from './driver.js';

/** The handle in a machine row's JSON, or null when there is none or it is not one. */
export function parseHandle(json: string | null): MachineHandle | null {
  if (json === null || json === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  return readHandle(value) ?? null;
}

export function readHandle(value: unknown): MachineHandle | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.driver === 'process') return readProcessHandle(v);
  if (v.driver === 'docker') return readDockerHandle(v);
  if (v.driver === 'swarm') return readSwarmHandle(v);
  return undefined;
}

function readProcessHandle(v: Record<string, unknown>): ProcessHandle | undefined {
  if (typeof v.logPath !== 'string') return undefined;
  // The old shape: { ref: "4242", address?: "127.0.0.1:41234" }.
  const pid = typeof v.pid === 'number' ? v.pid : typeof v.ref === 'string' ? Number(v.ref) : NaN;
  // Never 0 or 1: kill(-0) signals the daemon's own group and kill(-1) every process it may.
  if (!Number.isSafeInteger(pid) || pid <= 1) return undefined;
  const addresses = 'addresses' in v ? readAddresses(v.addresses) : legacyAddresses(v.address);
  if (!addresses) return undefined;
  const handle: ProcessHandle = { driver: 'process', pid, logPath: v.logPath, addresses };
  if (typeof v.startTime === 'string') handle.startTime = v.startTime;
  return handle;
}

function readDockerHandle(v: Record<string, unknown>): DockerHandle | undefined {
  if (typeof v.containerId !== 'string' || !/^[0-9a-f]{12,64}$/.test(v.containerId)) return undefined;
  if (typeof v.containerName !== 'string' || v.containerName === '') return undefined;
  const addresses = readAddresses(v.addresses);
  if (!addresses) return undefined;
  // Handles written before `published` held the published addresses as their addresses.
  const published = 'published' in v ? readAddresses(v.published) : addresses;
  if (!published) return undefined;
  return {
    driver: 'docker',
    containerId: v.containerId,
    containerName: v.containerName,
    addresses,
    published,
  };
}

function readSwarmHandle(v: Record<string, unknown>): SwarmHandle | undefined {
  for (const key of ['serviceId', 'serviceName', 'taskId', 'nodeId'] as const) {
    if (typeof v[key] !== 'string') return undefined;
  }
  if (!/^[0-9a-z]{10,64}$/.test(v.serviceId as string) || v.serviceName === '') return undefined;
  const addresses = readAddresses(v.addresses);
  if (!addresses || typeof v.published !== 'object' || v.published === null) return undefined;
  const published: Record<string, number> = {};
  for (const [port, hostPort] of Object.entries(v.published)) {
    if (!/^\d{1,5}$/.test(port) || !Number.isInteger(hostPort)) return undefined;
    published[port] = hostPort as number;
  }
  return {
    driver: 'swarm',
    serviceId: v.serviceId as string,
    serviceName: v.serviceName as string,
    taskId: v.taskId as string,
    nodeId: v.nodeId as string,
    addresses,
    published,
  };
}

function readAddresses(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const addresses: Record<string, string> = {};
  for (const [port, address] of Object.entries(value)) {
    if (!/^\d{1,5}$/.test(port) || typeof address !== 'string' || address === '') return undefined;
    addresses[port] = address;
  }
  return addresses;
}

/** An old handle's one address, keyed by its own port (the process driver's PORT). */
function legacyAddresses(address: unknown): Record<string, string> | undefined {
  if (address === undefined || address === null) return {};
  if (typeof address !== 'string') return undefined;
  const port = /:(\d{1,5})$/.exec(address)?.[1];
  return port ? { [port]: address } : undefined;
}
