// A release's image: the [build] image as given (pulled through the Engine only when it is not
// here), or the Dockerfile built with the uploaded artifact as its context, less what its
// .dockerignore excludes, as `docker build` sends it. Either way the image is tagged berth/<app>:v<N>, which
// keeps it while the release may be rolled back to, and the release records its image id.
import type Docker from 'dockerode';
import { dockerBuildPlan, unsupportedBuild } from '../../core/config/docker-build.js';
import { BerthError } from '../../core/errors.js';
import type { PrepareRequest, PreparedRelease } from '../driver.js';
import { buildContext, ContextTooLarge } from './build-context.js';
import { engineError, engineMessage, engineStatus } from './engine.js';
import { EngineMessageLines, type EngineMessage } from './engine-messages.js';
import { LABEL, imageRepository, imageTag } from './names.js';
import { isStderrText, plainLine, plainText } from './terminal-text.js';

type DockerRelease = Extract<PreparedRelease, { driver: 'docker' }>;

export async function prepareImage(
  docker: Docker,
  home: string,
  request: PrepareRequest,
): Promise<DockerRelease> {
  const problem = unsupportedBuild(request.build);
  if (problem) {
    throw new BerthError('unsupported_builder', `[${problem.path}] ${problem.message}`, {
      hint: problem.hint,
    });
  }
  const plan = dockerBuildPlan(request.build);
  const tag = imageTag(request.app, request.releaseVersion);
  if (request.build.command !== undefined) {
    request.onProgress({
      kind: 'note',
      line: `[build] command is not run: the ${plan.kind === 'image' ? 'image' : 'Dockerfile'} is the build on the docker driver`,
    });
  }
  const imageId =
    plan.kind === 'image'
      ? await imageAsGiven(docker, plan.image, request)
      : await buildDockerfile(docker, request, {
          tag,
          dockerfile: plan.dockerfile,
          ...(plan.target !== undefined ? { target: plan.target } : {}),
          args: plan.args,
          labels: {
            [LABEL.managed]: 'true',
            [LABEL.home]: home,
            [LABEL.app]: request.app,
            [LABEL.release]: String(request.releaseVersion),
          },
        });
  if (plan.kind === 'image') {
    // An image cannot be relabelled; the tag alone marks it as this release's.
    try {
      await docker
        .getImage(imageId)
        .tag({ repo: imageRepository(request.app), tag: `v${request.releaseVersion}` });
    } catch (err) {
      throw engineError(`tagging ${plan.image} as ${tag}`, err);
    }
  }
  return { driver: 'docker', image: tag, imageId };
}

async function imageAsGiven(docker: Docker, image: string, request: PrepareRequest): Promise<string> {
  const local = await imageIdOf(docker, image);
  if (local !== undefined) {
    request.onProgress({
      kind: 'step',
      line: `using image ${image} (${shortId(local)}), present on the Docker Engine`,
    });
    return local;
  }
  request.onProgress({ kind: 'step', line: `pulling image ${image}` });
  const failed = (reason: string) =>
    new BerthError('image_pull_failed', `could not pull image "${image}": ${reason}`);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image, { abortSignal: request.signal });
  } catch (err) {
    // No status: the Engine itself could not be reached, which is not the image's fault.
    if (engineStatus(err) === undefined) throw engineError(`pulling ${image}`, err);
    throw failed(engineMessage(err));
  }
  const error = await readMessages(stream, (message) => {
    // Layer progress bars would flood the deploy's output; their start and end are enough.
    if (message.status !== undefined && !message.progressDetail?.current) {
      const status = plainLine(message.status);
      request.onProgress({ kind: 'output', line: message.id ? `${message.id}: ${status}` : status });
    }
  });
  if (error !== undefined) throw failed(error);
  const pulled = await imageIdOf(docker, image);
  if (pulled === undefined) throw failed('the Engine reported success but has no such image');
  return pulled;
}

