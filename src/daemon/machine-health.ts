// Waiting for one machine started outside a deployment (scale-up, clone, machine start) to be
// healthy, with the same checks and settle time a deploy's batches use.
import { httpPortForGroup } from '../core/config/routing.js';
import { checksForGroup } from '../core/health/checks-for-group.js';
import { maxUnhealthyChecksOf } from '../core/health/unhealthy-streak.js';
import type { Store } from '../store/store.js';
import { unhealthyReason, type HealthMonitor } from './health/health-monitor.js';
import type { MachineSupervisor } from './supervisor.js';

const SETTLE_MS = 1500;

export interface MachineHealthDeps {
  store: Store;
  supervisor: MachineSupervisor;
  health: HealthMonitor;
  hostFor(app: string): string;
}

export type MachineHealthOutcome = { healthy: true } | { healthy: false; reason: string };

export async function awaitMachineHealthy(
  deps: MachineHealthDeps,
  machineId: string,
  onProgress: (line: string) => void = () => {},
  maxWaitMs = Number.POSITIVE_INFINITY,
): Promise<MachineHealthOutcome> {
  const machine = deps.store.machines.get(machineId);
  if (!machine?.handle) return { healthy: false, reason: `machine ${machineId} did not start` };
  const release = deps.store.releases.get(machine.app, machine.releaseVersion)!;
  const checks = machine.managed ? checksForGroup(release.config, machine.processGroup) : [];
  const port = machine.runConfig
    ? (machine.runConfig.port ?? undefined)
    : httpPortForGroup(release.config, machine.processGroup);
  const listens = port !== undefined;
  const waitMs = Math.min(release.config.deploy.waitTimeoutMs, maxWaitMs);
  const outcome = await deps.health.waitHealthy({
    machineId,
    address: listens || checks.length > 0 ? machine.address : null,
    checks,
    hostHeader: deps.hostFor(machine.app),
    startedAt: machine.startedAt ? Date.parse(machine.startedAt) : Date.now(),
    deadline: Date.now() + waitMs,
    settleMs: SETTLE_MS,
    isAlive: () => deps.supervisor.isAlive(machineId),
    onProgress,
    listeningPorts: () => deps.supervisor.listeningPorts(machineId),
    maxUnhealthyChecks: maxUnhealthyChecksOf(release.config.deploy),
    ...(port !== undefined && { internalPort: port }),
  });
  if (outcome.state === 'healthy') return { healthy: true };
  const why = unhealthyReason(outcome, waitMs);
  const lines = await deps.supervisor.recentLogLines(machineId);
  const tail = lines.length ? `\n  last log lines of ${machineId}:\n    ${lines.join('\n    ')}` : '';
  return { healthy: false, reason: `machine ${machineId}: ${why}${tail}` };
}
