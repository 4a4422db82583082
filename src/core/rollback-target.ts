// Which release a rollback goes back to. Only a release that once served (complete, or
// superseded by a newer one) is a target: a failed one never went live, and one still
// deploying has not proven itself.
import { BerthError } from './errors.js';
import type { ReleaseStatus } from './release-status.js';

export interface RollbackCandidate {
  version: number;
  status: ReleaseStatus;
  failureReason: string | null;
}

const SERVED: readonly ReleaseStatus[] = ['complete', 'superseded'];
const IN_PROGRESS: readonly ReleaseStatus[] = ['pending', 'building', 'deploying'];

/**
 * The target among `releases` (any order): `requested` when given, else the newest release
 * older than `current` that served.
 */
export function chooseRollbackTarget<T extends RollbackCandidate>(
  app: string,
  releases: readonly T[],
  current: number | null,
  requested?: number,
): T {
  if (requested !== undefined) return explicitTarget(app, releases, current, requested);
  if (current === null) {
    throw new BerthError('no_rollback_target', `app "${app}" has no current release to roll back from`, {
      hint: `Deploy it first with \`berth deploy -a ${app}\`.`,
    });
  }
  const target = [...releases]
    .filter((r) => r.version < current && SERVED.includes(r.status))
    .sort((a, b) => b.version - a.version)[0];
  if (!target) {
    throw new BerthError(
      'no_rollback_target',
      `app "${app}" has no complete release before v${current} to roll back to`,
      { hint: `\`berth releases -a ${app}\` lists its releases; deploy a fix instead.` },
    );
  }
  return target;
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
