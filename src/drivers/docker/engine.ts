// The connection to a Docker Engine and the reading of its errors. Engine failures become
// coded errors that name what berth was doing; the Engine's own message says why.
import Docker from 'dockerode';
import { BerthError } from '../../core/errors.js';

/** A client for DOCKER_HOST's forms: unix:///path (or a bare path), tcp://host:port, http(s)://host:port. */
export function connectEngine(dockerHost: string): Docker {
  const host = dockerHost.trim();
  if (host.startsWith('/')) return new Docker({ socketPath: host });
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw unsupportedHost(dockerHost);
  }
  if (url.protocol === 'unix:') return new Docker({ socketPath: decodeURIComponent(url.pathname) });
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 2376 : 2375;
    return new Docker({
      host: url.hostname,
      port,
      protocol: url.protocol === 'https:' ? 'https' : 'http',
    });
  }
  throw unsupportedHost(dockerHost);
}

function unsupportedHost(dockerHost: string): BerthError {
  return new BerthError(
    'docker_engine_error',
    `DOCKER_HOST ${JSON.stringify(dockerHost)} is not an address berth can use`,
    {
      hint: 'Set DOCKER_HOST to unix:///path/to/docker.sock or tcp://host:port, or unset it to use /var/run/docker.sock.',
    },
  );
}

/** The HTTP status of an Engine answer, when the error is one. */
export function engineStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The Engine's own explanation, without dockerode's "(HTTP code 404) ..." wrapping. */
export function engineMessage(err: unknown): string {
  const json = (err as { json?: unknown } | null)?.json;
  if (
    typeof json === 'object' &&
    json !== null &&
    typeof (json as { message?: unknown }).message === 'string'
  ) {
    return (json as { message: string }).message.trim();
  }
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  return err instanceof Error ? err.message : String(err);
}

/** An Engine failure while doing `what` (e.g. "creating the container of machine x"). */
export function engineError(what: string, err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  return new BerthError('docker_engine_error', `the Docker Engine failed ${what}: ${engineMessage(err)}`);
}

/** Runs an Engine call whose 404 means "already gone", which the caller treats as done. */
export async function unlessGone<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (engineStatus(err) === 404) return undefined;
    throw err;
  }
}
