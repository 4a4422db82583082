// Composes the daemon: state, artifacts, driver, supervisor, deployer, proxy and API, then
// writes server.json so the CLI and tests can find it.
import { mkdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { buildRouter } from '../api/api.js';
import { createApiServer } from '../api/http-server.js';
import { ArtifactStore } from '../artifacts/store.js';
import { BerthError } from '../core/errors.js';
import type { Driver } from '../drivers/driver.js';
import { ProcessDriver } from '../drivers/process/process-driver.js';
import { EdgeProxy } from '../proxy/edge-proxy.js';
import { TlsListener } from '../proxy/tls-listener.js';
import { WakeGate } from '../proxy/wake-gate.js';
import { RouteTable } from '../proxy/route-table.js';
import { ProxyWorkers } from '../proxy/workers/proxy-workers.js';
import { SharedRouteTable } from '../proxy/workers/shared-route-table.js';
import { MasterKey, masterKeyFile } from '../secrets/master-key.js';
import { SecretVault } from '../secrets/vault.js';
import { Store } from '../store/store.js';
import { BERTH_VERSION } from '../version.js';
import { CertificateManager } from './certificates.js';
import { ensureAdminToken } from './credentials.js';
import { pruneArtifacts } from './artifact-pruner.js';
import { AutoStopper } from './auto-stopper.js';
import { DeployLocks } from './deploy-lock.js';
import { Deployer } from './deployer.js';
import { MachineControl } from './machine-control.js';
import { Scaler } from './scaler.js';
import { finishUnfinishedStarts } from './unfinished-starts.js';
import { HealthMonitor } from './health/health-monitor.js';
import { homeLayout, type HomeLayout } from './home.js';
import { formatUrl, type ListenAddress } from './listen-address.js';
import { NetListeners } from './net-listeners.js';
import { writeServerInfo, type ServerInfo } from './server-info.js';
import { MachineSupervisor } from './supervisor.js';
import { VolumeManager } from './volumes.js';
import { Waker } from './waker.js';

export interface DaemonOptions {
  home: string;
  api: ListenAddress;
  proxy: ListenAddress;
  /** The proxy's TLS listener (`--proxy-tls`); absent: no TLS. */
  proxyTls?: ListenAddress;
  domain: string;
  /** Processes serving the proxy's main listener: 1 (default) is the daemon itself. */
  proxyWorkers?: number;
  driver: string;
  /** Largest artifact accepted, compressed and unpacked. */
  maxArtifactBytes: number;
  log: (line: string) => void;
}

export interface RunningDaemon {
  info: ServerInfo;
  layout: HomeLayout;
  /** Stops serving; machines keep running for the next daemon to adopt. */
  close(): Promise<void>;
}

function createDriver(name: string, layout: HomeLayout): Driver {
  if (name === 'process') return new ProcessDriver({ machinesDir: layout.machines });
  throw new BerthError('invalid_request', `unknown driver "${name}"`, { hint: 'Use --driver process.' });
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const layout = homeLayout(options.home);
  for (const dir of [layout.root, layout.artifacts, layout.releases, layout.machines, layout.volumes]) {
    mkdirSync(dir, { recursive: true });
  }
  const driver = createDriver(options.driver, layout);
  const store = new Store(layout.database);
  const { created } = ensureAdminToken(store.tokens, layout.credentials);
  if (created) options.log(`created the admin token in ${layout.credentials}`);

  const artifacts = new ArtifactStore(layout.artifacts, { maxBytes: options.maxArtifactBytes });
  const workerCount = options.proxyWorkers ?? 1;
  const routes =
    workerCount > 1
      ? new SharedRouteTable({ domain: options.domain })
      : new RouteTable({ domain: options.domain });
  const supervisor = new MachineSupervisor(store, driver, routes, layout);
  // Checked before any machine starts: a wrong master key stops the daemon here, not a machine later.
  const secrets = new SecretVault(store.secrets, MasterKey.locate(masterKeyFile(layout.root)));
  secrets.verifyMasterKey();
  supervisor.secretEnv = (app) => secrets.envFor(app);
  const proxy = new EdgeProxy({ routes, domain: options.domain });
  // With workers, the main listener is theirs; the daemon's proxy serves TLS and allocated addresses.
  const proxyWorkers =
    routes instanceof SharedRouteTable
      ? new ProxyWorkers({ count: workerCount, routes, log: options.log })
      : undefined;
  supervisor.onDrainDeadline = (machineId) => {
    proxy.closeTunnelsTo(machineId);
    proxyWorkers?.closeTunnelsTo(machineId);
  };
  const volumes = new VolumeManager(store, layout, driver, supervisor);
  supervisor.volumeMounts = (machine, release) => volumes.mountsFor(machine, release);
  const proxyAddress = proxyWorkers
    ? await proxyWorkers.start(options.proxy.host, options.proxy.port)
    : await proxy.listen(options.proxy.host, options.proxy.port);
  if (proxyWorkers)
    options.log(`proxy: ${workerCount} worker processes (pids ${proxyWorkers.pids().join(', ')})`);
  const proxyPortSuffix = `:${proxyAddress.port}`;
  const urlFor = (app: string) => `http://${app}.${options.domain}${proxyPortSuffix}`;
  const certificates = new CertificateManager(store, routes, layout.root, options.log);
  certificates.load();
  let tls: TlsListener | undefined;
  let tlsUrl: string | undefined;
  if (options.proxyTls) {
    tls = new TlsListener(proxy, (name) => certificates.secureContext(name));
    const address = await tls.listen(options.proxyTls.host, options.proxyTls.port);
    tlsUrl = formatUrl(address.host, address.port).replace(/^http:/, 'https:');
    if (proxyWorkers) proxyWorkers.tlsPort = address.port;
  }
  const netListeners = new NetListeners(store, routes, proxy, proxyAddress.host, options.log, certificates);

  const maxUnpackedBytes = options.maxArtifactBytes * 4;
  // Locks and health waits keep no state of their own: these share the deployer's tables.
  const locks = new DeployLocks(store.locks);
  const health = new HealthMonitor();
  const hostFor = (app: string) => `${app}.${options.domain}`;
  const scaler = new Scaler({ store, supervisor, health, locks, layout, hostFor });
  const machineControl = new MachineControl({
    store,
    supervisor,
    health,
    locks,
    layout,
    hostFor,
    artifacts,
    maxUnpackedBytes,
  });
  const deployer = new Deployer({
    store,
    supervisor,
    driver,
    artifacts,
    health: new HealthMonitor(),
    locks: new DeployLocks(store.locks),
    layout,
    maxUnpackedBytes,
    hostFor: (app) => `${app}.${options.domain}`,
    secrets,
    checkVolumes: (app, config, strategy) => volumes.checkDeploy(app, config, strategy),
    afterSuccess: () => {
      const { removed } = pruneArtifacts(store, artifacts);
      if (removed.length > 0) options.log(`pruned ${removed.length} artifact(s) no recent release uses`);
    },
  });

  await supervisor.start();
  await deployer.recover();
  // In the background: the API must answer while those machines get healthy.
  void finishUnfinishedStarts({ store, supervisor, health, hostFor }, options.log);
  await netListeners.start();
  // Scale to zero: idle machines stop; a request to an app with none started wakes one.
  const waker = new Waker({
    store,
    supervisor,
    routes,
    hostFor: (app) => `${app}.${options.domain}`,
    log: options.log,
  });
  proxy.wakeGate = new WakeGate((app) => waker.wake(app), { log: options.log });
  if (proxyWorkers) proxyWorkers.wake = (app) => waker.wake(app);
  const autoStopper = new AutoStopper({ store, supervisor, routes, waker, log: options.log });
  autoStopper.start();

  const router = buildRouter(
    {
      store,
      artifacts,
      deployer,
      scaler,
      machineControl,
      supervisor,
      volumes,
      routes,
      secrets,
      urlFor,
      version: BERTH_VERSION,
      maxUnpackedBytes,
      scratchDir: layout.artifacts,
      certificates,
      netListeners,
      ...(tlsUrl !== undefined && { tlsUrl }),
    },
    layout.releases,
  );
  const api = createApiServer(router, store.tokens, options.log);
  await new Promise<void>((resolve, reject) => {
    api.once('error', reject);
    api.listen(options.api.port, options.api.host, () => resolve());
  });
  const apiPort = (api.address() as AddressInfo).port;

  const info: ServerInfo = {
    pid: process.pid,
    apiUrl: formatUrl(options.api.host, apiPort),
    proxyUrl: formatUrl(proxyAddress.host, proxyAddress.port),
    ...(tlsUrl !== undefined && { proxyTlsUrl: tlsUrl }),
    caCertPath: certificates.ca.certPath,
    domain: options.domain,
    driver: driver.name,
    startedAt: new Date().toISOString(),
    version: BERTH_VERSION,
  };
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
      supervisor.stop();
      await new Promise<void>((resolve) => {
        api.close(() => resolve());
        api.closeAllConnections();
      });
      await netListeners.close();
      await tls?.close();
      await Promise.all([proxy.close(), proxyWorkers?.close()]);
      store.close();
      rmSync(layout.serverInfo, { force: true });
    },
  };
}
