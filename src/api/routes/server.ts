// The daemon itself: `berth server status|stop|restart`. Stopping and restarting leave the
// machines running (as SIGTERM does); the answer is sent before the daemon lets go.
import { BerthError } from '../../core/errors.js';
import { isSupervised } from '../../core/machine-state.js';
import { route, type Route } from '../router.js';
import { ServerControlBody, ServerControlSchema, ServerStatusSchema } from '../server-schemas.js';
import type { ApiServices } from '../services.js';

export function serverRoutes(s: ApiServices): Route[] {
  const control = (action: 'stop' | 'restart') =>
    route({
      method: 'POST',
      path: `/v1/server/${action}`,
      summary:
        action === 'stop'
          ? 'Stop the daemon; machines keep running and the next daemon adopts them'
          : 'Restart the daemon with the same settings and ports; machines keep running',
      access: 'admin',
      tag: 'server',
      body: ServerControlBody,
      response: ServerControlSchema,
      status: 202,
      handler: ({ res, body }) => {
        const { pid: daemonPid } = body;
        if (daemonPid !== process.pid) {
          throw new BerthError('invalid_request', `this daemon is pid ${process.pid}, not ${daemonPid}`, {
            hint: 'It was restarted meanwhile: `berth server status` shows it; ask again with its pid.',
          });
        }
        const act = s.server[action];
        if (!act) {
          throw new BerthError('server_control_unavailable', `this daemon cannot ${action} itself`);
        }
        // Once the answer is out: the client learns it was accepted before the API goes away.
        res.once('finish', () => act());
        return { pid: process.pid, action };
      },
    });
  return [
    route({
      method: 'GET',
      path: '/v1/server',
      summary: 'The daemon: version, pid, uptime, home, listen URLs, drivers, apps and running machines',
      access: 'read',
      tag: 'server',
      response: ServerStatusSchema,
      handler: () => {
        const info = s.server.info();
        const machines = s.store.apps
          .list()
          .flatMap((app) => s.store.machines.listByApp(app.name))
          .filter((m) => isSupervised(m.state)).length;
        return {
          pid: info.pid,
          version: info.version,
          startedAt: info.startedAt,
          uptimeSeconds: Math.max(0, Math.floor((Date.now() - Date.parse(info.startedAt)) / 1000)),
          home: s.server.home,
          apiUrl: info.apiUrl,
          proxyUrl: info.proxyUrl,
          proxyTlsUrl: info.proxyTlsUrl ?? null,
          domain: info.domain,
          defaultDriver: info.driver,
          drivers: s.drivers.names(),
          apps: s.store.apps.list().length,
          machinesRunning: machines,
          controllable: s.server.stop !== undefined,
        };
      },
    }),
    control('stop'),
    control('restart'),
  ];
}
