// Which service's auto stop/start settings govern an app, and which of its process groups they
// cover. The proxy routes HTTP, so the settings of the service that serves HTTP count:
// [http_service], else the first TCP [[services]] with an "http" handler (the one
// httpPortForGroup routes to).
import { servesGroup } from '../config/routing.js';
import type { AppConfig } from '../config/types.js';

export interface ScalePolicy {
  /** Stop machines that had no request for idleTimeoutMs ("suspend" counts as "stop"). */
  autoStop: boolean;
  /** A request to an app with no started machine starts a stopped one. */
  autoStart: boolean;
  /** Auto-stop never leaves fewer started machines than this (it never starts any). */
  minRunning: number;
  idleTimeoutMs: number;
  /** The process groups the service runs in; an empty list means every group. */
  processes: readonly string[];
}

const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;

export function scalePolicy(config: AppConfig): ScalePolicy | undefined {
  const http = config.httpService;
  if (http) {
    return {
      autoStop: http.autoStopMachines !== 'off',
      autoStart: http.autoStartMachines,
      minRunning: http.minMachinesRunning,
      idleTimeoutMs: http.idleTimeoutMs,
      processes: http.processes,
    };
  }
  const service = config.services.find(
    (s) => s.protocol === 'tcp' && s.ports.some((p) => p.handlers.includes('http')),
  );
  if (!service) return undefined;
  return {
    autoStop: service.autoStopMachines !== 'off',
    autoStart: service.autoStartMachines,
    minRunning: service.minMachinesRunning,
    idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
    processes: service.processes,
  };
}

/** Whether machines of `group` are covered by the policy (they serve the routed service). */
export function policyCovers(policy: ScalePolicy, group: string): boolean {
  return servesGroup(policy.processes, group);
}
