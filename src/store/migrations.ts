// Versioned schema migrations. Append new entries; never edit one that has shipped.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE apps (
        name TEXT PRIMARY KEY,
        current_release INTEGER,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
      );
      CREATE TABLE releases (
        app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        description TEXT NOT NULL,
        created_by TEXT NOT NULL,
        artifact_digest TEXT NOT NULL,
        config_file TEXT NOT NULL,
        config_json TEXT NOT NULL,
        failure_reason TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (app, version)
      );
      CREATE TABLE machines (
        id TEXT PRIMARY KEY,
        app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
        release_version INTEGER NOT NULL,
        process_group TEXT NOT NULL,
        command TEXT NOT NULL,
        managed INTEGER NOT NULL DEFAULT 1,
        state TEXT NOT NULL,
        handle_json TEXT,
        address TEXT,
        restarts INTEGER NOT NULL DEFAULT 0,
        last_exit TEXT,
        started_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX machines_by_app ON machines(app, state);
      CREATE TABLE deployments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
        release_version INTEGER NOT NULL,
        strategy TEXT NOT NULL,
        status TEXT NOT NULL,
        step TEXT NOT NULL,
        state_json TEXT NOT NULL DEFAULT '{}',
        error TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT
      );
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        app TEXT,
        release_version INTEGER,
        machine_id TEXT,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        data_json TEXT
      );
      CREATE INDEX events_by_release ON events(app, release_version, id);
      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        user_name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_used_at TEXT
      );
    `,
  },
  {
    version: 2,
    name: 'deploy locks',
    // No foreign key to apps: the first deploy of an app takes the lock before the app exists.
    sql: `
      CREATE TABLE deploy_locks (
        app TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        user_name TEXT NOT NULL,
        acquired_at TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'machines the proxy routes to',
    sql: `
      ALTER TABLE machines ADD COLUMN serving INTEGER NOT NULL DEFAULT 0;
      UPDATE machines SET serving = 1 WHERE state = 'started';
    `,
  },
  {
    version: 4,
    name: 'secrets, encrypted per app',
    // Values are stored sealed (AES-256-GCM) by the app's data key, itself sealed by the master
    // key that never enters the database. A staged row with no value is a staged unset.
    sql: `
      CREATE TABLE secret_keys (
        app TEXT PRIMARY KEY REFERENCES apps(name) ON DELETE CASCADE,
        wrapped_key TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE secrets (
        app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
        name TEXT NOT NULL,
        sealed_value TEXT NOT NULL,
        digest TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        PRIMARY KEY (app, name)
      );
      CREATE TABLE staged_secrets (
        app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
        name TEXT NOT NULL,
        sealed_value TEXT,
        digest TEXT,
        staged_at TEXT NOT NULL,
        staged_by TEXT NOT NULL,
        PRIMARY KEY (app, name)
      );
      ALTER TABLE releases ADD COLUMN secrets_digest TEXT;
    `,
  },
  {
    version: 5,
    name: 'volumes',
    // No foreign keys: a volume's data outlives its machine, and the app's destroy removes it.
    sql: `
      CREATE TABLE volumes (
        id TEXT PRIMARY KEY,
        app TEXT NOT NULL,
        name TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        machine_id TEXT,
        created_at TEXT NOT NULL,
        attached_at TEXT
      );
      CREATE INDEX volumes_by_app ON volumes(app, name);
      CREATE INDEX volumes_by_machine ON volumes(machine_id);
    `,
  },
  {
    version: 6,
    name: 'scaled group sizes and unmanaged machine config',
    sql: `
      CREATE TABLE group_scales (
        app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
        process_group TEXT NOT NULL,
        desired INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (app, process_group)
      );
      ALTER TABLE machines ADD COLUMN name TEXT;
      ALTER TABLE machines ADD COLUMN run_config_json TEXT;
      CREATE INDEX events_by_machine ON events(machine_id, id);
      -- A name refers to one live machine of an app; a destroyed machine frees its name.
      CREATE UNIQUE INDEX machines_by_name ON machines(app, name)
        WHERE name IS NOT NULL AND state != 'destroyed';
    `,
  },
  {
    version: 7,
    name: 'hostnames, certificates and dedicated addresses',
    // Private keys are files under <home>/certs (see certificates.ts), never in this table.
    sql: `
      CREATE TABLE certificates (
        hostname TEXT PRIMARY KEY,
        app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
        source TEXT NOT NULL,
        cert_pem TEXT NOT NULL,
        issuer TEXT NOT NULL,
        names_json TEXT NOT NULL,
        not_before TEXT NOT NULL,
        not_after TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX certificates_by_app ON certificates(app);
      CREATE TABLE ip_allocations (
        address TEXT NOT NULL,
        port INTEGER NOT NULL,
        app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        tls INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (address, port)
      );
    `,
  },
  {
    version: 8,
    name: 'app users; machine env gone with the machine',
    // A uid stays with its app name for good (like a DynamicUser's), so files an app left
    // behind are never handed to another app. A destroyed machine keeps no -e values.
    sql: `
      CREATE TABLE app_users (
        app TEXT PRIMARY KEY,
        uid INTEGER NOT NULL UNIQUE,
        created_at TEXT NOT NULL
      );
      UPDATE machines SET run_config_json = json_set(run_config_json, '$.env', json('{}'))
        WHERE state = 'destroyed' AND run_config_json IS NOT NULL;
    `,
  },
  {
    version: 9,
    name: 'drivers: per app, per release, and the release as its driver prepared it',
    // Everything deployed before ran on the process driver. Its trees' paths depend on the
    // home, so those releases are marked here and the daemon fills in their prepared form at
    // start (daemon/legacy-records.ts).
    sql: `
      ALTER TABLE apps ADD COLUMN driver TEXT;
      ALTER TABLE releases ADD COLUMN driver TEXT;
      ALTER TABLE releases ADD COLUMN prepared_json TEXT;
      UPDATE apps SET driver = 'process' WHERE EXISTS (SELECT 1 FROM releases r WHERE r.app = apps.name);
      UPDATE releases SET driver = 'process', prepared_json = '"legacy"';
    `,
  },
  {
    version: 10,
    name: "a failed release's machine output; who caused each event",
    sql: `
      ALTER TABLE releases ADD COLUMN failure_output_json TEXT;
      ALTER TABLE events ADD COLUMN actor TEXT;
      CREATE INDEX events_by_app ON events(app, id);
    `,
  },
  {
    version: 11,
    name: 'schedules: per-schedule state, runs claimed before they start; notification targets and deliveries',
    // A run is claimed by inserting its row (unique per schedule and due time) before its
    // machine starts, so a daemon restarted at any point neither loses nor repeats it. Manual
    // runs have no due time of their own to collide on. Notification targets keep their signing
    // key sealed by the secrets vault; pending deliveries survive a restart.
    sql: `
      CREATE TABLE schedule_state (
        app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
        schedule TEXT NOT NULL,
        last_due_at INTEGER NOT NULL,
        paused INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (app, schedule)
      );
      CREATE TABLE schedule_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
        schedule TEXT NOT NULL,
        due_at INTEGER NOT NULL,
        trigger TEXT NOT NULL,
        release_version INTEGER,
        machine_id TEXT,
        attempt INTEGER NOT NULL DEFAULT 1,
        status TEXT NOT NULL,
        outcome TEXT,
        exit_code INTEGER,
        reason TEXT,
        log_tail TEXT,
        claimed_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        duration_ms INTEGER
      );
      CREATE UNIQUE INDEX schedule_runs_once ON schedule_runs(app, schedule, due_at) WHERE trigger != 'manual';
      CREATE INDEX schedule_runs_by_schedule ON schedule_runs(app, schedule, id);
      CREATE INDEX schedule_runs_unfinished ON schedule_runs(status) WHERE status != 'finished';
      CREATE TABLE notify_targets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
        url TEXT NOT NULL,
        secret_sealed TEXT,
        events_json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        UNIQUE (app, url)
      );
      CREATE TABLE notify_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
        url TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload_json TEXT NOT NULL,
        target_id INTEGER,
        secret_name TEXT,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        last_error TEXT,
        created_at TEXT NOT NULL,
        finished_at TEXT
      );
      CREATE INDEX notify_deliveries_pending ON notify_deliveries(next_at) WHERE status = 'pending';
    `,
  },
  {
    version: 12,
    name: 'usage per release; a read-only metrics token',
    // usage_from: the start of a machine's run not yet added to release_usage (null: not
    // running). Machines running now start counting from their last start.
    sql: `
      CREATE TABLE release_usage (
        app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
        release_version INTEGER NOT NULL,
        machine_seconds REAL NOT NULL DEFAULT 0,
        requests INTEGER NOT NULL DEFAULT 0,
        schedule_runs INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (app, release_version)
      );
      ALTER TABLE machines ADD COLUMN usage_from TEXT;
      UPDATE machines SET usage_from = started_at
        WHERE state IN ('starting', 'started', 'stopping') AND started_at IS NOT NULL;
      ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin';
    `,
  },
  {
    version: 13,
    name: 'the node a volume lives on',
    // swarm: a volume is a named volume of the node its machine was first placed on; its
    // machine is pinned there from then on. Null on single-host drivers and before placement.
    sql: `ALTER TABLE volumes ADD COLUMN node TEXT;`,
  },
  {
    version: 14,
    name: 'tokens with a role, apps, an expiry and revocation',
    // scope becomes role (admin and metrics keep their meaning); apps_json null means every app.
    // A revoked token keeps its row (who made releases stays readable) but frees its name.
    sql: `
      ALTER TABLE tokens RENAME COLUMN scope TO role;
      ALTER TABLE tokens ADD COLUMN apps_json TEXT;
      ALTER TABLE tokens ADD COLUMN expires_at TEXT;
      ALTER TABLE tokens ADD COLUMN created_by TEXT;
      ALTER TABLE tokens ADD COLUMN revoked_at TEXT;
      CREATE UNIQUE INDEX tokens_live_name ON tokens(name) WHERE revoked_at IS NULL;
    `,
  },
  {
    version: 15,
    name: 'dashboard sessions',
    // Only a hash of the cookie's value is kept; a token's sessions go with the token.
    sql: `
      CREATE TABLE dashboard_sessions (
        id_hash TEXT PRIMARY KEY,
        token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions(expires_at);
    `,
  },
];
