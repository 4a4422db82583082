// A release's image on a swarm: built (or taken as given) on the manager's Engine as the docker
// driver does, then pushed once to the registry, and named by its digest there, so that every
// node pulls exactly that image and never asks a public registry for it.
import type Docker from 'dockerode';
import { BerthError } from '../../core/errors.js';
import type { PreparedRelease, PrepareRequest } from '../driver.js';
import { engineError, engineMessage } from '../docker/engine.js';
import { prepareImage, readMessages } from '../docker/image-build.js';
import { imageRepository } from '../docker/names.js';
import { plainLine } from '../docker/terminal-text.js';

type SwarmRelease = Extract<PreparedRelease, { driver: 'swarm' }>;

/** <registry>/berth/<app>: the repository a release image is pushed to. */
export function registryRepository(registry: string, app: string): string {
  return `${registry}/${imageRepository(app)}`;
}

export async function prepareSwarmImage(
  docker: Docker,
  home: string,
  registry: string,
  request: PrepareRequest,
): Promise<SwarmRelease> {
  const local = await prepareImage(docker, home, request);
  const repository = registryRepository(registry, request.app);
  const tag = `v${request.releaseVersion}`;
  try {
    await docker.getImage(local.imageId).tag({ repo: repository, tag });
  } catch (err) {
    throw engineError(`tagging ${local.image} as ${repository}:${tag}`, err);
  }
  request.onProgress({ kind: 'step', line: `pushing ${repository}:${tag} for the swarm's nodes` });
  let digest: string | undefined;
  let error: string | undefined;
  try {
    // An empty auth: the Engine wants the header, berth's registry wants no credentials.
    const stream = (await docker
      .getImage(repository)
      .push({ tag, authconfig: {}, abortSignal: request.signal })) as NodeJS.ReadableStream;
    error = await readMessages(stream, (message) => {
      if (message.aux?.Digest) digest = message.aux.Digest;
      if (message.status !== undefined && !message.progressDetail?.current && message.id === undefined) {
        request.onProgress({ kind: 'output', line: plainLine(message.status) });
      }
    });
  } catch (err) {
    error = engineMessage(err);
  }
  if (error !== undefined || digest === undefined) {
    throw new BerthError(
      'build_failed',
      `the image of ${request.app} v${request.releaseVersion} could not be pushed to the registry ${registry}: ${error ?? 'no digest came back'}`,
      {
        hint: `Check that ${registry} answers and that the manager's Engine trusts it (insecure-registries in /etc/docker/daemon.json); what is live has not changed.`,
      },
    );
  }
  return { driver: 'swarm', image: `${repository}:${tag}@${digest}`, imageId: local.imageId };
}
