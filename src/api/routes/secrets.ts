// Secrets: list (digests, never values), set/unset (staged, or applied by a new release of the
// current artifact and config), and deploy what is staged. Values arrive only in request
// bodies and never leave the daemon in a response.
import type { SecretsOutcome } from '../../daemon/secret-changes.js';
import { requireApp } from '../lookups.js';
import { route, type Route } from '../router.js';
import {
  SecretsChangeBody,
  SecretsChangeResponse,
  SecretsDeployBody,
  SecretsListResponse,
} from '../secret-schemas.js';
import type { ApiServices } from '../services.js';
import { releaseView } from '../views.js';

export function secretRoutes(s: ApiServices): Route[] {
  const view = (app: string, result: SecretsOutcome) => ({
    app,
    outcome: result.outcome,
    change: result.change,
    pending: result.outcome === 'staged' ? result.pending : { set: [], unset: [] },
    release: result.outcome === 'deploying' ? releaseView(result.release) : null,
    deploymentId: result.outcome === 'deploying' ? result.deployment.id : null,
    url: s.urlFor(app),
  });

  return [
    route({
      method: 'GET',
      path: '/v1/apps/{app}/secrets',
      summary: "List the app's secrets: names, digests, when they changed, staged changes; never values",
      // Names and digests, never values.
      access: 'read',
      tag: 'secrets',
      response: SecretsListResponse,
      handler: ({ params }) => {
        const app = requireApp(s.store, params.app!);
        return {
          app: app.name,
          digest: s.secrets.digest(app.name),
          secrets: s.secrets.list(app.name),
          pending: s.secrets.pending(app.name),
        };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/apps/{app}/secrets',
      summary:
        'Set and unset secrets; unless stage is true, a new release of the current artifact and config deploys them',
      access: 'deploy',
      tag: 'secrets',
      body: SecretsChangeBody,
      // Several values of up to 64 KB each.
      maxBody: 256 * 1024,
      sensitiveBody: true,
      response: SecretsChangeResponse,
      status: 202,
      handler: async ({ params, body, user }) => {
        const app = requireApp(s.store, params.app!).name;
        const edit = { set: body.set ?? {}, unset: body.unset ?? [] };
        const options = { user, stage: body.stage ?? false, lockWaitMs: body.lockWaitMs };
        return view(app, await s.secretChanges.change(app, edit, options));
      },
    }),
    route({
      method: 'POST',
      path: '/v1/apps/{app}/secrets/deploy',
      summary: 'Apply staged secret changes with a new release of the current artifact and config',
      access: 'deploy',
      tag: 'secrets',
      body: SecretsDeployBody,
      response: SecretsChangeResponse,
      status: 202,
      handler: async ({ params, body, user }) => {
        const app = requireApp(s.store, params.app!).name;
        return view(app, await s.secretChanges.deployStaged(app, user, body.lockWaitMs));
      },
    }),
  ];
}
