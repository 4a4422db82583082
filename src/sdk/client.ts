// The TypeScript SDK: every call the CLI makes goes through here, over the REST API.
// Typed calls per endpoint, and deploy() that does a whole `berth deploy` from a directory.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { ApiError } from './api-error.js';
import { openSession, type ClientSession, type SessionHandlers } from './session.js';
import { httpRequest, type HttpResponse } from './http-request.js';
import { deployDirectory, type DeployOptions, type DeployOutcome } from './deploy.js';
import { followRelease, type FollowedRelease } from './follow-release.js';
import { clientOptionsFromEnv } from './from-env.js';
import { uploadDirectory, type UploadedDirectory } from './upload-dir.js';
import type { Static } from '@sinclair/typebox';
import type { DeployBody, RollbackBody } from '../api/schemas.js';
import type { RunMachineBody } from '../api/machine-schemas.js';
import type { ScaleBody } from '../api/scale-schemas.js';
import type { SecretsChangeBody, SecretsDeployBody } from '../api/secret-schemas.js';
import type { CreateVolumeBody } from '../api/volume-schemas.js';
import type { CertificateInfo, IpInfo, TlsInfo } from './net-types.js';
import type { NotifyTargetInfo, ScheduleInfo, ScheduleRunInfo } from './schedule-types.js';
import type { CreatedTokenInfo, TokenInfo, WhoamiInfo } from './token-types.js';
import type {
  DriverName,
  AppInfo,
  AppSummaryInfo,
  AppTrafficInfo,
  DeployResult,
  EventInfo,
  LockInfo,
  NodeInfo,
  LogLine,
  MachineInfo,
  MachineStatusInfo,
  ReleaseInfo,
  ReleaseDetailInfo,
  SecretsChangeResult,
  SecretsList,
  ScaleResultInfo,
  ScaleShowInfo,
  ServerStatusInfo,
  StatusInfo,
  UsageInfo,
  VolumeInfo,
  DestroyedVolumeInfo,
} from './types.js';

export interface ClientOptions {
  url: string;
  token?: string;
}

type Query = Record<string, string | number | boolean | undefined>;

export class BerthClient {
  readonly url: string;
  private readonly token: string | undefined;

  constructor(options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
  }

  /**
   * A client for the daemon BERTH_API_URL and BERTH_TOKEN name, else the one whose home
   * (BERTH_HOME, else ~/.berth) is on this host, with its admin token. Starts no daemon.
   */
  static async fromEnv(env: NodeJS.ProcessEnv = process.env): Promise<BerthClient> {
    return new BerthClient(await clientOptionsFromEnv(env));
  }

  /** `berth run`: the command (arguments as given) in a temporary machine of the release. */
  run(
    app: string,
    command: string[],
    options: { release?: number; volumes?: boolean },
    handlers: SessionHandlers,
  ): Promise<ClientSession> {
    const query = sessionQuery({ cmd: command, release: options.release, volumes: options.volumes });
    return openSession(this.url, this.token, `/v1/apps/${enc(app)}/run${query}`, handlers);
  }

  /** `berth console`: a shell on a PTY in a temporary machine of the release. */
  console(
    app: string,
    options: { release?: number; volumes?: boolean; cols: number; rows: number; term: string },
    handlers: SessionHandlers,
  ): Promise<ClientSession> {
    return openSession(
      this.url,
      this.token,
      `/v1/apps/${enc(app)}/console${sessionQuery(options)}`,
      handlers,
    );
  }

  /** `berth exec`: the command inside a running machine; with tty, on a PTY of that size. */
  exec(
    app: string,
    machine: string,
    command: string[],
    options: { tty?: { cols: number; rows: number; term: string } },
    handlers: SessionHandlers,
  ): Promise<ClientSession> {
    const query = sessionQuery({ cmd: command, ...(options.tty && { tty: true, ...options.tty }) });
    return openSession(
      this.url,
      this.token,
      `/v1/apps/${enc(app)}/machines/${enc(machine)}/exec${query}`,
      handlers,
    );
  }

  /** The daemon itself: version, pid, uptime, home, URLs, drivers, apps, running machines. */
  serverStatus(): Promise<ServerStatusInfo> {
    return this.json('GET', '/v1/server');
  }

