// The daemon's drivers, made once at start: the process driver always, docker when the Engine
// answers and this build has it, swarm when that Engine is a swarm manager and the daemon is
// asked for it (--driver swarm, or apps that already run on it). Releases and machines say which one runs them (a release by
// its driver, a machine by its handle, or by its release before its first start).
import { BerthError } from '../core/errors.js';
import { DRIVER_NAMES, isDriverName, type DriverName } from '../core/drivers.js';
import type { Release } from '../core/model.js';
import { loadDockerDriver, loadSwarmDriver, type Unavailable } from '../drivers/available-drivers.js';
import type { Driver, DriverSet, MachineHandle } from '../drivers/driver.js';
import { ProcessDriver } from '../drivers/process/process-driver.js';
import type { Machine } from '../store/machines.js';
import type { Store } from '../store/store.js';
import type { HomeLayout } from './home.js';

export class DaemonDrivers implements DriverSet {
  readonly default: DriverName;

  constructor(
    defaultDriver: DriverName,
    private readonly drivers: ReadonlyMap<DriverName, Driver>,
    private readonly missing: ReadonlyMap<DriverName, Unavailable> = new Map(),
  ) {
    this.default = defaultDriver;
  }

  get(name: DriverName): Driver | undefined {
    return this.drivers.get(name);
  }

  unavailable(name: DriverName): Unavailable | undefined {
    return this.drivers.has(name)
      ? undefined
      : (this.missing.get(name) ?? { cause: 'not built in', fix: '' });
  }

  /** The drivers this daemon has, in a stable order. */
  all(): Driver[] {
    return DRIVER_NAMES.flatMap((name) => this.drivers.get(name) ?? []);
  }

  /** The daemon's shutdown: each driver lets go of what it holds open; machines keep running. */
  async close(): Promise<void> {
    await Promise.all(this.all().map(async (driver) => driver.close?.()));
  }

  names(): DriverName[] {
    return this.all().map((d) => d.name);
  }

  forHandle(handle: MachineHandle): Driver {
    return this.require(handle.driver);
  }

  forRelease(release: Pick<Release, 'driver'>): Driver {
    return this.require(release.driver);
  }

  /** A machine's driver: its handle's, or its release's before its first start. */
  forMachine(machine: Pick<Machine, 'handle'>, release: Pick<Release, 'driver'>): Driver {
    return machine.handle ? this.forHandle(machine.handle) : this.forRelease(release);
  }

  require(name: DriverName): Driver {
    const driver = this.drivers.get(name);
    if (driver) return driver;
    const missing = this.unavailable(name);
    throw new BerthError(
      name === 'docker' ? 'docker_unavailable' : 'driver_unavailable',
      `the ${name} driver is not available on this daemon${missing ? `: ${missing.cause}` : ''}`,
      missing?.fix ? { hint: missing.fix } : {},
    );
  }
}

/** The drivers of a starting daemon; `--driver docker` without an Engine stops it here, with the fix. */
export async function startDrivers(options: {
  layout: HomeLayout;
  store: Store;
  defaultDriver: string;
  env: Record<string, string | undefined>;
  /** `--registry HOST:PORT`: where the swarm driver pushes release images. */
  registry?: string;
  /** `--registry-port N`: where berth's own registry listens when no registry is named. */
  registryPort?: number;
  log: (line: string) => void;
}): Promise<DaemonDrivers> {
  const { layout, store } = options;
  if (!isDriverName(options.defaultDriver)) {
    throw new BerthError('invalid_request', `unknown driver "${options.defaultDriver}"`, {
      hint: 'Use --driver process, --driver docker or --driver swarm.',
    });
  }
  const drivers = new Map<DriverName, Driver>();
  const missing = new Map<DriverName, Unavailable>();
  drivers.set(
    'process',
    new ProcessDriver({
      machinesDir: layout.machines,
      home: layout.root,
      releasesDir: layout.releases,
      volumesDir: layout.volumes,
      users: store.appUsers,
    }),
  );
  const docker = await loadDockerDriver({ home: layout.root, env: options.env, log: options.log });
  if ('driver' in docker) drivers.set('docker', docker.driver);
  else missing.set('docker', docker.unavailable);
  const wantsSwarm =
    options.defaultDriver === 'swarm' || store.apps.list().some((app) => app.driver === 'swarm');
  if (wantsSwarm) {
    const swarm = await loadSwarmDriver({
      home: layout.root,
      env: options.env,
      log: options.log,
      ...(options.registry !== undefined ? { registry: options.registry } : {}),
      ...(options.registryPort !== undefined ? { registryPort: options.registryPort } : {}),
    });
    if ('driver' in swarm) drivers.set('swarm', swarm.driver);
    else missing.set('swarm', swarm.unavailable);
  } else {
    missing.set('swarm', {
      cause: 'the daemon was not started with --driver swarm',
      fix: 'Restart `berth server --driver swarm` on a swarm manager.',
    });
  }

  const set = new DaemonDrivers(options.defaultDriver, drivers, missing);
  if (!drivers.has(set.default)) {
    const why = missing.get(set.default);
    throw new BerthError(
      set.default === 'docker' ? 'docker_unavailable' : 'driver_unavailable',
      `berth server --driver ${set.default}: ${why?.cause ?? 'unavailable'}`,
      {
        hint: `${why?.fix ?? ''} Or start the server with --driver process.`.trim(),
      },
    );
  }
  const docker_ = missing.get('docker');
  const swarm_ = wantsSwarm ? missing.get('swarm') : undefined;
  options.log(
    `drivers: ${set.names().join(', ')} (default ${set.default})${docker_ ? `; no docker: ${docker_.cause}` : ''}${swarm_ ? `; no swarm: ${swarm_.cause}` : ''}`,
  );
  return set;
}
