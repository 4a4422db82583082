// The certificates table: hostnames added to apps and the certificate each is served with.
// Only public material lives here; private keys are files (daemon/certificates.ts says why).
import type { Db } from './database.js';

export type CertificateSource = 'local-ca' | 'uploaded';

export interface CertificateRecord {
  hostname: string;
  app: string;
  source: CertificateSource;
  /** Leaf first, then any intermediates the user gave. */
  certPem: string;
  issuer: string;
  names: string[];
  notBefore: string;
  notAfter: string;
  /** SHA-256 of the leaf, as openssl prints it. */
  fingerprint: string;
  createdAt: string;
  updatedAt: string;
}

interface CertificateRow {
  hostname: string;
  app: string;
  source: string;
  cert_pem: string;
  issuer: string;
  names_json: string;
  not_before: string;
  not_after: string;
  fingerprint: string;
  created_at: string;
  updated_at: string;
}

const toRecord = (r: CertificateRow): CertificateRecord => ({
  hostname: r.hostname,
  app: r.app,
  source: r.source as CertificateSource,
  certPem: r.cert_pem,
  issuer: r.issuer,
  names: JSON.parse(r.names_json) as string[],
  notBefore: r.not_before,
  notAfter: r.not_after,
  fingerprint: r.fingerprint,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class CertificateStore {
  constructor(private readonly db: Db) {}

  get(hostname: string): CertificateRecord | undefined {
    const row = this.db.prepare('SELECT * FROM certificates WHERE hostname = ?').get(hostname) as
      CertificateRow | undefined;
    return row && toRecord(row);
  }

  list(app?: string): CertificateRecord[] {
    const rows = (
      app === undefined
        ? this.db.prepare('SELECT * FROM certificates ORDER BY hostname').all()
        : this.db.prepare('SELECT * FROM certificates WHERE app = ? ORDER BY hostname').all(app)
    ) as CertificateRow[];
    return rows.map(toRecord);
  }

  /** Inserts or replaces the hostname's row, keeping its first created_at. */
  put(record: Omit<CertificateRecord, 'createdAt' | 'updatedAt'>): CertificateRecord {
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO certificates (hostname, app, source, cert_pem, issuer, names_json, not_before, not_after,
           fingerprint, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(hostname) DO UPDATE SET app = excluded.app, source = excluded.source,
           cert_pem = excluded.cert_pem, issuer = excluded.issuer, names_json = excluded.names_json,
           not_before = excluded.not_before, not_after = excluded.not_after,
           fingerprint = excluded.fingerprint, updated_at = excluded.updated_at`,
      )
      .run(
        record.hostname,
        record.app,
        record.source,
        record.certPem,
        record.issuer,
        JSON.stringify(record.names),
        record.notBefore,
        record.notAfter,
        record.fingerprint,
        now,
        now,
      );
    return this.get(record.hostname)!;
  }

  delete(hostname: string): boolean {
    return this.db.prepare('DELETE FROM certificates WHERE hostname = ?').run(hostname).changes === 1;
  }
}
