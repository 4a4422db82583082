// `berth exec MACHINE -- CMD`: a command inside a running machine, through its driver, joined
// to the client's session. The machine is not changed: the command ends, the machine runs on.
import { BerthError } from '../core/errors.js';
import type { ExecRequest } from '../drivers/driver.js';
import type { DaemonDrivers } from './drivers.js';
import type { MachineControl } from './machine-control.js';
import { joinSession, type AcceptSession } from './session-peer.js';

export async function execInMachine(
  deps: { machineControl: MachineControl; drivers: DaemonDrivers },
  app: string,
  idOrName: string,
  request: ExecRequest,
  accept: AcceptSession,
): Promise<void> {
  const machine = deps.machineControl.find(app, idOrName);
  if (!machine.handle || (machine.state !== 'started' && machine.state !== 'starting')) {
    throw new BerthError('machine_conflict', `machine ${machine.id} is ${machine.state}, not running`, {
      hint: `Start it with \`berth machine start ${machine.id}\`, or run a one-off command with \`berth run\`.`,
    });
  }
  // Started before the upgrade is answered, so a refusal is an ordinary HTTP error.
  const session = await deps.drivers.forHandle(machine.handle).exec(machine.handle, request);
  const peer = accept();
  peer.finish(await joinSession(session, peer));
}
