// `client.deploy({ dir })`: what `berth deploy` does, for a program. Read and check the config,
// pack and upload the directory, make the release, follow its rollout, and say how it ended.
// It rejects only when the deploy could not be asked for or followed (bad input, a refusal,
// the daemon gone); a deploy that fails or is reverted resolves with that outcome.
import { readFileSync, statSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { ApiError } from './api-error.js';
import type { BerthClient } from './client.js';
import { followRelease, type RolloutOutcome } from './follow-release.js';
import type { DeployResult, DriverName, EventInfo, ReleaseInfo } from './types.js';
import { uploadDirectory } from './upload-dir.js';
import { ERROR_CATALOG, isBerthError, type ErrorCode } from '../core/errors.js';
import type { Diagnostic } from '../core/config/types.js';
import type { DeployBody } from '../api/schemas.js';

export type DeployStrategyName = NonNullable<DeployBody['strategy']>;

export interface DeployOptions {
  /** The app's directory (relative to the working directory): its files are the release's. */
  dir: string;
  /** Default: the config's `app`, else the directory's name. */
  app?: string;
  /** The config file; default berth.toml, else fly.toml, in `dir`. */
  config?: string;
  /** Overrides [deploy] strategy for this deploy. */
  strategy?: DeployStrategyName;
  /** Why: recorded as the release's description (default "deploy"). */
  description?: string;
  /** How long to wait for another deploy's lock on the app; 0 or absent fails at once. */
  lockWaitMs?: number;
  /** Overrides [deploy] wait_timeout: how long each batch may take to become healthy. */
  waitTimeoutMs?: number;
  skipReleaseCommand?: boolean;
  /** This deploy's driver, and the app's from now on. */
  driver?: DriverName;
  /** false: resolve once the release exists (outcome "started"), without following the rollout. */
  follow?: boolean;
  /** Each step as it happens. */
  onProgress?: (progress: DeployProgress) => void;
  /** Before the release exists, stops the deploy; after, stops following (the rollout goes on in the daemon). The call rejects with the abort reason. */
  signal?: AbortSignal;
}

export type DeployProgress =
  /** The config was read; warnings (and errors, just before the call rejects) are in diagnostics. */
  | { kind: 'config'; file: string; diagnostics: Diagnostic[]; driverNote: string | null }
  | { kind: 'pack'; dir: string; digest: string; files: number; size: number }
  | { kind: 'upload'; skipped: boolean; size: number }
  | { kind: 'release'; app: string; version: number; url: string; warnings: string[] }
  /** A progress event of the rollout (build output, health checks, machines replaced...). */
  | { kind: 'event'; event: EventInfo };

interface DeployFacts {
  app: string;
  /** The release as the rollout left it (status complete, failed or reverted). */
  release: ReleaseInfo;
  url: string;
  deploymentId: number;
  /** The daemon's warnings about the config. */
  warnings: string[];
  artifact: { digest: string; files: number; size: number; uploaded: boolean };
}

export type DeployOutcome = DeployFacts &
  (
    | {
        outcome: RolloutOutcome;
        /** The event that ended the rollout; for a failed one its data says why. */
        final: EventInfo;
      }
    /** With follow: false, once the release exists. */
    | { outcome: 'started'; final: null }
  );

/**
 * The deploy itself. `connect` may be a function giving the client, called only once the
 * config has passed (so `berth deploy` starts no daemon for a config it refuses).
 */
export async function deployDirectory(
  connect: BerthClient | (() => Promise<BerthClient>),
  options: DeployOptions,
): Promise<DeployOutcome> {
  const progress = options.onProgress ?? (() => {});
  const { dir, configPath, text, app } = await readApp(options, progress);
  const client = typeof connect === 'function' ? await connect() : connect;
  const artifact = await local(() =>
    uploadDirectory(client, dir, (packed) =>
      progress({ kind: 'pack', dir: relative(process.cwd(), dir) || '.', ...packed }),
    ),
  );
  progress({ kind: 'upload', skipped: !artifact.uploaded, size: artifact.size });
  // Aborted before the release exists: nothing is started.
  options.signal?.throwIfAborted();
  const started: DeployResult = await client.startDeploy(app, {
    artifact: artifact.digest,
    config: { file: basename(configPath), text },
    description: options.description,
    lockWaitMs: options.lockWaitMs,
    strategy: options.strategy,
    waitTimeoutMs: options.waitTimeoutMs,
    skipReleaseCommand: options.skipReleaseCommand,
    ...(options.driver && { driver: options.driver }),
  });
  const { version } = started.release;
  progress({ kind: 'release', app, version, url: started.url, warnings: started.warnings });
  const facts = {
    app,
    url: started.url,
    deploymentId: started.deploymentId,
    warnings: started.warnings,
    artifact,
  };
  if (options.follow === false)
    return { ...facts, release: started.release, outcome: 'started', final: null };
  const followed = await followRelease(client, app, version, {
    onEvent: (event) => progress({ kind: 'event', event }),
    signal: options.signal,
  });
  const { config: _config, ...release } = await client.getRelease(app, version);
  return { ...facts, release, outcome: followed.outcome, final: followed.final };
}

/** The directory, its config (checked here first, as the daemon will check it again) and the app's name. */
async function readApp(
  options: DeployOptions,
  progress: (p: DeployProgress) => void,
): Promise<{ dir: string; configPath: string; text: string; app: string }> {
  // Loaded on first use: the config parser is needed by deploys only.
  const { findConfigFile, loadConfigText } = await import('../config/load.js');
  const { appNameFromDirectory } = await import('../core/app-name.js');
  const { buildSource, DEFAULT_DOCKERFILE, describeImpliedDriver, impliedDriver } =
    await import('../core/config/build-source.js');
  return local(() => {
    const dir = resolve(options.dir);
    const stat = statSync(dir, { throwIfNoEntry: false });
    if (!stat?.isDirectory()) {
      throw localError(
        'invalid_request',
        `${options.dir} is not a directory`,
        "Pass the app's directory as `dir`.",
      );
    }
    const configPath = findConfigFile(dir, options.config);
    const text = readFileSync(configPath, 'utf8');
    const file = relative(process.cwd(), configPath) || configPath;
    const loaded = loadConfigText(text, file);
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    const hasDockerfile = statSync(resolve(dir, DEFAULT_DOCKERFILE), { throwIfNoEntry: false }) !== undefined;
    const implied = loaded.config
      ? impliedDriver(buildSource(loaded.config.build, hasDockerfile))
      : undefined;
    progress({
      kind: 'config',
      file,
      diagnostics: loaded.diagnostics,
      driverNote: implied?.driver === 'docker' ? describeImpliedDriver(implied) : null,
    });
    if (!loaded.config || errors.length > 0) {
      throw new ApiError(
        'invalid_config',
        `${file} has ${errors.length} error(s)`,
        ERROR_CATALOG.invalid_config.hint,
        ERROR_CATALOG.invalid_config.status,
        { diagnostics: loaded.diagnostics },
      );
    }
    const app = options.app ?? loaded.config.app ?? appNameFromDirectory(basename(dir));
    if (!app) {
      throw localError(
        'no_app_name',
        `no app name: ${file} has none and "${basename(dir)}" is not usable as one`,
      );
    }
    return { dir, configPath, text, app };
  });
}

/** Runs local work, turning its coded errors into the ApiError every SDK call rejects with. */
async function local<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isBerthError(err)) throw new ApiError(err.code, err.message, err.hint, err.status, err.details);
    throw err;
  }
}

function localError(code: ErrorCode, message: string, hint?: string): ApiError {
  const kind = ERROR_CATALOG[code];
  return new ApiError(code, message, hint ?? kind.hint, kind.status);
}
