// Validating `berth scale count N`: what a group may be scaled to.
import { BerthError } from './errors.js';

/** More machines than this in one group is almost certainly a typo on one host. */
export const MAX_GROUP_SIZE = 100;

export function checkScaleCount(count: number): void {
  if (!Number.isInteger(count) || count < 0) {
    throw new BerthError('invalid_request', `"${count}" is not a machine count`, {
      hint: 'Pass a whole number of machines from 0 to 100, e.g. `berth scale count 3`.',
    });
  }
  if (count > MAX_GROUP_SIZE) {
    throw new BerthError(
      'invalid_request',
      `${count} machines is more than one group may have (${MAX_GROUP_SIZE})`,
      {
        hint: `Scale to ${MAX_GROUP_SIZE} or fewer; split the work into several process groups if you need more.`,
      },
    );
  }
}

/** The group a scale names must exist in the current release. */
export function checkScaleGroup(group: string, groups: readonly string[], releaseVersion: number): void {
  if (groups.includes(group)) return;
  throw new BerthError('invalid_request', `release v${releaseVersion} has no process group "${group}"`, {
    hint: `Its groups are: ${groups.join(', ')}. Pass one with --process-group, or add "${group}" to [processes] and deploy.`,
  });
}
