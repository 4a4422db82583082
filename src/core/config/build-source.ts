// What a deploy builds, read from [build] and whether the directory has a Dockerfile, and so
// which driver the config implies: an image or a Dockerfile runs in containers, a source tree
// as processes. The daemon's choice also weighs the app's current driver and what the host
// has; this says only what the config asks for, for `config validate` and the deploy's notes.

import type { AppConfig } from './types.js';

export type BuildSource =
  | { kind: 'image'; image: string }
  | { kind: 'dockerfile'; dockerfile: string; named: boolean }
  | { kind: 'tree' };

export const DEFAULT_DOCKERFILE = 'Dockerfile';

/** `hasDockerfile`: whether the deploy directory holds the file [build] dockerfile names (default ./Dockerfile). */
export function buildSource(build: AppConfig['build'], hasDockerfile: boolean): BuildSource {
  if (build.image !== undefined) return { kind: 'image', image: build.image };
  if (build.dockerfile !== undefined)
    return { kind: 'dockerfile', dockerfile: build.dockerfile, named: true };
  if (hasDockerfile) return { kind: 'dockerfile', dockerfile: DEFAULT_DOCKERFILE, named: false };
  return { kind: 'tree' };
}

export interface ImpliedDriver {
  driver: 'process' | 'docker';
  /** Why, in a few words: `[build] image = "nginx"`. */
  reason: string;
}

export function impliedDriver(source: BuildSource): ImpliedDriver {
  switch (source.kind) {
    case 'image':
      return { driver: 'docker', reason: `[build] image = ${JSON.stringify(source.image)}` };
    case 'dockerfile':
      return {
        driver: 'docker',
        reason: source.named
          ? `[build] dockerfile = ${JSON.stringify(source.dockerfile)}`
          : `a ${DEFAULT_DOCKERFILE} in the directory`,
      };
    case 'tree':
      return { driver: 'process', reason: 'no [build] image, [build] dockerfile or Dockerfile' };
  }
}

/** One line for `config validate` and `berth deploy`. */
export function describeImpliedDriver(implied: ImpliedDriver): string {
  return implied.driver === 'docker'
    ? `note: this config implies the docker driver (${implied.reason}): machines run the image, [processes] commands replace its CMD`
    : `note: this config implies the process driver (${implied.reason}): machines run [processes], a Procfile or npm start on the host`;
}
