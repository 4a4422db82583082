// What really runs for an app under one daemon home, held against what the daemon recorded, on
// each driver: process groups (process) or containers labelled with the home (docker). A
// crash test asks for no dead recorded machine and no live run the daemon does not know.
import { readFileSync } from 'node:fs';
import type { DriverName } from '../../src/core/drivers.js';
import { isAlive, processesOfApp, type TestDaemon } from './daemon.js';
import { homeFilter } from './home-filter.js';
import { Engine } from './docker-engine.js';

export interface MachineRuns {
  /** Recorded runs (pid or container id) that are not running. */
  dead: string[];
  /** Live runs of the app that belong to no recorded machine. */
  stray: string[];
}

export async function machineRuns(driver: DriverName, daemon: TestDaemon, app: string): Promise<MachineRuns> {
  const recorded = [...daemon.machineRefs().values()];
  if (driver === 'process') {
    const leaders = recorded.map(Number);
    return {
      dead: recorded.filter((pid) => !isAlive(Number(pid))),
      stray: processesOfApp(app, daemon.home)
        .filter((pid) => !leaders.some((leader) => isInGroup(pid, leader)))
        .map(String),
    };
  }
  const running = await new Engine().json<{ Id: string; Labels: Record<string, string> }[]>(
    'GET',
    `/containers/json?filters=${homeFilter(daemon.home)}`,
  );
  return {
    dead: recorded.filter((id) => !running.some((c) => c.Id === id)),
    stray: running.filter((c) => c.Labels['berth.app'] === app && !recorded.includes(c.Id)).map((c) => c.Id),
  };
}

/** Whether pid belongs to the process group led by leader. */
function isInGroup(pid: number, leader: number): boolean {
  if (pid === leader) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]) === leader;
  } catch {
    return false;
  }
}
