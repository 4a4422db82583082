// Rollback: a new release carrying an earlier release's artifact and config, deployed the
// same way a deploy is. It keeps the app's current secrets.
import { BerthError } from '../../core/errors.js';
import { chooseRollbackTarget } from '../../core/rollback-target.js';
import type { DeployRequest } from '../../daemon/deployer.js';
import { requireApp } from '../lookups.js';
import { route, type Route } from '../router.js';
import { DeployResponse, RollbackBody } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { releaseView } from '../views.js';

export function rollbackRoutes(s: ApiServices): Route[] {
  return [
    route({
      method: 'POST',
      path: '/v1/apps/{app}/rollback',
      summary:
        'Make a new release from an earlier one (default: the newest earlier one that served and runs other code or config than the current)',
      access: 'deploy',
      tag: 'deploys',
      body: RollbackBody,
      response: DeployResponse,
      status: 202,
      handler: async ({ params, body, user }) => {
        const app = requireApp(s.store, params.app!);
        const { target, skipped, unchanged } = chooseRollbackTarget(
          app.name,
          s.store.releases.list(app.name),
          app.currentRelease,
          body.version,
        );
        // A rollback runs the earlier release as its driver prepared it, when it still can.
        const driver = s.drivers.get(target.driver);
        const reusable =
          target.prepared !== null &&
          driver !== undefined &&
          (await driver.releaseAvailable(target.prepared));
        if (!reusable && !s.artifacts.has(target.artifactDigest)) {
          throw new BerthError(
            'artifact_not_found',
            `the source of v${target.version} (${target.artifactDigest.slice(0, 19)}) is no longer stored`,
            {
              hint: `Only the artifacts of the last 10 releases are kept; roll back to a newer release, or deploy that source again with \`berth deploy -a ${app.name}\`.`,
            },
          );
        }
        const request: DeployRequest = {
          app: app.name,
          artifactDigest: target.artifactDigest,
          configFile: target.configFile,
          config: target.config,
          description: `rollback to v${target.version}`,
          user,
          lockWaitMs: body.lockWaitMs,
          reuse: { version: target.version, driver: target.driver, prepared: target.prepared },
        };
        const { release, deployment } = await s.deployer.start(request);
        const warnings = rollbackNotes(target.version, app.currentRelease, skipped, unchanged);
        if (release.secretsDigest !== null || target.secretsDigest !== null) {
          // Secrets are the app's: a rollback brings back code and config, never old secret values.
          warnings.push(
            `secrets are the app's, not the release's: v${release.version} runs v${target.version}'s code and config with the current secrets`,
          );
        }
        return {
          release: releaseView(release),
          deploymentId: deployment.id,
          url: s.urlFor(app.name),
          warnings,
        };
      },
    }),
  ];
}

/** What a rollback passed over or will not change, said before it is followed. */
function rollbackNotes(
  target: number,
  current: number | null,
  skipped: number[],
  unchanged: boolean,
): string[] {
  if (unchanged) {
    return [
      `v${target} runs the same code and config as the current v${current}: this rollback changes nothing but replaces the machines`,
    ];
  }
  if (skipped.length === 0) return [];
  const list = skipped.map((v) => `v${v}`).join(', ');
  const verb = skipped.length === 1 ? 'runs' : 'run';
  return [
    `${list} ${verb} the same code and config as the current v${current} (a redeploy or a secrets change), so rolling back to v${target}, the last release that differs`,
  ];
}
