// The listeners besides the proxy's own: TCP passthrough for [[services]] ports, and
// addresses dedicated to one app (`berth ips allocate`). Both follow the database and the
// apps' current releases, so they change without a release, a restart, or touching machines.
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { servesGroup } from '../core/config/routing.js';
import { DEFAULT_PROCESS_GROUP } from '../core/config/types.js';
import { BerthError } from '../core/errors.js';
import { wantsForceHttps } from '../core/net/https-redirect.js';
import { formatAddress } from '../core/net/ip-address.js';
import {
  diffListeners,
  machinePortForGroup,
  mergePassthrough,
  passthroughFor,
  type TcpPassthrough,
} from '../core/net/tcp-passthrough.js';
import type { EdgeProxy } from '../proxy/edge-proxy.js';
import type { CertificateManager } from './certificates.js';
import type { RouteTable } from '../proxy/route-table.js';
import { TcpPassthroughListener } from '../proxy/tcp-passthrough.js';
import type { IpAllocation } from '../store/ip-allocations.js';
import type { Store } from '../store/store.js';

/** How often listeners are checked against the database besides after each event. */
const RECONCILE_INTERVAL_MS = 2_000;

interface OpenPassthrough {
  spec: TcpPassthrough;
  listener: TcpPassthroughListener;
}

