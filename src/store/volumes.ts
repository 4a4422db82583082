// The volumes table. A volume is attached to at most one machine; a machine that has been
// destroyed holds nothing, so attachment is read through the machines table and a retired
// machine's volume is free for the next machine of its app without a separate detach step.
import type { Db } from './database.js';

export interface Volume {
  id: string;
  app: string;
  name: string;
  sizeBytes: number;
  /** The live machine it is attached to, or null. */
  machineId: string | null;
  createdAt: string;
  attachedAt: string | null;
  /** The node its data lives on (swarm), once its first machine was placed; else null. */
  node: string | null;
}

interface VolumeRow {
  id: string;
  app: string;
  name: string;
  size_bytes: number;
  attached: string | null;
  created_at: string;
  attached_at: string | null;
  node: string | null;
}

const SELECT = `
  SELECT v.id, v.app, v.name, v.size_bytes, v.created_at, v.node,
         CASE WHEN m.state IS NOT NULL AND m.state != 'destroyed' THEN v.machine_id END AS attached,
         CASE WHEN m.state IS NOT NULL AND m.state != 'destroyed' THEN v.attached_at END AS attached_at
  FROM volumes v LEFT JOIN machines m ON m.id = v.machine_id`;

const toVolume = (r: VolumeRow): Volume => ({
  id: r.id,
  app: r.app,
  name: r.name,
  sizeBytes: r.size_bytes,
  machineId: r.attached,
  createdAt: r.created_at,
  attachedAt: r.attached_at,
  node: r.node,
});

export class VolumeStore {
  constructor(private readonly db: Db) {}

  create(input: { id: string; app: string; name: string; sizeBytes: number }): Volume {
    this.db
      .prepare('INSERT INTO volumes (id, app, name, size_bytes, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(input.id, input.app, input.name, input.sizeBytes, new Date().toISOString());
    return this.get(input.id)!;
  }

  get(id: string): Volume | undefined {
    const row = this.db.prepare(`${SELECT} WHERE v.id = ?`).get(id) as VolumeRow | undefined;
    return row && toVolume(row);
  }

  /** The app's volumes, oldest first. */
  listByApp(app: string): Volume[] {
    return (
      this.db.prepare(`${SELECT} WHERE v.app = ? ORDER BY v.created_at, v.id`).all(app) as VolumeRow[]
    ).map(toVolume);
  }

  /** The volumes a machine holds. */
  listByMachine(machineId: string): Volume[] {
    return (
      this.db
        .prepare(`${SELECT} WHERE v.machine_id = ? AND m.state != 'destroyed' ORDER BY v.created_at`)
        .all(machineId) as VolumeRow[]
    ).map(toVolume);
  }

  /**
   * Attaches the oldest free volume of that name to the machine, in one transaction so two
   * machines starting at once never take the same one. Undefined when none is free.
   */
  attachFree(app: string, name: string, machineId: string): Volume | undefined {
    return this.db.transaction(() => {
      const free = this.listByApp(app).find((v) => v.name === name && v.machineId === null);
      if (!free) return undefined;
      this.attach(free.id, machineId);
      return this.get(free.id);
    })();
  }

  attach(id: string, machineId: string): void {
    this.db
      .prepare('UPDATE volumes SET machine_id = ?, attached_at = ? WHERE id = ?')
      .run(machineId, new Date().toISOString(), id);
  }

  /** Records the node a volume's data was created on; a volume never changes node. */
  placeOn(id: string, node: string): void {
    this.db.prepare('UPDATE volumes SET node = ? WHERE id = ? AND node IS NULL').run(node, id);
  }

  detachFrom(machineId: string): void {
    this.db
      .prepare('UPDATE volumes SET machine_id = NULL, attached_at = NULL WHERE machine_id = ?')
      .run(machineId);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM volumes WHERE id = ?').run(id);
  }
}
