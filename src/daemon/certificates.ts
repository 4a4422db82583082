// Hostnames added to apps and the certificates the TLS listener serves for them.
//
// Private keys are files, `<home>/certs/<host>.key`, mode 0600, never rows in berth.db: the
// database is what people copy for backups and bug reports, open with sqlite3 and read whole
// (the API process reads it on every request); a key file is read only when the TLS listener
// needs it, and its permissions say plainly who may read it. Public material (the chain,
// issuer, names, dates) is in the certificates table with the hostname.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { checkHostname, defaultHostOwner } from '../core/net/hostname.js';
import { BerthError } from '../core/errors.js';
import type { RouteTable } from '../proxy/route-table.js';
import type { CertificateRecord } from '../store/certificates.js';
import type { Store } from '../store/store.js';
import { certificateFacts, checkUploadedCertificate } from './tls/certificate-check.js';
import { LEAF_VALIDITY_DAYS, LocalCa, writePrivateFile } from './tls/local-ca.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Local-CA leaves are renewed once a third of their life is left. */
const RENEW_BEFORE_MS = (LEAF_VALIDITY_DAYS / 3) * DAY_MS;

export interface AddCertificate {
  app: string;
  hostname: string;
  /** Both or neither: without them berth's local CA issues the certificate. */
  certPem?: string;
  keyPem?: string;
}

export class CertificateManager {
  readonly ca: LocalCa;
  private readonly certsDir: string;
  /** Secure contexts by hostname, built once per certificate. */
  private readonly contexts = new Map<string, { fingerprint: string; context: tls.SecureContext }>();
  /** Certificates for `<app>.<domain>`, issued on the first handshake and kept in memory. */
  /** Local-CA renewals under way, so concurrent handshakes wait for one. */
  private readonly renewals = new Map<string, Promise<{ context: tls.SecureContext }>>();
  private readonly defaultHosts = new Map<
    string,
    Promise<{ notAfter: number; context: tls.SecureContext }>
  >();

  constructor(
    private readonly store: Store,
    private readonly routes: RouteTable,
    home: string,
    private readonly log: (line: string) => void,
  ) {
    this.ca = new LocalCa(join(home, 'ca'));
    this.certsDir = join(home, 'certs');
  }

  /** Routes every stored hostname, and renews local-CA certificates that are running out. */
  load(): void {
    for (const record of this.store.certificates.list()) {
      if (!this.store.apps.get(record.app)) continue;
      this.routes.addHostname(record.hostname, record.app);
      if (record.source === 'local-ca' && this.dueForRenewal(record)) {
        this.renew(record).catch((err: Error) =>
          this.log(`could not renew the certificate of ${record.hostname}: ${err.message}`),
        );
      }
    }
  }

  list(app: string): CertificateRecord[] {
    return this.store.certificates.list(app);
  }

  get(app: string, hostname: string): CertificateRecord {
    const host = this.normalize(hostname);
    const record = this.store.certificates.get(host);
    if (!record || record.app !== app) {
      throw new BerthError('certificate_not_found', `app "${app}" has no hostname ${host}`);
    }
    return record;
  }

  /** Adds (or replaces the certificate of) a hostname of the app. */
  async add(input: AddCertificate): Promise<CertificateRecord> {
    const host = this.normalize(input.hostname);
    const owner = defaultHostOwner(host, this.routes.getDomain());
    if (owner !== undefined && owner !== input.app) {
      const whose = this.store.apps.get(owner)
        ? `the address of app "${owner}"`
        : `reserved for an app named "${owner}"`;
      throw new BerthError('hostname_taken', `${host} is ${whose} (<app>.${this.routes.getDomain()})`, {
        hint: `Pick a hostname outside *.${this.routes.getDomain()}, or add it to app "${owner}".`,
      });
    }
    const existing = this.store.certificates.get(host);
    if (existing && existing.app !== input.app) {
      throw new BerthError('hostname_taken', `${host} is already a hostname of app "${existing.app}"`, {
        hint: `Remove it there first: berth certs remove ${host} -a ${existing.app}`,
      });
    }
    if ((input.certPem === undefined) !== (input.keyPem === undefined)) {
      throw new BerthError('invalid_request', 'a certificate needs both --cert and --key', {
        hint: 'Pass both files, or neither to have the local CA issue one.',
      });
    }
    let chainPem: string;
    let keyPem: string;
    let source: CertificateRecord['source'];
    if (input.certPem !== undefined && input.keyPem !== undefined) {
      chainPem = checkUploadedCertificate(host, input.certPem, input.keyPem).chainPem;
      keyPem = input.keyPem;
      source = 'uploaded';
    } else {
      ({ certPem: chainPem, keyPem } = await this.ca.issue([host]));
      source = 'local-ca';
    }
    // Issuing awaited: another request may have taken the hostname meanwhile.
    const now = this.store.certificates.get(host);
    if (now && now.app !== input.app) {
      throw new BerthError('hostname_taken', `${host} is already a hostname of app "${now.app}"`, {
        hint: `Remove it there first: berth certs remove ${host} -a ${now.app}`,
      });
    }
    const record = this.save(input.app, host, source, chainPem, keyPem);
    this.routes.addHostname(host, input.app);
    return record;
  }