  /** Stops (or restarts) the daemon of that pid; machines keep running. Answers before it goes. */
  serverControl(action: 'stop' | 'restart', pid: number): Promise<{ pid: number; action: string }> {
    return this.json('POST', `/v1/server/${action}`, { body: { pid } });
  }

  health(timeoutMs = 1000): Promise<{ ok: boolean; version: string }> {
    return this.json('GET', '/v1/health', { signal: AbortSignal.timeout(timeoutMs) });
  }

  listApps(): Promise<AppSummaryInfo[]> {
    return this.json('GET', '/v1/apps');
  }

  createApp(name: string): Promise<AppInfo> {
    return this.json('POST', '/v1/apps', { body: { name } });
  }

  getApp(name: string): Promise<AppInfo> {
    return this.json('GET', `/v1/apps/${enc(name)}`);
  }

  destroyApp(name: string): Promise<{ destroyed: string }> {
    return this.json('DELETE', `/v1/apps/${enc(name)}`);
  }

  status(app: string): Promise<StatusInfo> {
    return this.json('GET', `/v1/apps/${enc(app)}/status`);
  }

  /** The app's requests/s, error rate and latency per release over the last `minutes` (1-60). */
  appMetrics(app: string, minutes = 5): Promise<AppTrafficInfo> {
    return this.json('GET', `/v1/apps/${enc(app)}/metrics?minutes=${minutes}`);
  }

  usage(app: string): Promise<UsageInfo> {
    return this.json('GET', `/v1/apps/${enc(app)}/usage`);
  }

  listReleases(app: string): Promise<ReleaseInfo[]> {
    return this.json('GET', `/v1/apps/${enc(app)}/releases`);
  }

  getRelease(app: string, version: number): Promise<ReleaseDetailInfo> {
    return this.json('GET', `/v1/apps/${enc(app)}/releases/${version}`);
  }

  listMachines(app: string): Promise<MachineInfo[]> {
    return this.json('GET', `/v1/apps/${enc(app)}/machines`);
  }

  listVolumes(app: string): Promise<VolumeInfo[]> {
    return this.json('GET', `/v1/apps/${enc(app)}/volumes`);
  }

  createVolume(app: string, body: Static<typeof CreateVolumeBody>): Promise<VolumeInfo> {
    return this.json('POST', `/v1/apps/${enc(app)}/volumes`, { body });
  }

  getVolume(app: string, id: string): Promise<VolumeInfo> {
    return this.json('GET', `/v1/apps/${enc(app)}/volumes/${enc(id)}`);
  }

  destroyVolume(app: string, id: string, options: { force?: boolean } = {}): Promise<DestroyedVolumeInfo> {
    return this.json(
      'DELETE',
      `/v1/apps/${enc(app)}/volumes/${enc(id)}${queryString({ force: options.force ? 1 : undefined })}`,
    );
  }

  /** An unmanaged machine: its own command, env and port; deploys never touch it. */
  runMachine(app: string, body: Static<typeof RunMachineBody>): Promise<MachineInfo> {
    return this.json('POST', `/v1/apps/${enc(app)}/machines`, { body });
  }

  machineStatus(app: string, machine: string): Promise<MachineStatusInfo> {
    return this.json('GET', `/v1/apps/${enc(app)}/machines/${enc(machine)}`);
  }

  /** clone, start or stop one machine (by id or name). */
  machineAction(app: string, machine: string, action: 'clone' | 'start' | 'stop'): Promise<MachineInfo> {
    return this.json('POST', `/v1/apps/${enc(app)}/machines/${enc(machine)}/${action}`);
  }

  destroyMachine(app: string, machine: string, force = false): Promise<MachineInfo> {
    return this.json('DELETE', `/v1/apps/${enc(app)}/machines/${enc(machine)}${force ? '?force=1' : ''}`);
  }

  scaleShow(app: string): Promise<ScaleShowInfo> {
    return this.json('GET', `/v1/apps/${enc(app)}/scale`);
  }

