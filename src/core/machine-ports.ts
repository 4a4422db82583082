// The ports a machine serves inside its own network: its group's HTTP port first (the one the
// proxy routes to), then the internal ports of the other services that run in its group. A
// `machine run` machine serves only the --port it was given.
import { httpPortForGroup, servesGroup } from './config/routing.js';
import type { AppConfig } from './config/types.js';
import type { MachineRunConfig } from './machine-run-config.js';

export function machinePorts(
  machine: { processGroup: string; runConfig: MachineRunConfig | null },
  release: { config: AppConfig },
): number[] {
  if (machine.runConfig) return machine.runConfig.port === null ? [] : [machine.runConfig.port];
  const { config } = release;
  const ports: number[] = [];
  const add = (port: number | undefined) => {
    if (port !== undefined && !ports.includes(port)) ports.push(port);
  };
  add(httpPortForGroup(config, machine.processGroup));
  if (config.httpService && servesGroup(config.httpService.processes, machine.processGroup)) {
    add(config.httpService.internalPort);
  }
  for (const service of config.services) {
    if (servesGroup(service.processes, machine.processGroup)) add(service.internalPort);
  }
  return ports;
}
