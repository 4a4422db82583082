// Deploys: the config is parsed again here, so the daemon never trusts a client's reading.
import type { DeployStrategy } from '../../core/config/types.js';
import { loadConfigText } from '../../config/load.js';
import { assertAppName } from '../../core/app-name.js';
import { BerthError } from '../../core/errors.js';
import { authorizeAccess } from '../authorize.js';
import { route, type Route } from '../router.js';
import { DeployBody, DeployResponse } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { releaseView } from '../views.js';

export function deployRoutes(s: ApiServices): Route[] {
  return [
    route({
      method: 'POST',
      path: '/v1/apps/{app}/deploys',
      summary: 'Make a new release from an uploaded artifact and config, and roll it out',
      // The first deploy of an app creates it: that needs admin (checked in the handler).
      access: 'deploy',
      tag: 'deploys',
      body: DeployBody,
      // A config of up to 64 KB, escaped in JSON.
      maxBody: 256 * 1024,
      response: DeployResponse,
      status: 202,
      handler: async ({ params, body, user, principal }) => {
        const app = params.app!;
        assertAppName(app);
        // The first deploy of an app creates it, and only admins create apps.
        if (s.store.apps.get(app) === undefined) authorizeAccess(principal, 'admin', app);
        const loaded = loadConfigText(body.config.text, body.config.file);
        const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
        if (!loaded.config || errors.length > 0) {
          throw new BerthError('invalid_config', `${body.config.file} has ${errors.length} error(s)`, {
            details: { diagnostics: loaded.diagnostics },
          });
        }
        const config = body.strategy
          ? {
              ...loaded.config,
              deploy: { ...loaded.config.deploy, strategy: body.strategy as DeployStrategy },
            }
          : loaded.config;
        const { release, deployment } = await s.deployer.start({
          app,
          artifactDigest: body.artifact,
          configFile: body.config.file,
          config,
          description: body.description ?? 'deploy',
          user,
          waitTimeoutMs: body.waitTimeoutMs,
          skipReleaseCommand: body.skipReleaseCommand,
          lockWaitMs: body.lockWaitMs,
          applyStagedSecrets: true,
          ...(body.driver !== undefined && { driver: body.driver }),
        });
        return {
          release: releaseView(release),
          deploymentId: deployment.id,
          url: s.urlFor(app),
          warnings: loaded.diagnostics
            .filter((d) => d.severity === 'warning')
            .map((d) => `${d.path}: ${d.message}`),
        };
      },
    }),
  ];
}
