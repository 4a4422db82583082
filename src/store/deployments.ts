// The deployments table: one rollout of a release, its current step recorded as it goes.
import type { Deployment, DeploymentStatus } from '../core/model.js';
import type { Db } from './database.js';

interface DeploymentRow {
  id: number;
  app: string;
  release_version: number;
  strategy: string;
  status: DeploymentStatus;
  step: string;
  state_json: string;
  error: string | null;
  started_at: string;
  finished_at: string | null;
}

const toDeployment = (r: DeploymentRow): Deployment => ({
  id: r.id,
  app: r.app,
  releaseVersion: r.release_version,
  strategy: r.strategy,
  status: r.status,
  step: r.step,
  state: JSON.parse(r.state_json) as Record<string, unknown>,
  error: r.error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export class DeploymentStore {
  constructor(private readonly db: Db) {}

  create(app: string, releaseVersion: number, strategy: string): Deployment {
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO deployments (app, release_version, strategy, status, step, started_at)
           VALUES (?, ?, ?, 'running', 'created', ?)`,
        )
        .run(app, releaseVersion, strategy, new Date().toISOString()).lastInsertRowid,
    );
    return this.get(id)!;
  }

  get(id: number): Deployment | undefined {
    const row = this.db.prepare('SELECT * FROM deployments WHERE id = ?').get(id) as
      DeploymentRow | undefined;
    return row && toDeployment(row);
  }

  /** The running deployment of an app, if any. */
  running(app: string): Deployment | undefined {
    const row = this.db
      .prepare("SELECT * FROM deployments WHERE app = ? AND status = 'running' ORDER BY id DESC LIMIT 1")
      .get(app) as DeploymentRow | undefined;
    return row && toDeployment(row);
  }

  listRunning(): Deployment[] {
    return (
      this.db.prepare("SELECT * FROM deployments WHERE status = 'running'").all() as DeploymentRow[]
    ).map(toDeployment);
  }

  recordStep(id: number, step: string, state: Record<string, unknown>): void {
    this.db
      .prepare('UPDATE deployments SET step = ?, state_json = ? WHERE id = ?')
      .run(step, JSON.stringify(state), id);
  }

  /** Finished deployments with whether each was a rollback, for metrics. */
  listFinished(): {
    app: string;
    releaseVersion: number;
    status: DeploymentStatus;
    rollback: boolean;
    seconds: number;
  }[] {
    const rows = this.db
      .prepare(
        `SELECT d.app, d.release_version, d.status, d.started_at, d.finished_at, r.description
         FROM deployments d LEFT JOIN releases r ON r.app = d.app AND r.version = d.release_version
         WHERE d.status != 'running' AND d.finished_at IS NOT NULL`,
      )
      .all() as (Pick<DeploymentRow, 'app' | 'release_version' | 'status' | 'started_at'> & {
      finished_at: string;
      description: string | null;
    })[];
    return rows.map((r) => ({
      app: r.app,
      releaseVersion: r.release_version,
      status: r.status,
      rollback: r.description?.startsWith('rollback') ?? false,
      seconds: Math.max(0, (Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000),
    }));
  }

  finish(id: number, status: DeploymentStatus, error: string | null = null): void {
    this.db
      .prepare('UPDATE deployments SET status = ?, error = ?, finished_at = ? WHERE id = ?')
      .run(status, error, new Date().toISOString(), id);
  }
}
