// The machines table: what the daemon intends each machine to be, and its driver handle.
import type { MachineRunConfig } from '../core/machine-run-config.js';
import type { MachineState } from '../core/machine-state.js';
import type { MachineHandle } from '../drivers/driver.js';
import { parseHandle } from '../drivers/parse-handle.js';
import type { Db } from './database.js';
import { UsageStore } from './usage.js';

/** States a machine's process is gone in: its run (for usage) ends. */
const NOT_RUNNING: readonly MachineState[] = ['stopped', 'failed', 'destroyed', 'restarting', 'stranded'];

export interface Machine {
  id: string;
  app: string;
  releaseVersion: number;
  processGroup: string;
  command: string;
  managed: boolean;
  state: MachineState;
  /** The proxy may route to it (once it answers). Rollouts flip this, never the supervisor. */
  serving: boolean;
  /** Its driver's handle; null before the first start (its driver is then its release's). */
  handle: MachineHandle | null;
  /** Where the proxy and health checks reach it: its handle's address for the HTTP port. */
  address: string | null;
  restarts: number;
  lastExit: string | null;
  startedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** A name given with `machine run --name`; null for deploy-made machines. */
  name: string | null;
  /** Its own config when made by `machine run` (or cloned from one); null otherwise. */
  runConfig: MachineRunConfig | null;
}

interface MachineRow {
  id: string;
  app: string;
  release_version: number;
  process_group: string;
  command: string;
  managed: number;
  state: MachineState;
  serving: number;
  handle_json: string | null;
  address: string | null;
  restarts: number;
  last_exit: string | null;
  started_at: string | null;
  created_at: string;
  updated_at: string;
  name: string | null;
  run_config_json: string | null;
}

const toMachine = (r: MachineRow): Machine => ({
  id: r.id,
  app: r.app,
  releaseVersion: r.release_version,
  processGroup: r.process_group,
  command: r.command,
  managed: r.managed === 1,
  state: r.state,
  serving: r.serving === 1,
  handle: parseHandle(r.handle_json),
  address: r.address,
  restarts: r.restarts,
  lastExit: r.last_exit,
  startedAt: r.started_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  name: r.name,
  runConfig: r.run_config_json ? (JSON.parse(r.run_config_json) as MachineRunConfig) : null,
});

export interface NewMachine {
  id: string;
  app: string;
  releaseVersion: number;
  processGroup: string;
  command: string;
  managed: boolean;
  name?: string | null;
  runConfig?: MachineRunConfig | null;
}

export class MachineStore {
  constructor(
    private readonly db: Db,
    private readonly usage = new UsageStore(db),
  ) {}

  create(input: NewMachine): Machine {
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO machines (id, app, release_version, process_group, command, managed, state, created_at, updated_at, name, run_config_json)
         VALUES (?, ?, ?, ?, ?, ?, 'created', ?, ?, ?, ?)`,
      )
      .run(
        input.id,
        input.app,
        input.releaseVersion,
        input.processGroup,
        input.command,
        input.managed ? 1 : 0,
        now,
        now,
        input.name ?? null,
        input.runConfig ? JSON.stringify(input.runConfig) : null,
      );
    return this.get(input.id)!;
  }

  /** A live machine of the app by its name. */
  findByName(app: string, name: string): Machine | undefined {
    const row = this.db
      .prepare("SELECT * FROM machines WHERE app = ? AND name = ? AND state != 'destroyed'")
      .get(app, name) as MachineRow | undefined;
    return row && toMachine(row);
  }

  get(id: string): Machine | undefined {
    const row = this.db.prepare('SELECT * FROM machines WHERE id = ?').get(id) as MachineRow | undefined;
    return row && toMachine(row);
  }

  /** Machines of an app that still exist (not destroyed), oldest first. */
  listByApp(app: string): Machine[] {
    return (
      this.db
        .prepare("SELECT * FROM machines WHERE app = ? AND state != 'destroyed' ORDER BY created_at, id")
        .all(app) as MachineRow[]
    ).map(toMachine);
  }

  /** Every machine not destroyed, across apps: what a starting daemon must adopt. */
  listLive(): Machine[] {
    return (
      this.db
        .prepare("SELECT * FROM machines WHERE state != 'destroyed' ORDER BY created_at")
        .all() as MachineRow[]
    ).map(toMachine);
  }

  setState(id: string, state: MachineState, fields: { lastExit?: string | null } = {}): void {
    if (NOT_RUNNING.includes(state)) this.usage.accrueMachine(id, new Date(), false);
    const now = new Date().toISOString();
    if (state === 'destroyed') {
      // A destroyed machine keeps its record, not its `machine run -e` values.
      this.db
        .prepare(
          `UPDATE machines SET run_config_json = json_set(run_config_json, '$.env', json('{}'))
           WHERE id = ? AND run_config_json IS NOT NULL`,
        )
        .run(id);
    }
    if (fields.lastExit !== undefined) {
      this.db
        .prepare('UPDATE machines SET state = ?, last_exit = ?, updated_at = ? WHERE id = ?')
        .run(state, fields.lastExit, now, id);
    } else {
      this.db.prepare('UPDATE machines SET state = ?, updated_at = ? WHERE id = ?').run(state, now, id);
    }
  }

  /** Records a (re)start: the driver handle, the address it got and when. */
  recordStart(id: string, handle: MachineHandle, address: string | null): void {
    const at = new Date();
    const now = at.toISOString();
    this.usage.accrueMachine(id, at, true);
    this.db
      .prepare(
        'UPDATE machines SET handle_json = ?, address = ?, started_at = ?, updated_at = ? WHERE id = ?',
      )
      .run(JSON.stringify(handle), address, now, now, id);
  }

  /** Changes what the proxy routes in one transaction: a bluegreen switch is one of these. */
  setServing(add: string[], remove: string[]): void {
    const now = new Date().toISOString();
    const update = this.db.prepare('UPDATE machines SET serving = ?, updated_at = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const id of remove) update.run(0, now, id);
      for (const id of add) update.run(1, now, id);
    })();
  }

  /** Moves a stopped machine to another release without starting it. */
  moveToRelease(id: string, releaseVersion: number, command: string): void {
    this.usage.accrueMachine(id, new Date(), false);
    this.db
      .prepare('UPDATE machines SET release_version = ?, command = ?, updated_at = ? WHERE id = ?')
      .run(releaseVersion, command, new Date().toISOString(), id);
  }

  setRunConfig(id: string, runConfig: MachineRunConfig): void {
    this.db
      .prepare('UPDATE machines SET run_config_json = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(runConfig), new Date().toISOString(), id);
  }

  /** Restarts per app and release, destroyed machines included (they only grow). */
  restartsByRelease(): { app: string; releaseVersion: number; restarts: number }[] {
    return (
      this.db
        .prepare(
          'SELECT app, release_version, SUM(restarts) AS n FROM machines GROUP BY app, release_version',
        )
        .all() as { app: string; release_version: number; n: number }[]
    ).map((r) => ({ app: r.app, releaseVersion: r.release_version, restarts: r.n }));
  }

  incrementRestarts(id: string): void {
    this.db
      .prepare('UPDATE machines SET restarts = restarts + 1, updated_at = ? WHERE id = ?')
      .run(new Date().toISOString(), id);
  }
}
