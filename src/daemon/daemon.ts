// Composes the daemon: state, artifacts, driver, supervisor, deployer, proxy and API, then
// writes server.json so the CLI and tests can find it.
import { mkdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { buildRouter } from '../api/api.js';
import { createApiServer } from '../api/http-server.js';
import { DashboardAssets } from '../api/dashboard/assets.js';
import { DashboardAuth } from '../api/dashboard/session-auth.js';
import { ArtifactStore } from '../artifacts/store.js';
import { EdgeProxy } from '../proxy/edge-proxy.js';
import type { ProxyLimits } from '../proxy/limits.js';
import { TlsListener } from '../proxy/tls-listener.js';
import { WakeGate } from '../proxy/wake-gate.js';
import { RouteTable } from '../proxy/route-table.js';
import { ProxyWorkers } from '../proxy/workers/proxy-workers.js';
import { SharedRouteTable } from '../proxy/workers/shared-route-table.js';
import { MasterKey, masterKeyFile } from '../secrets/master-key.js';
import { SecretVault } from '../secrets/vault.js';
import { Store } from '../store/store.js';
import { BERTH_VERSION } from '../version.js';
import { AppCreator } from './app-creator.js';
import { AppDestroyer } from './app-destroyer.js';
import { CertificateManager } from './certificates.js';
import { ensureAdminToken, ensureMetricsToken } from './credentials.js';
import { EventCounters } from './metrics/event-counters.js';
import { MetricsExposition } from './metrics/prometheus.js';
import { ProxyTraffic } from './metrics/proxy-traffic.js';
import { pruneArtifacts } from './artifact-pruner.js';
import { AutoStopper } from './auto-stopper.js';
import { DeployLocks } from './deploy-lock.js';
import { Deployer } from './deployer.js';
import { startDrivers } from './drivers.js';
import { LogCollector } from './logs/log-collector.js';
import { DEFAULT_LOG_CAPS, LogFiles } from './logs/log-files.js';
import type { LogCaps } from '../core/logs/log-retention.js';
import { upgradeLegacyRecords } from './legacy-records.js';
import { pruneAppReleases } from './release-pruner.js';
import { MachineControl } from './machine-control.js';
import { Scaler } from './scaler.js';
import { SecretChanges } from './secret-changes.js';
import { finishUnfinishedStarts } from './unfinished-starts.js';
import { HealthMonitor } from './health/health-monitor.js';
import {
  createPrivateFile,
  homeLayout,
  securePrivateFiles,
  securePrivateHome,
  type HomeLayout,
} from './home.js';
import { HomeLock } from './home-lock.js';
import { formatUrl, type ListenAddress } from './listen-address.js';
import { NetListeners } from './net-listeners.js';
import { preferRemembered, readListenPorts, writeListenPorts } from './listen-ports.js';
import { OneOffRuns } from './one-off-runs.js';
import { writeServerInfo, type ServerInfo } from './server-info.js';
import { Notifier } from './notify/notifier.js';
import { Scheduler } from './schedules/scheduler.js';
import { MachineSupervisor } from './supervisor.js';
import { VolumeManager } from './volumes.js';
import { Waker } from './waker.js';
import type { BeforeStep } from './rollout/step-hook.js';

export interface DaemonOptions {
  home: string;
  api: ListenAddress;
  proxy: ListenAddress;
  /** The proxy's TLS listener (`--proxy-tls`); absent: no TLS. */
  proxyTls?: ListenAddress;
  domain: string;
  /** Processes serving the proxy's main listener: 1 (default) is the daemon itself. */
  proxyWorkers?: number;
  /** The default driver (`--driver process|docker|swarm`); docker needs a reachable Engine, swarm a manager's. */
  driver: string;
  /** `--registry HOST:PORT`: the registry the swarm's nodes pull release images from. */
  registry?: string;
  /** `--registry-port N`: the port of berth's own registry (default 5000). */
  registryPort?: number;
  /** Where DOCKER_HOST is read; default process.env. */
  env?: Record<string, string | undefined>;
  /** Largest artifact accepted, compressed and unpacked. */
  maxArtifactBytes: number;
  /** The proxy's time limits, queueing and trusted proxies; unset ones take their defaults. */
  proxyLimits?: Partial<ProxyLimits>;
  /** Kept machine logs: per-machine and total size caps, retention; unset ones take their defaults. */
  logCaps?: Partial<LogCaps>;
  log: (line: string) => void;
  /**
   * `berth server stop|restart` through the API: what the program running the daemon does
   * (`berth server`: shut down as on SIGTERM, and for restart start its successor).
   */
  control?: { stop(): void; restart(): void };
  /** Tests only: a hook run before each named deployment step (see rollout/step-hook.ts). */
  beforeStep?: BeforeStep;
}

export interface RunningDaemon {
  info: ServerInfo;
  layout: HomeLayout;
  /** Stops serving; machines keep running for the next daemon to adopt. */
  close(): Promise<void>;
}

/** Machines run before `-e` values were sealed: seal them now, so berth.db holds none in the clear. */
function sealLegacyRunEnv(store: Store, secrets: SecretVault): void {
  for (const machine of store.machines.listLive()) {
    const config = machine.runConfig;
    if (!config || config.envSealed) continue;
    store.machines.setRunConfig(machine.id, {
      ...config,
      env: secrets.sealMachineEnv(machine.app, config.env),
      envSealed: true,
    });
  }
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const layout = homeLayout(options.home);
  mkdirSync(layout.root, { recursive: true, mode: 0o700 });
  // Before anything else touches the home: a second daemon must change nothing.
  const lock = HomeLock.acquire(layout);
  try {
    const daemon = await startHolding(options, layout);
    return {
      ...daemon,
      close: async () => {
        await daemon.close();
        lock.release();
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function startHolding(options: DaemonOptions, layout: HomeLayout): Promise<RunningDaemon> {
  const tightened = securePrivateHome(layout);
  if (tightened)
    options.log(`${layout.root} was mode ${tightened}; it holds berth's keys and state, now 0700`);
  createPrivateFile(layout.database);
  const store = new Store(layout.database);
  securePrivateFiles(layout);
  upgradeLegacyRecords(store, layout);
  const drivers = await startDrivers({
    layout,
    store,
    defaultDriver: options.driver,
    env: options.env ?? process.env,
    ...(options.registry !== undefined ? { registry: options.registry } : {}),
    ...(options.registryPort !== undefined ? { registryPort: options.registryPort } : {}),
    log: options.log,
  });
  const { created } = ensureAdminToken(store.tokens, layout.credentials);
  if (created) options.log(`created the admin token in ${layout.credentials}`);
  if (ensureMetricsToken(store.tokens, layout.metricsToken).created)
    options.log(`created the read-only metrics token in ${layout.metricsToken}`);

  const artifacts = new ArtifactStore(layout.artifacts, { maxBytes: options.maxArtifactBytes });
  const workerCount = options.proxyWorkers ?? 1;
  const routes =
    workerCount > 1
      ? new SharedRouteTable({ domain: options.domain })
      : new RouteTable({ domain: options.domain });
  const supervisor = new MachineSupervisor(store, drivers, routes);
  const logFiles = new LogFiles(layout.logs, { ...DEFAULT_LOG_CAPS, ...options.logCaps }, options.log);
  const logCollector = new LogCollector(store, drivers, logFiles, options.log);
  supervisor.beforeDestroy = (machineId) => logCollector.finish(machineId);
  supervisor.keptLogLines = (machine, count) =>
    logFiles.tail(machine.app, count, { machine: machine.id, outputOnly: true }).map((r) => r.line);
  // Checked before any machine starts: a wrong master key stops the daemon here, not a machine later.
  const secrets = new SecretVault(store.secrets, MasterKey.locate(masterKeyFile(layout.root)));
  secrets.verifyMasterKey();
  supervisor.secretEnv = (app) => secrets.envFor(app);
  supervisor.openRunEnv = (app, sealed) => secrets.openMachineEnv(app, sealed);
  sealLegacyRunEnv(store, secrets);
  for (const driver of drivers.all()) {
    const isolation = await driver.isolation?.();
    if (isolation) options.log(`${driver.name} driver: ${isolation.summary}`);
  }
  const proxyLimits = options.proxyLimits ?? {};
  const proxy = new EdgeProxy({ routes, domain: options.domain, limits: proxyLimits });
  // With workers, the main listener is theirs; the daemon's proxy serves TLS and allocated addresses.
  const proxyWorkers =
    routes instanceof SharedRouteTable
      ? new ProxyWorkers({ count: workerCount, routes, limits: proxyLimits, log: options.log })
      : undefined;
  supervisor.onDrainDeadline = (machineId) => {
    proxy.closeTunnelsTo(machineId);
    proxyWorkers?.closeTunnelsTo(machineId);
  };
  supervisor.onUnreachable = (machineId, address) => {
    proxy.abandonMachine(machineId, address);
    proxyWorkers?.abandonMachine(machineId, address);
  };
  if (options.beforeStep) supervisor.beforeStep = options.beforeStep;
  const volumes = new VolumeManager(store, drivers, supervisor);
  supervisor.volumeMounts = (machine, release, driver) => volumes.mountsFor(machine, release, driver);
  const remembered = readListenPorts(layout.listenPorts);
  const proxyListen = await preferRemembered('proxy', options.proxy, remembered, options.log);
  const proxyAddress = proxyWorkers
    ? await proxyWorkers.start(proxyListen.host, proxyListen.port)
    : await proxy.listen(proxyListen.host, proxyListen.port);
  if (proxyWorkers)
    options.log(`proxy: ${workerCount} worker processes (pids ${proxyWorkers.pids().join(', ')})`);
  const proxyPortSuffix = `:${proxyAddress.port}`;
  const urlFor = (app: string) => `http://${app}.${options.domain}${proxyPortSuffix}`;
  const certificates = new CertificateManager(store, routes, layout.root, options.log);
  certificates.load();
  let tls: TlsListener | undefined;
  let tlsUrl: string | undefined;
  let tlsPort: number | undefined;
  if (options.proxyTls) {
    tls = new TlsListener(proxy, (name) => certificates.secureContext(name));
    const tlsListen = await preferRemembered('proxyTls', options.proxyTls, remembered, options.log);
    const address = await tls.listen(tlsListen.host, tlsListen.port);
    tlsPort = address.port;
    tlsUrl = formatUrl(address.host, address.port).replace(/^http:/, 'https:');
    if (proxyWorkers) proxyWorkers.tlsPort = address.port;
  }
  const netListeners = new NetListeners(store, routes, proxy, proxyAddress.host, options.log, certificates);

  const maxUnpackedBytes = options.maxArtifactBytes * 4;
  // Locks and health waits keep no state of their own: these share the deployer's tables.
  const locks = new DeployLocks(store.locks);
  const health = new HealthMonitor();
  const hostFor = (app: string) => `${app}.${options.domain}`;
  const scaler = new Scaler({ store, supervisor, health, locks, drivers, hostFor });
  const machineControl = new MachineControl({
    store,
    sealEnv: (app, env) => secrets.sealMachineEnv(app, env),
    supervisor,
    health,
    locks,
    drivers,
    hostFor,
    artifacts,
    maxUnpackedBytes,
  });
  const deployer = new Deployer({
    store,
    supervisor,
    drivers,
    artifacts,
    health: new HealthMonitor(),
    locks: new DeployLocks(store.locks),
    maxUnpackedBytes,
    hostFor: (app) => `${app}.${options.domain}`,
    secrets,
    checkVolumes: (app, config, strategy, driver) => volumes.checkDeploy(app, config, strategy, driver),
    ...(options.beforeStep && { beforeStep: options.beforeStep }),
    afterSuccess: (app) => {
      const { removed } = pruneArtifacts(store, artifacts);
      if (removed.length > 0) options.log(`pruned ${removed.length} artifact(s) no recent release uses`);
      pruneAppReleases(store, drivers, app).catch((err: unknown) =>
        options.log(
          `could not prune old releases of ${app}: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
    },
  });

  // Before adoption: an adopted machine's output since the last daemon is copied first.
  logCollector.start();
  await supervisor.start();
  const oneOffRuns = new OneOffRuns({ store, supervisor, drivers, machineControl });
  await oneOffRuns.removeOrphanConsoles();
  await deployer.recover();
  // In the background: the API must answer while those machines get healthy.
  void finishUnfinishedStarts({ store, supervisor, health, hostFor }, options.log);
  await netListeners.start();
  // Metrics: the proxy's counters (with its workers'), read every 10 s for `berth metrics`
  // and usage, and by GET /metrics; the daemon's own events counted beside them.
  const traffic = new ProxyTraffic({
    local: routes,
    ...(proxyWorkers && { remote: proxyWorkers }),
    usage: store.usage,
    log: options.log,
  });
  traffic.start();
  const eventCounters = new EventCounters();
  const metrics = new MetricsExposition({ store, readProxy: () => traffic.read(), events: eventCounters });
  // Scale to zero: idle machines stop; a request to an app with none started wakes one.
  const waker = new Waker({
    store,
    supervisor,
    routes,
    hostFor: (app) => `${app}.${options.domain}`,
    log: options.log,
    onWake: (app, release, woken, seconds) => eventCounters.recordWake(app, release, woken, seconds),
  });
  proxy.wakeGate = new WakeGate((app) => waker.wake(app), { log: options.log });
  if (proxyWorkers) proxyWorkers.wake = (app) => waker.wake(app);
  const autoStopper = new AutoStopper({ store, supervisor, routes, waker, log: options.log });
  autoStopper.start();
  // Schedules run once machines are adopted, so a run an earlier daemon started is watched, not repeated.
  const scheduler = new Scheduler({ store, drivers, supervisor, log: options.log });
  // Each finished run feeds the metrics (outcome and duration) and, when a machine ran it, the
  // release's usage.
  scheduler.onRunFinished((run) => {
    const release = run.releaseVersion ?? store.apps.get(run.app)?.currentRelease ?? 0;
    const seconds = (run.durationMs ?? 0) / 1000;
    eventCounters.recordScheduleRun(run.app, release, run.schedule, run.outcome ?? 'unknown', seconds);
    if (run.machineId !== null && run.releaseVersion !== null)
      store.usage.addScheduleRun(run.app, run.releaseVersion);
  });
  scheduler.start();
  const notifier = new Notifier({ store, secrets, supervisor, log: options.log });
  notifier.start();

  // Known once the API listens; only requests, which come after, read it.
  const serving: { info?: ServerInfo } = {};
  const router = buildRouter({
    store,
    artifacts,
    deployer,
    appCreator: new AppCreator(store, routes),
    appDestroyer: new AppDestroyer({ store, supervisor, routes, volumes, certificates, locks, drivers }),
    secretChanges: new SecretChanges({ store, secrets, deployer }),
    scaler,
    machineControl,
    oneOffRuns,
    supervisor,
    drivers,
    logs: { files: logFiles, collector: logCollector },
    volumes,
    routes,
    secrets,
    urlFor,
    version: BERTH_VERSION,
    maxUnpackedBytes,
    scratchDir: layout.artifacts,
    certificates,
    netListeners,
    scheduler,
    ...(tlsUrl !== undefined && { tlsUrl }),
    metrics,
    traffic,
    server: {
      info: () => serving.info!,
      home: layout.root,
      ...(options.control && { stop: options.control.stop, restart: options.control.restart }),
    },
  });
  const api = createApiServer(router, store.tokens, options.log, {
    assets: new DashboardAssets(),
    auth: new DashboardAuth(store.dashboardSessions, store.tokens),
  });
  const apiListen = await preferRemembered('api', options.api, remembered, options.log);
  await new Promise<void>((resolve, reject) => {
    api.once('error', reject);
    api.listen(apiListen.port, apiListen.host, () => resolve());
  });
  const apiPort = (api.address() as AddressInfo).port;
  writeListenPorts(layout.listenPorts, {
    ...remembered,
    api: { host: options.api.host, port: apiPort },
    proxy: { host: options.proxy.host, port: proxyAddress.port },
    ...(options.proxyTls &&
      tlsPort !== undefined && { proxyTls: { host: options.proxyTls.host, port: tlsPort } }),
  });

  const info: ServerInfo = {
    pid: process.pid,
    apiUrl: formatUrl(options.api.host, apiPort),
    proxyUrl: formatUrl(proxyAddress.host, proxyAddress.port),
    ...(tlsUrl !== undefined && { proxyTlsUrl: tlsUrl }),
    caCertPath: certificates.ca.certPath,
    domain: options.domain,
    driver: drivers.default,
    startedAt: new Date().toISOString(),
    version: BERTH_VERSION,
  };
  serving.info = info;
  writeServerInfo(layout.serverInfo, info);
  options.log(
    `berth ${BERTH_VERSION} serving the API on ${info.apiUrl} and apps on ${info.proxyUrl} (*.${options.domain})`,
  );
  if (info.proxyTlsUrl) {
    options.log(`TLS on ${info.proxyTlsUrl}; certificates from the local CA chain to ${info.caCertPath}`);
  }

  return {
    info,
    layout,
    close: async () => {
      autoStopper.stop();
      scheduler.stop();
      notifier.stop();
      supervisor.stop();
      await logCollector.close();
      // No exits are reacted to past this point; the Engine's event stream is let go.
      await drivers.close();
      await new Promise<void>((resolve) => {
        api.close(() => resolve());
        api.closeAllConnections();
      });
      await netListeners.close();
      await tls?.close();
      // Before the workers go: what they counted since the last reading reaches usage.
      await traffic.stop();
      await Promise.all([proxy.close(), proxyWorkers?.close()]);
      store.close();
      rmSync(layout.serverInfo, { force: true });
    },
  };
}
