// Which release a rollback goes back to. Only a release that once served (complete, or
// superseded by a newer one) is a target: a failed one never went live, and one still
// deploying has not proven itself. A bare rollback also skips releases that run the same code,
// config and driver as the current one (an unchanged redeploy, a secrets change): going back to
// one of those would change nothing, since secrets are the app's and not the release's.
import { BerthError } from './errors.js';
import type { ReleaseStatus } from './release-status.js';

export interface RollbackCandidate {
  version: number;
  status: ReleaseStatus;
  failureReason: string | null;
  artifactDigest: string;
  driver: string;
  /** The release's normalized config: compared, never read. */
  config: unknown;
}

export interface RollbackChoice<T> {
  target: T;
  /** Newer releases passed over because they run what the current release runs (bare rollback). */
  skipped: number[];
  /** The target runs what the current release runs (a named one can): the rollback changes nothing. */
  unchanged: boolean;
}

/** Whether two releases run the same code, config and driver. */
export function sameContent(a: RollbackCandidate, b: RollbackCandidate): boolean {
  return (
    a.artifactDigest === b.artifactDigest &&
    a.driver === b.driver &&
    JSON.stringify(a.config) === JSON.stringify(b.config)
  );
}

const SERVED: readonly ReleaseStatus[] = ['complete', 'superseded'];
const IN_PROGRESS: readonly ReleaseStatus[] = ['pending', 'building', 'deploying'];

/**
 * The target among `releases` (any order): `requested` when given, else the newest release
 * older than `current` that served and runs something else than `current` does.
 */
export function chooseRollbackTarget<T extends RollbackCandidate>(
  app: string,
  releases: readonly T[],
  current: number | null,
  requested?: number,
): RollbackChoice<T> {
  const running = releases.find((r) => r.version === current);
  if (requested !== undefined) {
    const target = explicitTarget(app, releases, current, requested);
    return { target, skipped: [], unchanged: running !== undefined && sameContent(target, running) };
  }
  if (current === null) {
    throw new BerthError('no_rollback_target', `app "${app}" has no current release to roll back from`, {
      hint: `Deploy it first with \`berth deploy -a ${app}\`.`,
    });
  }
  const served = [...releases]
    .filter((r) => r.version < current && SERVED.includes(r.status))
    .sort((a, b) => b.version - a.version);
  if (served.length === 0) {
    throw new BerthError(
      'no_rollback_target',
      `app "${app}" has no complete release before v${current} to roll back to`,
      { hint: `\`berth releases -a ${app}\` lists its releases; deploy a fix instead.` },
    );
  }
  const target = served.find((r) => running === undefined || !sameContent(r, running));
  if (!target) {
    throw new BerthError(
      'no_rollback_target',
      `every release before v${current} that served runs the same code and config as v${current}: a rollback would change nothing`,
      {
        hint: `Deploy a change instead; \`berth releases -a ${app}\` lists the releases, \`berth rollback vN\` redeploys one anyway.`,
      },
    );
  }
  const skipped = served.filter((r) => r.version > target.version).map((r) => r.version);
  return { target, skipped, unchanged: false };
}

function explicitTarget<T extends RollbackCandidate>(
  app: string,
  releases: readonly T[],
  current: number | null,
  version: number,
): T {
  const target = releases.find((r) => r.version === version);
  if (!target) {
    throw new BerthError('release_not_found', `app "${app}" has no release v${version}`, {
      hint: `\`berth releases -a ${app}\` lists the versions it has.`,
    });
  }
  if (target.status === 'failed') {
    const why = target.failureReason ? ` (${target.failureReason.split('\n')[0]})` : '';
    throw new BerthError(
      'no_rollback_target',
      `cannot roll back to v${version}: it failed${why} and never served`,
    );
  }
  if (IN_PROGRESS.includes(target.status)) {
    throw new BerthError(
      'no_rollback_target',
      `cannot roll back to v${version}: it is still ${target.status}`,
      { hint: `Wait for it to finish; \`berth status -a ${app}\` shows the deployment.` },
    );
  }
  // Any status added later that is not known to have served.
  if (!SERVED.includes(target.status)) {
    throw new BerthError('no_rollback_target', `cannot roll back to v${version}: it is ${target.status}`);
  }
  if (target.version === current) {
    throw new BerthError('no_rollback_target', `v${version} is already the current release of "${app}"`, {
      hint: `Name an older release: \`berth releases -a ${app}\` lists them.`,
    });
  }
  return target;
}
