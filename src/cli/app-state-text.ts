// How the CLI words an app's state and release, shared by `status` and `apps list`.
import type { AppSummaryInfo } from '../sdk/types.js';

const STATE_TEXT: Record<AppSummaryInfo['state'], string> = {
  new: 'never deployed',
  deploying: 'deploying',
  deployed: 'deployed',
  crashloop: 'crashloop',
  failed: 'failed (never deployed)',
  stopped: 'stopped',
  suspended: 'suspended (scaled to zero)',
};

export function stateText(app: AppSummaryInfo): string {
  return STATE_TEXT[app.state];
}

/** "v3", "v3 (v4 failed)", or "never deployed" when no release ever went live. */
export function releaseText(app: AppSummaryInfo): string {
  if (app.currentRelease === null) return 'never deployed';
  const latest = app.latestRelease;
  if (latest && latest.version > app.currentRelease && latest.status === 'failed')
    return `v${app.currentRelease} (v${latest.version} failed)`;
  return `v${app.currentRelease}`;
}
