// Every API route, in one list.
import { appRoutes } from './routes/apps.js';
import { artifactRoutes } from './routes/artifacts.js';
import { certificateRoutes } from './routes/certs.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { deployRoutes } from './routes/deploys.js';
import { eventRoutes } from './routes/events.js';
import { ipRoutes } from './routes/ips.js';
import { lockRoutes } from './routes/locks.js';
import { nodeRoutes } from './routes/nodes.js';
import { machineControlRoutes } from './routes/machine-control.js';
import { machineRoutes } from './routes/machines.js';
import { metaRoutes } from './routes/meta.js';
import { notifyRoutes } from './routes/notify.js';
import { metricsRoutes } from './routes/metrics.js';
import { releaseRoutes } from './routes/releases.js';
import { rollbackRoutes } from './routes/rollback.js';
import { scheduleRoutes } from './routes/schedules.js';
import { secretRoutes } from './routes/secrets.js';
import { serverRoutes } from './routes/server.js';
import { sessionRoutes } from './routes/sessions.js';
import { volumeRoutes } from './routes/volumes.js';
import { scaleRoutes } from './routes/scale.js';
import { tokenRoutes } from './routes/tokens.js';
import { Router, type Route } from './router.js';
import type { ApiServices } from './services.js';

export function buildRouter(services: ApiServices): Router {
  const routes: Route[] = [];
  routes.push(
    ...metaRoutes(services.version, () => routes),
    ...appRoutes(services),
    ...artifactRoutes(services),
    ...deployRoutes(services),
    ...rollbackRoutes(services),
    ...lockRoutes(services),
    ...nodeRoutes(services),
    ...releaseRoutes(services),
    ...machineRoutes(services),
    ...secretRoutes(services),
    ...volumeRoutes(services),
    ...machineControlRoutes(services),
    ...scaleRoutes(services),
    ...certificateRoutes(services),
    ...ipRoutes(services),
    ...eventRoutes(services),
    ...scheduleRoutes(services),
    ...notifyRoutes(services),
    ...metricsRoutes(services),
    ...sessionRoutes(services),
    ...serverRoutes(services),
    ...tokenRoutes(services),
    ...dashboardRoutes({ tokens: services.store.tokens, sessions: services.store.dashboardSessions }),
  );
  return new Router(routes);
}
