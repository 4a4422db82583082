// Apps: create, list, show, status, destroy.
import { Type } from '@sinclair/typebox';
import { seesApp } from '../../core/access.js';
import { requireApp } from '../lookups.js';
import { route, type Route } from '../router.js';
import { appSummary, machineConditions, machineStatusView } from '../app-summary.js';
import { usageView } from './metrics.js';
import {
  AppDestroyedResponse,
  AppSchema,
  AppSummarySchema,
  CreateAppBody,
  StatusSchema,
} from '../schemas.js';
import type { ApiServices } from '../services.js';
import { appView, releaseView } from '../views.js';

export function appRoutes(s: ApiServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/v1/apps',
      summary: 'List apps, each with its state, release, machines, restarts and URLs',
      // Shows only the token's apps.
      access: 'read',
      tag: 'apps',
      response: Type.Array(AppSummarySchema),
      handler: ({ principal }) =>
        s.store.apps
          .list()
          .filter((a) => seesApp(principal, a.name))
          .map((a) => appSummary(s, a)),
    }),
    route({
      method: 'POST',
      path: '/v1/apps',
      summary: 'Create an app',
      access: 'admin',
      tag: 'apps',
      body: CreateAppBody,
      response: AppSchema,
      status: 201,
      handler: ({ body, user }) => appView(s.appCreator.create(body.name, user), s.urlFor(body.name)),
    }),
    route({
      method: 'GET',
      path: '/v1/apps/{app}',
      summary: 'Show an app',
      access: 'read',
      tag: 'apps',
      response: AppSchema,
      handler: ({ params }) => appView(requireApp(s.store, params.app!), s.urlFor(params.app!)),
    }),
    route({
      method: 'GET',
      path: '/v1/apps/{app}/status',
      summary: 'App status: state, current release, running deployment and machines',
      access: 'read',
      tag: 'apps',
      response: StatusSchema,
      handler: async ({ params }) => {
        const app = requireApp(s.store, params.app!);
        const release =
          app.currentRelease !== null ? s.store.releases.get(app.name, app.currentRelease) : undefined;
        const deployment = s.store.deployments.running(app.name);
        const now = Date.now();
        const machines = s.store.machines.listByApp(app.name);
        const conditions = machineConditions(s, app.name, machines, now);
        return {
          app: appSummary(s, app, now),
          release: release ? releaseView(release) : null,
          deployment: deployment
            ? {
                id: deployment.id,
                releaseVersion: deployment.releaseVersion,
                status: deployment.status,
                step: deployment.step,
              }
            : null,
          machines: machines.map((m) => machineStatusView(m, conditions.get(m.id), now)),
          usage: await usageView(s, app.name),
        };
      },
    }),
    route({
      method: 'DELETE',
      path: '/v1/apps/{app}',
      summary: 'Destroy an app: stop its machines, remove its routes, releases and files',
      access: 'admin',
      tag: 'apps',
      response: AppDestroyedResponse,
      handler: ({ params, user }) => s.appDestroyer.destroy(requireApp(s.store, params.app!).name, user),
    }),
  ];
}
