// The Docker Engine the tests use, and a small client of its HTTP API for test setup and checks.
// It is the tests' own: the docker driver has its client in src/drivers/docker/, and a test
// that checks the driver should not check it with the same code.
//
// Which Engine: DOCKER_HOST, else /var/run/docker.sock when it exists. With none, a test that
// needs one is skipped with the reason, except in CI (CI=true): .ci/run always starts one, so
// there a missing Engine is a failure, never a quiet skip.
import { existsSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

const DEFAULT_SOCKET = '/var/run/docker.sock';

export const NO_ENGINE =
  'no Docker Engine: set DOCKER_HOST (unix:///path/docker.sock or tcp://host:port) or start dockerd on ' +
  `${DEFAULT_SOCKET}; \`source .ci/dockerd.sh && dockerd_start DIR\` starts one as CI does`;

/** DOCKER_HOST for the tests, or undefined (tests skip). Throws in CI, which always has one. */
export function dockerHostForTests(
  env: NodeJS.ProcessEnv = process.env,
  defaultSocketExists = existsSync(DEFAULT_SOCKET),
): string | undefined {
  const host = env.DOCKER_HOST?.trim();
  if (host) return host;
  if (defaultSocketExists) return `unix://${DEFAULT_SOCKET}`;
  if (env.CI === 'true') throw new Error(`CI has no Docker Engine: ${NO_ENGINE}`);
  return undefined;
}

/** For `test(name, { skip: dockerSkipReason() }, ...)`: false when an Engine is named. */
export function dockerSkipReason(): string | false {
  return dockerHostForTests() === undefined ? NO_ENGINE : false;
}

export interface EngineResponse {
  status: number;
  body: string;
  bytes: Buffer;
}

type Endpoint = { socketPath: string } | { host: string; port: number };

function endpoint(dockerHost: string): Endpoint {
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const tcp = /^(?:tcp|http):\/\/([^:/]+):(\d+)\/?$/.exec(dockerHost);
  if (tcp) return { host: tcp[1]!, port: Number(tcp[2]) };
  throw new Error(`DOCKER_HOST=${dockerHost} is not unix:///path or tcp://host:port`);
}

/** One call of the Engine API. */
export class Engine {
  readonly host: string;

  constructor(host = dockerHostForTests()) {
    if (!host) throw new Error(NO_ENGINE);
    this.host = host;
  }

  /** Sends a request; the answer's body is read whole. `body`: JSON (an object) or a stream (a tar). */
  async call(
    method: string,
    path: string,
    options: { body?: object | Readable; contentType?: string; timeoutMs?: number } = {},
  ): Promise<EngineResponse> {
    const response = await this.open(method, path, options);
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    return { status: response.statusCode ?? 0, body: bytes.toString(), bytes };
  }

  /** A call that must answer 2xx: its JSON body (or undefined when empty). */
  async json<T>(method: string, path: string, body?: object): Promise<T> {
    const response = await this.call(method, path, body === undefined ? {} : { body });
    if (response.status < 200 || response.status > 299)
      throw new Error(`${method} ${path}: ${response.status} ${response.body.trim()}`);
    return (response.body ? JSON.parse(response.body) : undefined) as T;
  }

  /**
   * A call whose answer is a stream of JSON messages (build, import, pull): resolves with the
   * text it printed, rejects with that text when the Engine reports an error in the stream.
   */
  async progress(
    method: string,
    path: string,
    body: Readable,
    contentType: string,
    timeoutMs: number,
  ): Promise<{ output: string; aux: unknown[] }> {
    const response = await this.open(method, path, { body, contentType, timeoutMs });
    let raw = '';
    for await (const chunk of response) raw += (chunk as Buffer).toString();
    if ((response.statusCode ?? 0) >= 300)
      throw new Error(`${method} ${path}: ${response.statusCode} ${raw.trim()}`);
    let output = '';
    const aux: unknown[] = [];
    let error: string | undefined;
    for (const line of raw.split('\n')) {
      if (!line.trim()) continue;
      const message = JSON.parse(line) as { stream?: string; status?: string; error?: string; aux?: unknown };
      if (message.stream) output += message.stream;
      else if (message.status) output += `${message.status}\n`;
      if (message.aux !== undefined) aux.push(message.aux);
      if (message.error) error = message.error;
    }
    if (error !== undefined) throw new Error(`${method} ${path}: ${error}\n${output}`);
    return { output, aux };
  }

  private open(
    method: string,
    path: string,
    options: { body?: object | Readable; contentType?: string; timeoutMs?: number },
  ): Promise<IncomingMessage> {
    const { body } = options;
    const isStream = body instanceof Readable;
    const payload = body === undefined || isStream ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (isStream) headers['content-type'] = options.contentType ?? 'application/x-tar';
    return new Promise((resolve, reject) => {
      const req = request({ ...endpoint(this.host), method, path, headers }, resolve);
      req.setTimeout(options.timeoutMs ?? 60_000, () =>
        req.destroy(new Error(`${method} ${path}: no answer from the Engine at ${this.host}`)),
      );
      req.on('error', reject);
      if (isStream) {
        body.on('error', (error) => req.destroy(error));
        body.pipe(req);
      } else req.end(payload);
    });
  }
}

/** The output of a container that ran without a TTY: the Engine frames stdout and stderr. */
export function demuxLogs(raw: Buffer): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  for (let at = 0; at + 8 <= raw.length;) {
    const size = raw.readUInt32BE(at + 4);
    const text = raw.subarray(at + 8, at + 8 + size).toString();
    if (raw[at] === 2) stderr += text;
    else stdout += text;
    at += 8 + size;
  }
  return { stdout, stderr };
}

/** Runs a command in a new container of `image` to its end: its exit code and output. */
export async function runToEnd(
  engine: Engine,
  image: string,
  cmd: string[],
  options: { user?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const created = await engine.json<{ Id: string }>('POST', '/containers/create', {
    Image: image,
    Cmd: cmd,
    ...(options.user ? { User: options.user } : {}),
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await engine.json('POST', `/containers/${created.Id}/start`);
    const waited = await engine.json<{ StatusCode: number }>('POST', `/containers/${created.Id}/wait`);
    const logs = await engine.call('GET', `/containers/${created.Id}/logs?stdout=1&stderr=1`);
    return { code: waited.StatusCode, ...demuxLogs(logs.bytes) };
  } finally {
    await engine.call('DELETE', `/containers/${created.Id}?force=1`);
  }
}
