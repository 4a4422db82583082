// Deletes uploaded artifacts nothing will deploy again. Kept: whatever the newest releases of
// each app (rollback targets) and its current release use, and anything uploaded recently,
// since a deploy may be about to name it.
import type { ArtifactStore } from '../artifacts/store.js';
import type { Store } from '../store/store.js';

export interface PruneOptions {
  /** Releases per app whose artifacts are kept. */
  keepPerApp?: number;
  /** Artifacts (re)uploaded within this long are kept. */
  minAgeMs?: number;
  now?: number;
}

export interface PruneResult {
  removed: string[];
  kept: number;
}

/** Synchronous throughout, so no release can be created between choosing and deleting. */
export function pruneArtifacts(
  store: Store,
  artifacts: ArtifactStore,
  options: PruneOptions = {},
): PruneResult {
  const keepPerApp = options.keepPerApp ?? 10;
  const cutoff = (options.now ?? Date.now()) - (options.minAgeMs ?? 60 * 60_000);
  const keep = keptDigests(store, keepPerApp);
  const removed: string[] = [];
  let kept = 0;
  for (const artifact of artifacts.list()) {
    if (keep.has(artifact.digest) || artifact.mtime.getTime() > cutoff) kept++;
    else if (artifacts.remove(artifact.digest)) removed.push(artifact.digest);
  }
  return { removed, kept };
}

function keptDigests(store: Store, keepPerApp: number): Set<string> {
  const keep = new Set<string>();
  for (const app of store.apps.list()) {
    // Newest first; the current release may be older than the window after failed deploys.
    for (const r of store.releases.list(app.name).slice(0, keepPerApp)) keep.add(r.artifactDigest);
    const current =
      app.currentRelease !== null ? store.releases.get(app.name, app.currentRelease) : undefined;
    if (current) keep.add(current.artifactDigest);
  }
  return keep;
}
