// The daemon's state: one SQLite file, one store per table.
import { AppStore } from './apps.js';
import { AppUserStore } from './app-users.js';
import { CertificateStore } from './certificates.js';
import { DashboardSessionStore } from './dashboard-sessions.js';
import { openDatabase, type Db } from './database.js';
import { DeploymentStore } from './deployments.js';
import { EventStore } from './events.js';
import { GroupScaleStore } from './group-scales.js';
import { IpAllocationStore } from './ip-allocations.js';
import { LockStore } from './locks.js';
import { MachineStore } from './machines.js';
import { NotificationStore } from './notifications.js';
import { ReleaseStore } from './releases.js';
import { ScheduleRunStore } from './schedule-runs.js';
import { SecretStore } from './secrets.js';
import { TokenStore } from './tokens.js';
import { UsageStore } from './usage.js';
import { VolumeStore } from './volumes.js';

export class Store {
  readonly db: Db;
  readonly apps: AppStore;
  readonly releases: ReleaseStore;
  readonly machines: MachineStore;
  readonly deployments: DeploymentStore;
  readonly events: EventStore;
  readonly tokens: TokenStore;
  readonly locks: LockStore;
  readonly secrets: SecretStore;
  readonly volumes: VolumeStore;
  readonly groupScales: GroupScaleStore;
  readonly certificates: CertificateStore;
  readonly ipAllocations: IpAllocationStore;
  readonly appUsers: AppUserStore;
  readonly scheduleRuns: ScheduleRunStore;
  readonly notifications: NotificationStore;
  readonly usage: UsageStore;
  readonly dashboardSessions: DashboardSessionStore;

  constructor(file: string) {
    this.db = openDatabase(file);
    this.apps = new AppStore(this.db);
    this.releases = new ReleaseStore(this.db);
    this.usage = new UsageStore(this.db);
    this.machines = new MachineStore(this.db, this.usage);
    this.deployments = new DeploymentStore(this.db);
    this.events = new EventStore(this.db);
    this.tokens = new TokenStore(this.db);
    this.locks = new LockStore(this.db);
    this.secrets = new SecretStore(this.db);
    this.volumes = new VolumeStore(this.db);
    this.groupScales = new GroupScaleStore(this.db);
    this.certificates = new CertificateStore(this.db);
    this.ipAllocations = new IpAllocationStore(this.db);
    this.appUsers = new AppUserStore(this.db);
    this.scheduleRuns = new ScheduleRunStore(this.db);
    this.notifications = new NotificationStore(this.db);
    this.dashboardSessions = new DashboardSessionStore(this.db);
  }

  close(): void {
    this.db.close();
  }
}