  /** Scales a group; `onProgress` hears each step as the daemon takes it. */
  async scaleCount(
    app: string,
    body: Static<typeof ScaleBody>,
    onProgress: (message: string) => void = () => {},
  ): Promise<ScaleResultInfo> {
    const res = await this.fetch('POST', `/v1/apps/${enc(app)}/scale`, { body });
    if (!res.ok) await throwFor(res);
    let result: ScaleResultInfo | undefined;
    await readNdjson<{ message?: string; result?: ScaleResultInfo; error?: ErrorFields }>(res, (line) => {
      if (line.message !== undefined) onProgress(line.message);
      if (line.result) result = line.result;
      if (line.error) {
        const e = line.error;
        throw new ApiError(
          e.code ?? 'internal',
          e.message ?? 'the scale failed',
          e.hint ?? '',
          422,
          e.details,
        );
      }
    });
    if (!result) {
      throw new ApiError(
        'internal',
        'the daemon ended the scale without a result',
        'Check `berth scale show`.',
        500,
      );
    }
    return result;
  }

  async hasArtifact(digest: string): Promise<boolean> {
    const path = `/v1/artifacts/${enc(digest)}`;
    const res = await this.fetch('HEAD', path);
    if (res.status === 404) return false;
    if (res.ok) return true;
    // An answer to HEAD has no body: ask again with GET for the coded error (a bad token...).
    const again = await this.fetch('GET', path);
    if (!again.ok && again.status !== 404) return throwFor(again);
    await again.text();
    return again.ok;
  }

  uploadArtifact(digest: string, file: string): Promise<{ digest: string; size: number; created: boolean }> {
    return this.json('PUT', `/v1/artifacts/${enc(digest)}`, {
      raw: createReadStream(file),
      contentType: 'application/gzip',
    });
  }

  /**
   * Makes a release from an uploaded artifact and starts its rollout (answers at once); `deploy`
   * does the whole of it from a directory.
   */
  startDeploy(app: string, body: DeployBody): Promise<DeployResult> {
    return this.json('POST', `/v1/apps/${enc(app)}/deploys`, { body });
  }

  /**
   * Deploys a directory as `berth deploy` does: checks its config, packs and uploads it, makes
   * a release and follows the rollout, calling `onProgress` at each step. Resolves with the
   * release and how the rollout ended (succeeded, failed or reverted); rejects with an ApiError
   * only when the deploy could not be asked for or followed.
   */
  deploy(options: DeployOptions): Promise<DeployOutcome> {
    return deployDirectory(this, options);
  }

  /** Packs a directory and uploads it as an artifact, unless the daemon has it already. */
  uploadDirectory(dir: string): Promise<UploadedDirectory> {
    return uploadDirectory(this, dir);
  }

  /** Follows a release's rollout until it is final: each event to `onEvent`, then the outcome. */
  followRelease(
    app: string,
    version: number,
    options: { onEvent?: (event: EventInfo) => void; signal?: AbortSignal } = {},
  ): Promise<FollowedRelease> {
    return followRelease(this, app, version, options);
  }

  /** A new release from an earlier one: `version`, else the last complete one before the current. */
  rollback(app: string, body: RollbackBody = {}): Promise<DeployResult> {
    return this.json('POST', `/v1/apps/${enc(app)}/rollback`, { body });
  }

  listSecrets(app: string): Promise<SecretsList> {
    return this.json('GET', `/v1/apps/${enc(app)}/secrets`);
  }

  /**
   * Sets and unsets secrets. Values travel only in the request body. Unless `stage`, a new
   * release of the current artifact and config deploys them (with everything staged before).
   */
  changeSecrets(app: string, body: Static<typeof SecretsChangeBody>): Promise<SecretsChangeResult> {
    return this.json('POST', `/v1/apps/${enc(app)}/secrets`, { body });
  }

  /** Applies staged secret changes with a new release of the current artifact and config. */
  deploySecrets(app: string, body: Static<typeof SecretsDeployBody> = {}): Promise<SecretsChangeResult> {
    return this.json('POST', `/v1/apps/${enc(app)}/secrets/deploy`, { body });
  }

  /** The swarm's nodes and the machines on each (the swarm driver only). */
  listNodes(): Promise<{ driver: DriverName; nodes: NodeInfo[] }> {
    return this.json('GET', '/v1/nodes');
  }

  /** Sets and removes labels of a swarm node (by id, id prefix, address or hostname). */
  labelNode(node: string, change: { set?: Record<string, string>; remove?: string[] }): Promise<NodeInfo> {
    return this.json('POST', `/v1/nodes/${enc(node)}/labels`, { body: change });
  }

  /** The calling token: its name, role, apps (null: every app) and expiry. */
  whoami(): Promise<WhoamiInfo> {
    return this.json('GET', '/v1/whoami');
  }

