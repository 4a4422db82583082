// One machine at a time: run an unmanaged machine, clone, start, stop, destroy, status.
import type { Machine } from '../../store/machines.js';
import { requireApp } from '../lookups.js';
import { route, type Route } from '../router.js';
import { MachineSchema } from '../schemas.js';
import { MachineDetailSchema, RunMachineBody } from '../machine-schemas.js';
import type { ApiServices } from '../services.js';
import { machineView } from '../views.js';
import { queryFlag } from '../query.js';

/** Env values given with -e may be credentials: only their names leave the daemon. */
function runConfigView(m: Machine) {
  if (!m.runConfig) return null;
  return {
    envNames: Object.keys(m.runConfig.env).sort(),
    port: m.runConfig.port,
    autoDestroy: m.runConfig.autoDestroy,
    artifact: m.runConfig.artifactDigest,
  };
}

export function machineControlRoutes(s: ApiServices): Route[] {
  const one = (path: string) => `/v1/apps/{app}/machines/{machine}${path}`;
  return [
    route({
      method: 'POST',
      path: '/v1/apps/{app}/machines',
      summary: 'Run an unmanaged machine from a release (default: the current one) or an uploaded artifact',
      // A machine of a release, as scaling up makes one.
      access: 'deploy',
      tag: 'machines',
      body: RunMachineBody,
      // An environment of values up to 64 KB each.
      maxBody: 256 * 1024,
      response: MachineSchema,
      status: 201,
      handler: async ({ params, body }) => {
        const app = requireApp(s.store, params.app!).name;
        return machineView(await s.machineControl.run(app, body));
      },
    }),
    route({
      method: 'GET',
      path: one(''),
      summary:
        'A machine (by id or name): state, release, group, address, restarts, last exit, recent events',
      access: 'read',
      tag: 'machines',
      response: MachineDetailSchema,
      handler: ({ params }) => {
        const app = requireApp(s.store, params.app!).name;
        const { machine, events } = s.machineControl.status(app, params.machine!);
        return { machine: machineView(machine), runConfig: runConfigView(machine), events };
      },
    }),
    route({
      method: 'POST',
      path: one('/clone'),
      summary: 'A copy of a machine with the same release and config; a managed copy joins its group',
      access: 'deploy',
      tag: 'machines',
      response: MachineSchema,
      status: 201,
      handler: async ({ params, user }) => {
        const app = requireApp(s.store, params.app!).name;
        return machineView(await s.machineControl.clone(app, params.machine!, user));
      },
    }),
    route({
      method: 'POST',
      path: one('/start'),
      summary: 'Start a stopped machine; a managed one takes traffic once healthy',
      access: 'deploy',
      tag: 'machines',
      response: MachineSchema,
      handler: async ({ params }) => {
        const app = requireApp(s.store, params.app!).name;
        return machineView(await s.machineControl.start(app, params.machine!));
      },
    }),
    route({
      method: 'POST',
      path: one('/stop'),
      summary: 'Drain and stop a machine; it stays stopped until started',
      access: 'deploy',
      tag: 'machines',
      response: MachineSchema,
      handler: async ({ params }) => {
        const app = requireApp(s.store, params.app!).name;
        return machineView(await s.machineControl.stop(app, params.machine!));
      },
    }),
    route({
      method: 'DELETE',
      path: one(''),
      summary: 'Destroy a machine; a started one only with ?force=1 (drained first)',
      // As scaling down removes one; the app's volumes stay.
      access: 'deploy',
      tag: 'machines',
      response: MachineSchema,
      handler: async ({ params, query }) => {
        const app = requireApp(s.store, params.app!).name;
        const force = queryFlag(query, 'force');
        return machineView(await s.machineControl.destroy(app, params.machine!, force));
      },
    }),
  ];
}
