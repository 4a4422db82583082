// Following a release's rollout to its end (deploys and rollbacks alike): its progress events
// as they happen, then how it ended.
import type { BerthClient } from './client.js';
import { ApiError } from './api-error.js';
import type { EventInfo } from './types.js';

/** succeeded: the release is live; failed: it never served (the previous one still does); reverted: a machine failed mid-rollout and the previous release was put back. */
export type RolloutOutcome = 'succeeded' | 'failed' | 'reverted';

export interface FollowedRelease {
  outcome: RolloutOutcome;
  /** The event that ended it: release.complete or release.failed (its data says why). */
  final: EventInfo;
}

/** The release's events (release.created left out) until it is final; rejects only if the stream breaks. */
export async function followRelease(
  client: BerthClient,
  app: string,
  version: number,
  options: { onEvent?: (event: EventInfo) => void; signal?: AbortSignal } = {},
): Promise<FollowedRelease> {
  let final: EventInfo | undefined;
  await client.releaseEvents(
    app,
    version,
    true,
    (event) => {
      if (event.kind === 'release.created') return;
      options.onEvent?.(event);
      if (event.kind === 'release.complete' || event.kind === 'release.failed') final = event;
    },
    options.signal,
  );
  options.signal?.throwIfAborted();
  if (!final) {
    throw new ApiError(
      'daemon_unreachable',
      `lost the daemon while following v${version} of ${app}`,
      `Check its state with \`berth releases -a ${app}\` and \`berth status -a ${app}\`.`,
      0,
    );
  }
  return { outcome: outcomeOf(final), final };
}

export function outcomeOf(final: EventInfo): RolloutOutcome {
  if (final.kind === 'release.complete') return 'succeeded';
  return final.data?.status === 'reverted' ? 'reverted' : 'failed';
}