  /** Tokens not revoked (admin): never their hashes. */
  listTokens(): Promise<{ tokens: TokenInfo[] }> {
    return this.json('GET', '/v1/tokens');
  }

  /** Creates a token (admin); `secret` is its plaintext, shown this once. */
  createToken(body: {
    name: string;
    role?: 'admin' | 'deployer' | 'viewer';
    apps?: string[];
    expiresInSeconds?: number;
  }): Promise<CreatedTokenInfo> {
    return this.json('POST', '/v1/tokens', { body });
  }

  /** Revokes a token by name (admin); it stops working at once. */
  revokeToken(name: string): Promise<{ revoked: TokenInfo }> {
    return this.json('DELETE', `/v1/tokens/${enc(name)}`);
  }

  getLock(app: string): Promise<{ lock: LockInfo | null }> {
    return this.json('GET', `/v1/apps/${enc(app)}/lock`);
  }

  /** Breaks the app's deploy lock; `released` is the lock that was removed, if there was one. */
  releaseLock(app: string): Promise<{ released: LockInfo | null }> {
    return this.json('DELETE', `/v1/apps/${enc(app)}/lock`);
  }

  listSchedules(app: string): Promise<{ schedules: ScheduleInfo[] }> {
    return this.json('GET', `/v1/apps/${enc(app)}/schedules`);
  }

  /** Runs of a schedule, newest first. */
  scheduleHistory(app: string, name: string, limit = 20): Promise<{ runs: ScheduleRunInfo[] }> {
    return this.json('GET', `/v1/apps/${enc(app)}/schedules/${enc(name)}/runs?limit=${limit}`);
  }

  /** One run, with the tail of its output. */
  scheduleRun(app: string, name: string, id: number): Promise<{ run: ScheduleRunInfo }> {
    return this.json('GET', `/v1/apps/${enc(app)}/schedules/${enc(name)}/runs/${id}`);
  }

  /** Runs the schedule now, once; answers with the claimed run (it goes on in the background). */
  runSchedule(app: string, name: string): Promise<{ run: ScheduleRunInfo }> {
    return this.json('POST', `/v1/apps/${enc(app)}/schedules/${enc(name)}/runs`);
  }

  setSchedulePaused(app: string, name: string, paused: boolean): Promise<{ schedule: ScheduleInfo }> {
    return this.json('POST', `/v1/apps/${enc(app)}/schedules/${enc(name)}/${paused ? 'pause' : 'resume'}`);
  }

  listNotifyTargets(app: string): Promise<{ targets: NotifyTargetInfo[] }> {
    return this.json('GET', `/v1/apps/${enc(app)}/notify`);
  }

  addNotifyTarget(
    app: string,
    body: { url: string; secret?: string; events?: string[] },
  ): Promise<{ target: NotifyTargetInfo }> {
    return this.json('POST', `/v1/apps/${enc(app)}/notify`, { body });
  }

  removeNotifyTarget(app: string, idOrUrl: string): Promise<{ target: NotifyTargetInfo }> {
    return this.json('DELETE', `/v1/apps/${enc(app)}/notify/${enc(idOrUrl)}`);
  }

  listCerts(app: string): Promise<TlsInfo & { certificates: CertificateInfo[] }> {
    return this.json('GET', `/v1/apps/${enc(app)}/certs`);
  }

  /** Routes `hostname` to the app; without cert and key the local CA issues the certificate. */
  addCert(
    app: string,
    body: { hostname: string; cert?: string; key?: string },
  ): Promise<TlsInfo & { certificate: CertificateInfo }> {
    return this.json('POST', `/v1/apps/${enc(app)}/certs`, { body });
  }

  getCert(app: string, hostname: string): Promise<TlsInfo & { certificate: CertificateInfo }> {
    return this.json('GET', `/v1/apps/${enc(app)}/certs/${enc(hostname)}`);
  }

  removeCert(app: string, hostname: string): Promise<{ removed: CertificateInfo }> {
    return this.json('DELETE', `/v1/apps/${enc(app)}/certs/${enc(hostname)}`);
  }

  listIps(app: string): Promise<IpInfo[]> {
    return this.json('GET', `/v1/apps/${enc(app)}/ips`);
  }

