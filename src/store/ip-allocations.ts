// The ip_allocations table: addresses (IP and port) given to one app, each its own listener.
import type { Db } from './database.js';

export interface IpAllocation {
  address: string;
  port: number;
  app: string;
  createdAt: string;
  createdBy: string;
  /** Serves HTTPS (local-CA certificate for the address, or the SNI name's) instead of HTTP. */
  tls: boolean;
}

interface IpAllocationRow {
  address: string;
  port: number;
  app: string;
  created_at: string;
  created_by: string;
  tls: number;
}

const toAllocation = (r: IpAllocationRow): IpAllocation => ({
  address: r.address,
  port: r.port,
  app: r.app,
  createdAt: r.created_at,
  createdBy: r.created_by,
  tls: r.tls === 1,
});

export class IpAllocationStore {
  constructor(private readonly db: Db) {}

  get(address: string, port: number): IpAllocation | undefined {
    const row = this.db
      .prepare('SELECT * FROM ip_allocations WHERE address = ? AND port = ?')
      .get(address, port) as IpAllocationRow | undefined;
    return row && toAllocation(row);
  }

  list(app?: string): IpAllocation[] {
    const rows = (
      app === undefined
        ? this.db.prepare('SELECT * FROM ip_allocations ORDER BY app, address, port').all()
        : this.db.prepare('SELECT * FROM ip_allocations WHERE app = ? ORDER BY address, port').all(app)
    ) as IpAllocationRow[];
    return rows.map(toAllocation);
  }

  create(input: {
    address: string;
    port: number;
    app: string;
    createdBy: string;
    tls: boolean;
  }): IpAllocation {
    this.db
      .prepare(
        'INSERT INTO ip_allocations (address, port, app, created_at, created_by, tls) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        input.address,
        input.port,
        input.app,
        new Date().toISOString(),
        input.createdBy,
        input.tls ? 1 : 0,
      );
    return this.get(input.address, input.port)!;
  }

  delete(address: string, port: number): boolean {
    return (
      this.db.prepare('DELETE FROM ip_allocations WHERE address = ? AND port = ?').run(address, port)
        .changes === 1
    );
  }
}