export class NetListeners {
  private readonly passthrough = new Map<string, OpenPassthrough>();
  private readonly dedicated = new Map<string, http.Server | https.Server>();
  /** Problems already reported, so a port that stays taken is logged once, not every round. */
  private readonly reported = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly routes: RouteTable,
    private readonly proxy: EdgeProxy,
    /** Passthrough ports open on the proxy's host. */
    private readonly passthroughHost: string,
    private readonly log: (line: string) => void,
    /** Certificates for TLS addresses (`ips allocate --tls`). */
    private readonly certificates: CertificateManager,
  ) {}

  async start(): Promise<void> {
    await this.reconcile();
    // Deploys, rollbacks and app changes all write events: look again shortly after each.
    this.unsubscribe = this.store.events.subscribe(() => this.soon());
    this.timer = setInterval(() => this.soon(), RECONCILE_INTERVAL_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    await this.running;
    await Promise.all([...this.passthrough.values()].map((p) => p.listener.close()));
    await Promise.all([...this.dedicated.values()].map((s) => closeServer(s)));
    this.passthrough.clear();
    this.dedicated.clear();
  }

  isListening(address: string, port: number): boolean {
    return this.dedicated.has(formatAddress(address, port));
  }

  /** Gives `app` its own listener; port 0 or absent picks a free one. */
  async allocate(
    app: string,
    address: string | undefined,
    port: number | undefined,
    user: string,
    tls = false,
  ): Promise<IpAllocation> {
    const addr = address ?? '127.0.0.1';
    if (isIP(addr) === 0) {
      throw new BerthError('invalid_request', `"${addr}" is not an IP address`, {
        hint: 'Give an IPv4 or IPv6 address this machine has, e.g. 127.0.0.2.',
      });
    }
    if (port !== undefined && port !== 0) {
      const taken = this.store.ipAllocations.get(addr, port);
      if (taken) {
        throw new BerthError(
          'address_unavailable',
          `${formatAddress(addr, port)} is already allocated to app "${taken.app}"`,
          {
            hint:
              taken.app === app
                ? 'It is yours already; `berth ips list` shows it.'
                : `Release it there first (berth ips release ${formatAddress(addr, port)} -a ${taken.app}) or pick another port.`,
          },
        );
      }
    }
    const server = await this.dedicatedServer(app, addr, tls);
    let bound: number;
    try {
      bound = await listen(server, addr, port ?? 0);
    } catch (err) {
      throw new BerthError(
        'address_unavailable',
        `cannot listen on ${formatAddress(addr, port ?? 0)}: ${bindProblem(err)}`,
        {
          hint: 'Pick another port, or an address this machine has; leave the port out to get a free one.',
        },
      );
    }
    const allocation = this.store.ipAllocations.create({
      address: addr,
      port: bound,
      app,
      createdBy: user,
      tls,
    });
    this.dedicated.set(formatAddress(addr, bound), server);
    this.store.events.append({
      app,
      kind: 'ip.allocated',
      message: `${formatAddress(addr, bound)} allocated to ${app} by ${user}`,
    });
    return allocation;
  }

  /** Releases one of the app's addresses; without a port, the app's only one on that IP. */
  async release(app: string, address: string, port: number | undefined): Promise<IpAllocation> {
    const mine = this.store.ipAllocations
      .list(app)
      .filter((a) => a.address === address && (port === undefined || a.port === port));
    if (mine.length === 0) {
      const shown = port === undefined ? address : formatAddress(address, port);
      throw new BerthError('ip_not_found', `app "${app}" has no allocated address ${shown}`);
    }
    if (mine.length > 1) {
      throw new BerthError(
        'invalid_request',
        `app "${app}" has ${mine.length} ports on ${address}: ${mine.map((a) => a.port).join(', ')}`,
        {
          hint: `Name the port: berth ips release ${formatAddress(address, mine[0]!.port)}`,
        },
      );
    }
    const allocation = mine[0]!;
    this.store.ipAllocations.delete(allocation.address, allocation.port);
    const key = formatAddress(allocation.address, allocation.port);
    const server = this.dedicated.get(key);
    this.dedicated.delete(key);
    if (server) await closeServer(server);
    this.store.events.append({ app, kind: 'ip.released', message: `${key} released from ${app}` });
    return allocation;
  }

  private soon(): void {
    if (this.closed || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.reconcile();
    }, 50);
  }

  /** Brings every listener in line with the database; runs one at a time. */
  reconcile(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        if (this.closed) break;
        try {
          const seen = new Set<string>();
          await this.reconcilePassthrough(seen);
          await this.reconcileDedicated(seen);
          // Problems that went away may be reported again if they come back.
          for (const key of [...this.reported.keys()]) if (!seen.has(key)) this.reported.delete(key);
        } catch (err) {
          this.log(`listeners: ${(err as Error).message}`);
        }
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async reconcilePassthrough(seen: Set<string>): Promise<void> {
    const perApp: TcpPassthrough[][] = [];
    for (const app of this.store.apps.list()) {
      if (app.currentRelease === null) continue;
      const release = this.store.releases.get(app.name, app.currentRelease);
      if (!release) continue;
      const forceHttps = wantsForceHttps(release.config);
      this.routes.setForceHttps(app.name, forceHttps);
      if (forceHttps && this.proxy.tlsPort === undefined) {
        const message =
          'force_https is set but the daemon has no TLS listener, so plain HTTP is served; start it with `berth server --proxy-tls HOST:PORT`';
        this.report(app.name, `force-https:${app.name}`, message, seen);
      }
      const { listeners, problems } = passthroughFor(
        app.name,
        release.config,
        this.groupsOf(app.name, release.config.processes),
      );
      for (const p of problems) this.report(app.name, `config:${p}`, p, seen);
      perApp.push(listeners);
    }
    const { listeners, conflicts } = mergePassthrough(perApp);
    for (const c of conflicts) this.report(c.app, `conflict:${c.message}`, c.message, seen);
    const current = new Map([...this.passthrough].map(([k, v]) => [k, v.spec]));
    const diff = diffListeners(current, listeners, (l) => String(l.port), sameTarget);
    for (const key of diff.close) {
      const open = this.passthrough.get(key)!;
      this.passthrough.delete(key);
      await open.listener.close();
      this.log(`closed TCP passthrough port ${open.spec.port} (app ${open.spec.app})`);
    }
    for (const spec of diff.retarget) {
      const open = this.passthrough.get(String(spec.port))!;
      open.spec = spec;
      open.listener.retarget(this.backendsOf(spec));
    }
    for (const spec of diff.open) {
      const listener = new TcpPassthroughListener(this.backendsOf(spec));
      try {
        await listener.listen(this.passthroughHost, spec.port);
      } catch (err) {
        const message = `TCP port ${spec.port} of app "${spec.app}" could not be opened on ${this.passthroughHost}: ${bindProblem(err)}; free the port or change [[services.ports]] port`;
        this.report(spec.app, `bind:${spec.port}`, message, seen);
        continue;
      }
      this.passthrough.set(String(spec.port), { spec, listener });
      this.log(
        `TCP passthrough ${formatAddress(this.passthroughHost, spec.port)} -> app ${spec.app} (internal_port ${spec.internalPort})`,
      );
    }
  }

  private async reconcileDedicated(seen: Set<string>): Promise<void> {
    const rows = this.store.ipAllocations.list();
    const wanted = new Set(rows.map((r) => formatAddress(r.address, r.port)));
    for (const [key, server] of this.dedicated) {
      if (wanted.has(key)) continue;
      this.dedicated.delete(key);
      await closeServer(server);
    }
    for (const row of rows) {
      const key = formatAddress(row.address, row.port);
      if (this.dedicated.has(key)) continue;
      let server: http.Server | https.Server;
      try {
        server = await this.dedicatedServer(row.app, row.address, row.tls);
        await listen(server, row.address, row.port);
      } catch (err) {
        this.report(
          row.app,
          `ip:${key}`,
          `allocated address ${key} of app "${row.app}" could not be opened: ${bindProblem(err)}`,
          seen,
        );
        continue;
      }
      // Released while we were binding.
      if (!this.store.ipAllocations.get(row.address, row.port)) {
        await closeServer(server);
        continue;
      }
      this.dedicated.set(key, server);
      this.log(`listening on ${key} for app ${row.app} (allocated address)`);
    }
  }

  // With TLS: a client naming a hostname by SNI gets that name's certificate (as on the TLS
  // listener); one connecting by IP, without SNI, gets a local-CA certificate for the address.
  private async dedicatedServer(
    app: string,
    address: string,
    tls: boolean,
  ): Promise<http.Server | https.Server> {
    const limits = { keepAliveTimeout: 60_000, headersTimeout: 30_000, requestTimeout: 0, noDelay: true };
    if (!tls) {
      const server = http.createServer(limits);
      this.proxy.attach(server, { scheme: 'http', app });
      return server;
    }
    const { certPem, keyPem } = await this.certificates.addressCertificate(app, address);
    const server = https.createServer({
      ...limits,
      cert: certPem,
      key: keyPem,
      SNICallback: (servername, done) => {
        this.certificates.secureContext(servername).then(
          (context) => done(null, context),
          () => done(null, undefined),
        );
      },
    });
    server.on('tlsClientError', () => undefined);
    this.proxy.attach(server, { scheme: 'https', app });
    return server;
  }

  /** Machines that may take a passthrough connection: serving, started, PORT standing for the service. */
  private backendsOf(spec: TcpPassthrough): () => string[] {
    return () => {
      const out: string[] = [];
      for (const m of this.store.machines.listByApp(spec.app)) {
        if (!m.serving || m.state !== 'started' || !m.address) continue;
        if (!servesGroup(spec.processes, m.processGroup)) continue;
        const release = this.store.releases.get(m.app, m.releaseVersion);
        if (!release || machinePortForGroup(release.config, m.processGroup) !== spec.internalPort) continue;
        out.push(m.address);
      }
      return out;
    };
  }

  private groupsOf(app: string, processes: Record<string, string>): string[] {
    const groups = new Set(Object.keys(processes));
    for (const m of this.store.machines.listByApp(app)) groups.add(m.processGroup);
    if (groups.size === 0) groups.add(DEFAULT_PROCESS_GROUP);
    return [...groups];
  }

  // Logged and recorded as an app event once per distinct problem; repeated rounds stay quiet.
  private report(app: string, key: string, message: string, seen: Set<string>): void {
    seen.add(key);
    if (this.reported.get(key) === message) return;
    this.reported.set(key, message);
    this.log(`app ${app}: ${message}`);
    // Tied to the app's current release, so the deploy that caused it shows it.
    const releaseVersion = this.store.apps.get(app)?.currentRelease ?? undefined;
    this.store.events.append({
      app,
      ...(releaseVersion != null && { releaseVersion }),
      kind: 'proxy.listener',
      message,
    });
  }
}

function sameTarget(a: TcpPassthrough, b: TcpPassthrough): boolean {
  return (
    a.app === b.app && a.internalPort === b.internalPort && a.processes.join(',') === b.processes.join(',')
  );
}

function listen(server: http.Server | https.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function bindProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EADDRINUSE':
      return 'the address is already in use';
    case 'EADDRNOTAVAIL':
      return 'this machine does not have that address';
    case 'EACCES':
      return 'permission denied (ports below 1024 need root)';
    default:
      return (err as Error).message;
  }
}