  remove(app: string, hostname: string): CertificateRecord {
    const record = this.get(app, hostname);
    this.store.certificates.delete(record.hostname);
    rmSync(this.keyFile(record.hostname), { force: true });
    this.contexts.delete(record.hostname);
    this.routes.removeHostname(record.hostname);
    return record;
  }

  /**
   * A local-CA certificate for a TLS address of the app: its `<app>.<domain>` name and the IP
   * (unless a wildcard like 0.0.0.0), for clients that connect by IP and send no SNI.
   */
  addressCertificate(app: string, address: string): Promise<{ certPem: string; keyPem: string }> {
    const wildcard = address === '0.0.0.0' || address === '::';
    return this.ca.issue([`${app}.${this.routes.getDomain()}`], new Date(), wildcard ? [] : [address]);
  }

  /** Deletes every hostname of an app being destroyed, keys included. */
  forgetApp(app: string): void {
    for (const record of this.store.certificates.list(app)) this.remove(app, record.hostname);
  }

  /**
   * The TLS listener's SNI lookup: an added hostname's certificate, else a local-CA one for
   * `<app>.<domain>` of an app that exists. Anything else gets no certificate.
   */
  async secureContext(servername: string): Promise<tls.SecureContext | undefined> {
    const host = servername.toLowerCase().replace(/\.$/, '');
    const record = this.store.certificates.get(host);
    if (record && this.routes.knownApp(record.app)) {
      if (record.source === 'local-ca' && this.dueForRenewal(record))
        return (await this.renewed(record)).context;
      try {
        return this.contextFor(record);
      } catch (err) {
        this.log(
          `cannot serve ${host} over TLS: ${(err as Error).message}; \`berth certs add ${host}\` again`,
        );
        return undefined;
      }
    }
    const app = defaultHostOwner(host, this.routes.getDomain());
    if (app === undefined || !this.routes.knownApp(app)) return undefined;
    let pending = this.defaultHosts.get(host);
    if (pending) {
      const ready = await pending.catch(() => undefined);
      if (ready && ready.notAfter - Date.now() > RENEW_BEFORE_MS) return ready.context;
      pending = undefined;
    }
    pending = this.ca.issue([host]).then(({ certPem, keyPem }) => ({
      notAfter: Date.parse(certificateFacts(certPem).notAfter),
      context: tls.createSecureContext({ cert: certPem, key: keyPem }),
    }));
    this.defaultHosts.set(host, pending);
    pending.catch(() => this.defaultHosts.delete(host));
    return (await pending).context;
  }

  private contextFor(record: CertificateRecord): tls.SecureContext {
    const cached = this.contexts.get(record.hostname);
    if (cached && cached.fingerprint === record.fingerprint) return cached.context;
    const context = tls.createSecureContext({
      cert: record.certPem,
      key: readFileSync(this.keyFile(record.hostname)),
    });
    this.contexts.set(record.hostname, { fingerprint: record.fingerprint, context });
    return context;
  }

  private renewed(record: CertificateRecord): Promise<{ context: tls.SecureContext }> {
    let pending = this.renewals.get(record.hostname);
    if (!pending) {
      pending = this.renew(record).then((r) => ({ context: this.contextFor(r) }));
      this.renewals.set(record.hostname, pending);
      void pending.finally(() => this.renewals.delete(record.hostname)).catch(() => undefined);
    }
    return pending;
  }

  private async renew(record: CertificateRecord): Promise<CertificateRecord> {
    const { certPem, keyPem } = await this.ca.issue([record.hostname]);
    const renewed = this.save(record.app, record.hostname, 'local-ca', certPem, keyPem);
    this.log(`renewed the local-CA certificate of ${record.hostname} (until ${renewed.notAfter})`);
    return renewed;
  }

  private dueForRenewal(record: CertificateRecord): boolean {
    return Date.parse(record.notAfter) - Date.now() < RENEW_BEFORE_MS;
  }

  // Key file first, then the row: a row always has its key (a crash between leaves at worst
  // a key file that the next add or remove of the host overwrites or deletes).
  private save(
    app: string,
    host: string,
    source: CertificateRecord['source'],
    chainPem: string,
    keyPem: string,
  ): CertificateRecord {
    mkdirSync(this.certsDir, { recursive: true, mode: 0o700 });
    writePrivateFile(this.keyFile(host), keyPem);
    const facts = certificateFacts(chainPem);
    this.contexts.delete(host);
    return this.store.certificates.put({
      hostname: host,
      app,
      source,
      certPem: chainPem,
      issuer: facts.issuer,
      names: facts.names,
      notBefore: facts.notBefore,
      notAfter: facts.notAfter,
      fingerprint: facts.fingerprint,
    });
  }

  private keyFile(host: string): string {
    // Validated hostnames are safe file names; the hash guards against anything else.
    const safe = /^[a-z0-9.-]+$/.test(host) ? host : createHash('sha256').update(host).digest('hex');
    return join(this.certsDir, `${safe}.key`);
  }

  private normalize(hostname: string): string {
    const checked = checkHostname(hostname);
    if (!checked.ok) throw new BerthError('invalid_hostname', checked.problem, { hint: checked.hint });
    return checked.host;
  }
}