interface BuildOptions {
  tag: string;
  dockerfile: string;
  target?: string;
  args: Record<string, string>;
  labels: Record<string, string>;
}

async function buildDockerfile(
  docker: Docker,
  request: PrepareRequest,
  options: BuildOptions,
): Promise<string> {
  request.onProgress({
    kind: 'step',
    line: `building ${options.tag} from ${options.dockerfile}${options.target ? ` (target ${options.target})` : ''}`,
  });
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  // Sent unpacked: the Engine would unpack it anyway, and so the context limit is enforced here.
  const context = await buildContext(request.artifactPath, {
    dockerfile: options.dockerfile,
    maxBytes: request.maxUnpackedBytes,
  });
  let contextError: Error | undefined;
  context.on('error', (err) => (contextError = err));
  let lastLines: string[] = [];
  let imageId: string | undefined;
  let error: string | undefined;
  try {
    // [build.args] only, as fly passes them: [env] is the app's runtime environment.
    const stream = await docker.buildImage(context, {
      t: options.tag,
      dockerfile: options.dockerfile,
      ...(options.target !== undefined ? { target: options.target } : {}),
      buildargs: options.args,
      labels: options.labels,
      rm: true,
      forcerm: true,
      abortSignal: signal,
    });
    error = await readMessages(stream, (message) => {
      if (message.aux?.ID) imageId = message.aux.ID;
      const text = message.stream ?? message.status;
      if (text === undefined) return;
      const stream = isStderrText(text) ? 'stderr' : 'stdout';
      for (const line of text.split('\n')) {
        const plain = plainLine(line);
        if (plain.trim() === '') continue;
        lastLines = [...lastLines.slice(-4), plain];
        request.onProgress({ kind: 'output', line: plain, stream });
      }
    });
  } catch (err) {
    if (contextError !== undefined) error = contextError.message;
    else if (timeout.aborted) error = `timed out after ${Math.round(request.timeoutMs / 1000)}s`;
    else if (request.signal?.aborted) error = 'cancelled';
    else if (engineStatus(err) !== undefined) error = engineMessage(err);
    else throw engineError(`building ${options.tag}`, err);
  } finally {
    context.destroy();
  }
  // The Engine may have answered before noticing its context was cut short.
  if (contextError instanceof ContextTooLarge) error = contextError.message;
  else if (error === undefined && contextError !== undefined) {
    error = `the artifact cannot be read: ${contextError.message}`;
  }
  if (error !== undefined) {
    request.onProgress({ kind: 'output', line: error, stream: 'stderr' });
    throw new BerthError('build_failed', `the image build failed: ${error}`, {
      hint: `Read the build output above, fix ${options.dockerfile} (or the files it copies), and deploy again; what is live has not changed.`,
      details: { lastLines },
    });
  }
  imageId ??= await imageIdOf(docker, options.tag);
  if (imageId === undefined) {
    throw new BerthError(
      'build_failed',
      `the image build of ${options.tag} finished but the Engine has no such image`,
    );
  }
  return imageId;
}

/** Reads an Engine progress stream to its end; the error it reported, if any. */
export async function readMessages(
  stream: NodeJS.ReadableStream,
  onMessage: (message: EngineMessage) => void,
): Promise<string | undefined> {
  const lines = new EngineMessageLines();
  let error: string | undefined;
  const take = (message: EngineMessage) => {
    if (message.error !== undefined || message.errorDetail?.message !== undefined) {
      error = plainText(message.errorDetail?.message ?? message.error ?? '').trim();
    } else {
      onMessage(message);
    }
  };
  for await (const chunk of stream) {
    for (const message of lines.push(chunk as Buffer)) take(message);
  }
  for (const message of lines.end()) take(message);
  return error;
}

async function imageIdOf(docker: Docker, name: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(name).inspect()).Id;
  } catch (err) {
    if (engineStatus(err) === 404) return undefined;
    throw engineError(`looking up image ${name}`, err);
  }
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
