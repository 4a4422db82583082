// What an image build of a release is, decided from its [build] section alone: an image used as
// given, or a Dockerfile built from the uploaded directory. fly's builders and buildpacks have
// no berth equivalent and are refused rather than silently replaced by something else.
import type { AppConfig } from './types.js';

export type DockerBuildPlan =
  | { kind: 'image'; image: string }
  | { kind: 'dockerfile'; dockerfile: string; target?: string; args: Record<string, string> };

export interface UnsupportedBuild {
  /** The config key at fault, e.g. "build.builder". */
  path: string;
  message: string;
  hint: string;
}

export const DEFAULT_DOCKERFILE = 'Dockerfile';

/** Why this [build] cannot become an image, or undefined when it can. */
export function unsupportedBuild(build: AppConfig['build']): UnsupportedBuild | undefined {
  const hint =
    'Add a Dockerfile to the app directory (and remove the key), or set [build] image to an image that is already built.';
  // Beside a Dockerfile or an image, a builder is only a warning of the config: those are built.
  if (build.builder !== undefined && build.image === undefined && build.dockerfile === undefined) {
    return {
      path: 'build.builder',
      message: `builder "${build.builder}" is not supported, use a Dockerfile`,
      hint,
    };
  }
  return undefined;
}

/** How the image of a release is made; call unsupportedBuild() first. */
export function dockerBuildPlan(build: AppConfig['build']): DockerBuildPlan {
  if (build.image !== undefined) return { kind: 'image', image: build.image.trim() };
  return {
    kind: 'dockerfile',
    dockerfile: build.dockerfile ?? DEFAULT_DOCKERFILE,
    ...(build.target !== undefined ? { target: build.target } : {}),
    args: build.args,
  };
}
