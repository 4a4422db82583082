// What API handlers may use: the daemon's parts, passed in so tests can build a daemon on
// port 0 in a temp home and handlers never reach for globals.
import type { ArtifactStore } from '../artifacts/store.js';
import type { AppCreator } from '../daemon/app-creator.js';
import type { AppDestroyer } from '../daemon/app-destroyer.js';
import type { CertificateManager } from '../daemon/certificates.js';
import type { Deployer } from '../daemon/deployer.js';
import type { DaemonDrivers } from '../daemon/drivers.js';
import type { LogCollector } from '../daemon/logs/log-collector.js';
import type { LogFiles } from '../daemon/logs/log-files.js';
import type { MachineControl } from '../daemon/machine-control.js';
import type { MetricsExposition } from '../daemon/metrics/prometheus.js';
import type { ProxyTraffic } from '../daemon/metrics/proxy-traffic.js';
import type { Scaler } from '../daemon/scaler.js';
import type { Scheduler } from '../daemon/schedules/scheduler.js';
import type { NetListeners } from '../daemon/net-listeners.js';
import type { OneOffRuns } from '../daemon/one-off-runs.js';
import type { SecretChanges } from '../daemon/secret-changes.js';
import type { MachineSupervisor } from '../daemon/supervisor.js';
import type { VolumeManager } from '../daemon/volumes.js';
import type { RouteTable } from '../proxy/route-table.js';
import type { ServerInfo } from '../daemon/server-info.js';
import type { SecretVault } from '../secrets/vault.js';
import type { Store } from '../store/store.js';

export interface ApiServices {
  store: Store;
  artifacts: ArtifactStore;
  deployer: Deployer;
  /** `apps destroy`, under the app's deploy lock. */
  appCreator: AppCreator;
  appDestroyer: AppDestroyer;
  /** `secrets set|unset|deploy`: staging and the release that applies it. */
  secretChanges: SecretChanges;
  scaler: Scaler;
  machineControl: MachineControl;
  /** `berth run` and `berth console`: temporary machines joined to a session. */
  oneOffRuns: OneOffRuns;
  supervisor: MachineSupervisor;
  drivers: DaemonDrivers;
  /** Machine output as the daemon keeps it (gone machines' too), and the lines as they come. */
  logs: { files: LogFiles; collector: LogCollector };
  volumes: VolumeManager;
  routes: RouteTable;
  secrets: SecretVault;
  /** The URL an app answers on through the proxy. */
  urlFor(app: string): string;
  version: string;
  /** Largest unpacked size of an artifact. */
  maxUnpackedBytes: number;
  /** Where uploads are trial-unpacked. */
  scratchDir: string;
  /** Hostnames and their certificates. */
  certificates: CertificateManager;
  /** TCP passthrough and addresses dedicated to one app. */
  netListeners: NetListeners;
  /** `[schedules.NAME]`: listing, history, runs by hand, pause and resume. */
  scheduler: Scheduler;
  /** The daemon itself, for `berth server status|stop|restart`. */
  server: ServerControl;
  /** The proxy's TLS listener, when the daemon has one. */
  tlsUrl?: string;
  /** GET /metrics. */
  metrics: MetricsExposition;
  /** Traffic summaries and usage per app and release. */
  traffic: ProxyTraffic;
}

export interface ServerControl {
  /** What server.json says (set once the daemon listens). */
  info(): ServerInfo;
  home: string;
  /** Absent when the daemon runs inside another program (tests): it cannot stop or restart itself. */
  stop?: () => void;
  restart?: () => void;
}
