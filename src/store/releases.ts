// The releases table: immutable records, but for their status.
import type { AppConfig } from '../core/config/types.js';
import { isDriverName, readPreparedRelease, type DriverName, type PreparedRelease } from '../core/drivers.js';
import type { FailedMachineOutput, Release } from '../core/model.js';
import type { ReleaseStatus } from '../core/release-status.js';
import type { Db } from './database.js';

interface ReleaseRow {
  app: string;
  version: number;
  status: ReleaseStatus;
  description: string;
  created_by: string;
  artifact_digest: string;
  config_file: string;
  config_json: string;
  failure_reason: string | null;
  failure_output_json: string | null;
  secrets_digest: string | null;
  driver: string | null;
  prepared_json: string | null;
  created_at: string;
  updated_at: string;
}

const toRelease = (r: ReleaseRow): Release => ({
  app: r.app,
  version: r.version,
  status: r.status,
  description: r.description,
  createdBy: r.created_by,
  artifactDigest: r.artifact_digest,
  configFile: r.config_file,
  config: JSON.parse(r.config_json) as AppConfig,
  failureReason: r.failure_reason,
  failureOutput: r.failure_output_json ? (JSON.parse(r.failure_output_json) as FailedMachineOutput) : null,
  secretsDigest: r.secrets_digest,
  driver: isDriverName(r.driver) ? r.driver : 'process',
  prepared: r.prepared_json ? (readPreparedRelease(JSON.parse(r.prepared_json)) ?? null) : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface NewRelease {
  app: string;
  description: string;
  createdBy: string;
  artifactDigest: string;
  configFile: string;
  config: AppConfig;
  /** Digest of the app's secret set the release was made with (null: none). */
  secretsDigest?: string | null;
  /** Default: process. */
  driver?: DriverName;
}

export class ReleaseStore {
  constructor(private readonly db: Db) {}

  /** Allocates the next version number and inserts the release, atomically. */
  create(input: NewRelease): Release {
    const now = new Date().toISOString();
    return this.db.transaction(() => {
      const { next } = this.db
        .prepare('SELECT COALESCE(MAX(version), 0) + 1 AS next FROM releases WHERE app = ?')
        .get(input.app) as { next: number };
      this.db
        .prepare(
          `INSERT INTO releases (app, version, status, description, created_by, artifact_digest,
             config_file, config_json, secrets_digest, driver, created_at, updated_at)
           VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          input.app,
          next,
          input.description,
          input.createdBy,
          input.artifactDigest,
          input.configFile,
          JSON.stringify(input.config),
          input.secretsDigest ?? null,
          input.driver ?? 'process',
          now,
          now,
        );
      return this.get(input.app, next)!;
    })();
  }

  get(app: string, version: number): Release | undefined {
    const row = this.db.prepare('SELECT * FROM releases WHERE app = ? AND version = ?').get(app, version) as
      ReleaseRow | undefined;
    return row && toRelease(row);
  }

  list(app: string): Release[] {
    return (
      this.db.prepare('SELECT * FROM releases WHERE app = ? ORDER BY version DESC').all(app) as ReleaseRow[]
    ).map(toRelease);
  }

  setStatus(
    app: string,
    version: number,
    status: ReleaseStatus,
    failureReason: string | null = null,
    failureOutput: FailedMachineOutput | null = null,
  ): void {
    this.db
      .prepare(
        `UPDATE releases SET status = ?, failure_reason = ?, failure_output_json = ?, updated_at = ?
         WHERE app = ? AND version = ?`,
      )
      .run(
        status,
        failureReason,
        failureOutput ? JSON.stringify(failureOutput) : null,
        new Date().toISOString(),
        app,
        version,
      );
  }

  /** Records the release as its driver prepared it (once its build finished). */
  setPrepared(app: string, version: number, prepared: PreparedRelease): void {
    this.db
      .prepare('UPDATE releases SET prepared_json = ?, updated_at = ? WHERE app = ? AND version = ?')
      .run(JSON.stringify(prepared), new Date().toISOString(), app, version);
  }

  /** Releases made before drivers (migration 9), whose prepared form the daemon fills in once. */
  listLegacy(): { app: string; version: number }[] {
    return this.db.prepare(`SELECT app, version FROM releases WHERE prepared_json = '"legacy"'`).all() as {
      app: string;
      version: number;
    }[];
  }

  /** Digests still referenced by any release, so artifact pruning can keep them. */
  referencedDigests(): Set<string> {
    const rows = this.db.prepare('SELECT DISTINCT artifact_digest AS d FROM releases').all() as {
      d: string;
    }[];
    return new Set(rows.map((r) => r.d));
  }
}