  allocateIp(app: string, body: { address?: string; port?: number; tls?: boolean }): Promise<IpInfo> {
    return this.json('POST', `/v1/apps/${enc(app)}/ips`, { body });
  }

  releaseIp(app: string, address: string, port?: number): Promise<{ released: IpInfo }> {
    return this.json('DELETE', `/v1/apps/${enc(app)}/ips/${enc(address)}${queryString({ port })}`);
  }

  /** Streams a release's progress events; with follow, until the release is final. */
  releaseEvents(
    app: string,
    version: number,
    follow: boolean,
    onEvent: (e: EventInfo) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    return this.ndjson(
      `/v1/apps/${enc(app)}/releases/${version}/events`,
      { follow: follow ? 1 : undefined },
      onEvent,
      signal,
    );
  }

  /** The app's events after event id `after` (default: all kept), oldest first, as one list. */
  appEvents(app: string, after = 0): Promise<EventInfo[]> {
    return this.json('GET', `/v1/apps/${enc(app)}/events${queryString({ after: after || undefined })}`);
  }

  /** What happened (to one app, or every app), oldest first; `follow` streams new events until aborted. */
  events(
    options: { app?: string; lines?: number; follow?: boolean; all?: boolean; signal?: AbortSignal },
    onEvent: (e: EventInfo) => void,
  ): Promise<void> {
    return this.ndjson(
      '/v1/events',
      {
        app: options.app,
        lines: options.lines,
        follow: options.follow ? 1 : undefined,
        all: options.all ? 1 : undefined,
      },
      onEvent,
      options.signal,
    );
  }

  logs(
    app: string,
    options: { machine?: string; release?: number; lines?: number; follow?: boolean; signal?: AbortSignal },
    onLine: (l: LogLine) => void,
  ): Promise<void> {
    return this.ndjson(
      `/v1/apps/${enc(app)}/logs`,
      {
        machine: options.machine,
        release: options.release,
        lines: options.lines,
        follow: options.follow ? 1 : undefined,
      },
      onLine,
      options.signal,
    );
  }

  private async ndjson<T>(
    path: string,
    query: Query,
    onValue: (v: T) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const res = await this.fetch('GET', path + queryString(query), { signal });
    if (!res.ok) await throwFor(res);
    try {
      await readNdjson(res, onValue);
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
  }

  private async json<T>(
    method: string,
    path: string,
    options: { body?: unknown; raw?: NodeJS.ReadableStream; contentType?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    const res = await this.fetch(method, path, options);
    if (!res.ok) await throwFor(res);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  private async fetch(
    method: string,
    path: string,
    options: { body?: unknown; raw?: NodeJS.ReadableStream; contentType?: string; signal?: AbortSignal } = {},
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | Readable | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    } else if (options.raw) {
      headers['content-type'] = options.contentType ?? 'application/octet-stream';
      body = options.raw as Readable;
    }
    try {
      return await httpRequest(this.url + path, { method, headers, body, signal: options.signal });
    } catch (err) {
      if ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError') {
        if (options.signal?.aborted) throw err;
      }
      throw new ApiError(
        'daemon_unreachable',
        `cannot reach the berth daemon at ${this.url} (${causeOf(err)})`,
        'Start it with `berth server`, or point BERTH_API_URL at a running daemon.',
        0,
      );
    }
  }
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

async function throwFor(res: HttpResponse): Promise<never> {
  const text = await res.text();
  let body: { error?: { code?: string; message?: string; hint?: string; details?: unknown } } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not one of ours
  }
  const e = body.error;
  throw new ApiError(
    e?.code ?? `http_${res.status}`,
    e?.message ?? `the daemon answered ${res.status} ${res.statusText}`,
    e?.hint ?? '',
    res.status,
    e?.details,
  );
}

function enc(value: string): string {
  return encodeURIComponent(value);
}

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** A session's query: repeated values (cmd) in order, flags as 1. */
function sessionQuery(values: Record<string, string | number | boolean | string[] | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === false) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else params.set(k, v === true ? '1' : String(v));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

interface ErrorFields {
  code?: string;
  message?: string;
  hint?: string;
  details?: unknown;
}

/** Calls onValue for each JSON line of a response body. */
async function readNdjson<T>(res: HttpResponse, onValue: (value: T) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of res.body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim()) onValue(JSON.parse(line) as T);
    }
  }
}
