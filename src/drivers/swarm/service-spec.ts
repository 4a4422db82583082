// What the Swarm manager is asked to create for one machine: a service of one replica, pure of
// the spec so it is tested without a swarm. berth keeps its own releases, strategies and
// drains, so the service never changes after its creation (Swarm's update_config is unused):
// a new release is a new machine, a new service. Swarm restarts the task when it exits (a
// one-off's task runs once: MachineSpec.once) and places it again when its node is lost,
// spread over the nodes; its ports are published in host mode (the ingress routing mesh needs
// IPVS, which many hosts lack) on ports berth chose.
import type Docker from 'dockerode';
import type { MachineSpec } from '../driver.js';
import { containerCmd } from '../docker/container-command.js';
import { LABEL, volumeName } from '../docker/names.js';

const LOG_MAX_SIZE = '10m';
const LOG_MAX_FILES = '3';
/** A task that keeps failing is started again after this pause, not in a tight loop. */
const RESTART_DELAY_NS = 1_000_000_000;

export function serviceSpec(
  spec: MachineSpec,
  ids: {
    home: string;
    name: string;
    /** <registry>/berth/<app>:v<N>@sha256:..., which every node pulls from the registry. */
    image: string;
    /** Internal port -> the host port berth allocated for it. */
    published: Record<string, number>;
    hostCpus?: number;
    /** Swarm constraints from the app's placement ([deploy] placement, primary_region). */
    constraints?: string[];
  },
): Docker.CreateServiceOptions {
  const env = { ...spec.env };
  if (spec.ports[0] !== undefined) env.PORT = String(spec.ports[0]);
  const args = containerCmd(spec.command);
  const labels = {
    [LABEL.managed]: 'true',
    [LABEL.home]: ids.home,
    [LABEL.app]: spec.app,
    [LABEL.release]: String(spec.releaseVersion),
    [LABEL.machine]: spec.machineId,
    [LABEL.group]: spec.processGroup,
  };
  const limits = spec.limits ?? {};
  const cpus =
    limits.cpus !== undefined && ids.hostCpus !== undefined && ids.hostCpus > 0
      ? Math.min(limits.cpus, ids.hostCpus)
      : limits.cpus;
  return {
    Name: ids.name,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: ids.image,
        // Args replaces the image's CMD and keeps its ENTRYPOINT, as the docker driver's Cmd does.
        ...(args !== undefined ? { Args: args } : {}),
        // Secrets travel here only, as with the docker driver: never in a label, never logged.
        Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
        Labels: labels,
        StopSignal: spec.killSignal,
        StopGracePeriod: Math.max(0, spec.killTimeoutMs) * 1_000_000,
        Init: true,
        Mounts: (spec.mounts ?? []).map((mount) => ({
          Type: 'volume' as const,
          Source: volumeName(mount.volumeId),
          Target: mount.destination,
        })),
      },
      Resources: {
        Limits: {
          ...(limits.memoryMb !== undefined
            ? { MemoryBytes: Math.round(limits.memoryMb * 1024 * 1024) }
            : {}),
          ...(cpus !== undefined ? { NanoCPUs: Math.round(cpus * 1e9) } : {}),
        },
      },
      // A one-off (a release command, `berth run`) runs once: its exit code is its result.
      RestartPolicy: spec.once ? { Condition: 'none' } : { Condition: 'any', Delay: RESTART_DELAY_NS },
      Placement: placement(spec.mounts ?? [], ids.constraints ?? []),
      LogDriver: { Name: 'json-file', Options: { 'max-size': LOG_MAX_SIZE, 'max-file': LOG_MAX_FILES } },
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: {
      Mode: 'dnsrr',
      // Only the ports berth chose a host port for: a one-off publishes none.
      Ports: spec.ports
        .filter((port) => ids.published[String(port)] !== undefined)
        .map((port) => ({
          Protocol: 'tcp' as const,
          TargetPort: port,
          PublishedPort: ids.published[String(port)]!,
          PublishMode: 'host' as const,
        })),
    },
  };
}

/**
 * Spread over the nodes the constraints allow; a machine whose volume lives on a node is
 * pinned to it (node.id==...), so Swarm never starts it elsewhere with an empty volume.
 */
export function placement(
  mounts: { node?: string }[],
  constraints: string[],
): NonNullable<Docker.TaskSpec['Placement']> {
  const pinned = [...new Set(mounts.flatMap((m) => (m.node ? [m.node] : [])))];
  const all = [...pinned.map((node) => `node.id==${node}`), ...constraints];
  return {
    ...(all.length > 0 && { Constraints: all }),
    Preferences: [{ Spread: { SpreadDescriptor: 'node.id' } }],
  };
}

/** The node a service is pinned to by its volume, if any. */
export function pinnedNode(constraints: string[] | undefined): string | undefined {
  for (const c of constraints ?? []) {
    const match = /^node\.id\s*==\s*(\S+)$/.exec(c);
    if (match) return match[1];
  }
  return undefined;
}
