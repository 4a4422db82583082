// Which release images of an app to remove: all but the newest few releases and the ones the
// daemon still names (a release that is live or the rollback target). Kept by tag, not image
// id: several releases of an image used as given share one id. Removing a tag deletes the
// image only when no other tag or container uses it, so such an image ([build] image =
// "nginx") keeps its own name and stays.
import { KEPT_RELEASE_IMAGES, releaseOfTag } from './names.js';

export interface ReleaseImageTag {
  /** "berth/<app>:v<N>" */
  tag: string;
  imageId: string;
}

/** The tags to remove, oldest release first. */
export function releaseTagsToRemove(
  app: string,
  tags: ReleaseImageTag[],
  keep: { image: string }[],
  keepNewest = KEPT_RELEASE_IMAGES,
): string[] {
  const kept = new Set(keep.map((k) => k.image));
  const releases = tags
    .map((t) => ({ ...t, version: releaseOfTag(app, t.tag) }))
    .filter((t): t is ReleaseImageTag & { version: number } => t.version !== undefined)
    .sort((a, b) => b.version - a.version);
  return releases
    .slice(keepNewest)
    .filter((t) => !kept.has(t.tag))
    .reverse()
    .map((t) => t.tag);
}
