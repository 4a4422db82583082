// Apps: create, list, show, status, destroy.
import { Type } from '@sinclair/typebox';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { assertAppName } from '../../core/app-name.js';
import { BerthError } from '../../core/errors.js';
import { requireApp } from '../lookups.js';
import { route, type Route } from '../router.js';
import { AppSchema, CreateAppBody, StatusSchema } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { appView, machineView, releaseView } from '../views.js';

export function appRoutes(s: ApiServices, releasesDir: string): Route[] {
  return [
    route({
      method: 'GET',
      path: '/v1/apps',
      summary: 'List apps',
      tag: 'apps',
      response: Type.Array(AppSchema),
      handler: () => s.store.apps.list().map((a) => appView(a, s.urlFor(a.name))),
    }),
    route({
      method: 'POST',
      path: '/v1/apps',
      summary: 'Create an app',
      tag: 'apps',
      body: CreateAppBody,
      response: AppSchema,
      status: 201,
      handler: ({ body, user }) => {
        assertAppName(body.name);
        if (!s.store.apps.create(body.name, user)) {
          throw new BerthError('app_exists', `app "${body.name}" already exists`);
        }
        s.routes.setBackends(body.name, []);
        s.store.events.append({
          app: body.name,
          kind: 'app.created',
          message: `app ${body.name} created by ${user}`,
        });
        return appView(s.store.apps.get(body.name)!, s.urlFor(body.name));
      },
    }),
    route({
      method: 'GET',
      path: '/v1/apps/{app}',
      summary: 'Show an app',
      tag: 'apps',
      response: AppSchema,
      handler: ({ params }) => appView(requireApp(s.store, params.app!), s.urlFor(params.app!)),
    }),
    route({
      method: 'GET',
      path: '/v1/apps/{app}/status',
      summary: 'App status: current release, running deployment and machines',
      tag: 'apps',
      response: StatusSchema,
      handler: ({ params }) => {
        const app = requireApp(s.store, params.app!);
        const release =
          app.currentRelease !== null ? s.store.releases.get(app.name, app.currentRelease) : undefined;
        const deployment = s.store.deployments.running(app.name);
        return {
          app: appView(app, s.urlFor(app.name)),
          release: release ? releaseView(release) : null,
          deployment: deployment
            ? {
                id: deployment.id,
                releaseVersion: deployment.releaseVersion,
                status: deployment.status,
                step: deployment.step,
              }
            : null,
          machines: s.store.machines.listByApp(app.name).map((m) => machineView(m)),
        };
      },
    }),
    route({
      method: 'DELETE',
      path: '/v1/apps/{app}',
      summary: 'Destroy an app: stop its machines, remove its routes, releases and files',
      tag: 'apps',
      handler: async ({ params, user }) => {
        const app = requireApp(s.store, params.app!);
        const running = s.store.deployments.running(app.name);
        if (running) {
          throw new BerthError(
            'deploy_in_progress',
            `app "${app.name}" is deploying v${running.releaseVersion}`,
            {
              hint: 'Wait for the deployment to finish, then destroy the app.',
            },
          );
        }
        await Promise.all(s.store.machines.listByApp(app.name).map((m) => s.supervisor.retire(m.id)));
        s.routes.removeApp(app.name);
        await s.volumes.destroyAll(app.name);
        s.certificates.forgetApp(app.name);
        s.store.apps.delete(app.name);
        s.store.locks.release(app.name);
        await rm(join(releasesDir, app.name), { recursive: true, force: true });
        s.store.events.append({
          app: app.name,
          kind: 'app.destroyed',
          message: `app ${app.name} destroyed by ${user}`,
        });
        return { destroyed: app.name };
      },
    }),
  ];
}
