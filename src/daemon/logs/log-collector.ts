// Copies every machine's output, as its driver gives it, into the daemon's own log files
// (log-files.ts), with each line's time, release and process group, and adds the daemon's
// own lines about the machine (started, exited, stopped, destroyed) from its events. Readers
// (`berth logs`, `-f`) read those files and subscribe here, so they see machines that start
// after they began, and machines long gone. A machine is followed from its first start; its
// follow is drained before its driver removes it (a container's output goes with it).
import { EventEmitter } from 'node:events';
import type { LogRecord } from '../../core/logs/log-record.js';
import { rotationBytes } from '../../core/logs/log-retention.js';
import type { BerthEvent } from '../../core/model.js';
import type { MachineHandle } from '../../drivers/driver.js';
import type { Machine } from '../../store/machines.js';
import type { Store } from '../../store/store.js';
import type { DaemonDrivers } from '../drivers.js';
import type { LogFiles } from './log-files.js';

/** The process driver empties a machine's own log file once this much of it (or half its cap) has been copied. */
const RECLAIM_BYTES = 1024 * 1024;
const SWEEP_MS = 2000;
/** Retention is checked at start and this often. */
const PRUNE_MS = 3_600_000;

interface Follow {
  key: string;
  stop: AbortController;
  drain: AbortController;
  done: Promise<void>;
}

export class LogCollector {
  private readonly follows = new Map<string, Follow>();
  /** Handles whose output has been copied to its end: never followed again. */
  private readonly finished = new Set<string>();
  /** One chain per machine, so a machine's follows never overlap. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly bus = new EventEmitter();
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pruner: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly drivers: DaemonDrivers,
    private readonly files: LogFiles,
    private readonly log: (line: string) => void,
  ) {
    this.bus.setMaxListeners(0);
  }

  /** Follows every live machine, then each one as events say it changed, and sweeps now and then. */
  start(): void {
    this.unsubscribe = this.store.events.subscribe((event) => this.onEvent(event));
    this.sweep();
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
    this.files.prune();
    this.pruner = setInterval(() => this.files.prune(), PRUNE_MS);
    this.pruner.unref();
  }

  /** Calls listener with every line kept for the app from now on; returns the unsubscribe function. */
  subscribe(app: string, listener: (record: LogRecord) => void): () => void {
    this.bus.on(app, listener);
    return () => this.bus.off(app, listener);
  }

  /** Copies what the machine has written up to now and stops following it: called before its driver removes it. */
  async finish(machineId: string): Promise<void> {
    await this.serially(machineId, async () => {
      if (!this.follows.has(machineId)) {
        // Never followed (its start was not seen): read it once, to its end, now.
        const machine = this.store.machines.get(machineId);
        const key = machine?.handle ? JSON.stringify(machine.handle) : undefined;
        if (machine?.handle && key && !this.finished.has(key)) this.follow(machine, machine.handle, key);
      }
      const follow = this.follows.get(machineId);
      if (follow) await this.end(machineId, follow);
    });
  }

  /** The daemon stops: follows end where they are, and the next daemon resumes from their cursors. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    clearInterval(this.timer);
    clearInterval(this.pruner);
    const follows = [...this.follows.values()];
    for (const follow of follows) follow.stop.abort();
    await Promise.all(follows.map((follow) => follow.done));
    this.files.close();
  }

  private onEvent(event: BerthEvent): void {
    if (event.kind === 'app.destroyed' && event.app) {
      this.files.removeApp(event.app);
      return;
    }
    if (!event.machineId) return;
    const machine = this.store.machines.get(event.machineId);
    if (!machine) return;
    this.keep(machine.app, {
      time: event.at,
      machine: machine.id,
      processGroup: machine.processGroup,
      release: event.releaseVersion ?? machine.releaseVersion,
      stream: 'berth',
      line: event.message,
    });
    // A machine with no follow (gone, stopped) keeps no file open for its last words.
    if (!this.follows.has(machine.id)) this.files.release(machine.app, machine.id);
    this.reconcile(machine.id);
  }

  private sweep(): void {
    for (const machine of this.store.machines.listLive()) this.reconcile(machine.id);
  }

  /** Starts, ends or swaps the machine's follow to match its current handle and state. */
  private reconcile(machineId: string): void {
    void this.serially(machineId, async () => {
      if (this.closed) return;
      const machine = this.store.machines.get(machineId);
      if (!machine) return;
      const handle = machine.handle;
      const key = handle ? JSON.stringify(handle) : undefined;
      const current = this.follows.get(machineId);
      const over = machine.state === 'stopped' || machine.state === 'destroyed';
      if (current && (current.key !== key || over)) await this.end(machineId, current);
      if (!handle || !key || this.finished.has(key) || this.follows.has(machineId)) return;
      if (machine.state === 'destroyed') return;
      this.follow(machine, handle, key);
      // A stopped machine (say, left by an earlier daemon) is read to its end once.
      if (over) await this.end(machineId, this.follows.get(machineId)!);
    });
  }

  private follow(machine: Machine, handle: MachineHandle, key: string): void {
    const driver = this.drivers.get(handle.driver);
    if (!driver) return;
    const stop = new AbortController();
    const drain = new AbortController();
    const after = this.files.lastCursor(machine.app, machine.id);
    const base = { machine: machine.id, processGroup: machine.processGroup, release: machine.releaseVersion };
    const done = driver
      .followLogs(
        handle,
        (line, info) =>
          this.keep(
            machine.app,
            { ...base, time: info.time, stream: info.stream ?? 'stdout', line },
            info.cursor,
          ),
        stop.signal,
        {
          fromStart: true,
          drain: drain.signal,
          reclaimBytes: Math.min(RECLAIM_BYTES, rotationBytes(this.files.caps)),
          ...(after !== undefined && { after }),
        },
      )
      .catch((err: unknown) => {
        if (!stop.signal.aborted)
          this.log(
            `logs: following machine ${machine.id} failed: ${err instanceof Error ? err.message : String(err)}`,
          );
      })
      .finally(() => {
        // Docker's follow ends by itself when the container stops: its output is all copied.
        if (this.follows.get(machine.id)?.key === key) {
          this.follows.delete(machine.id);
          if (!stop.signal.aborted) this.finished.add(key);
          this.files.release(machine.app, machine.id);
        }
      });
    this.follows.set(machine.id, { key, stop, drain, done });
  }

  private async end(machineId: string, follow: Follow): Promise<void> {
    follow.drain.abort();
    await follow.done;
    this.finished.add(follow.key);
    if (this.follows.get(machineId) === follow) this.follows.delete(machineId);
  }

  private keep(app: string, record: LogRecord, cursor?: string): void {
    try {
      this.files.append(app, record, cursor);
    } catch (err) {
      this.log(
        `logs: could not keep a line of machine ${record.machine}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    this.bus.emit(app, record);
  }

  private serially(machineId: string, work: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(machineId) ?? Promise.resolve()).then(work, work);
    const settled = next.catch(() => undefined);
    this.chains.set(machineId, settled);
    void settled.then(() => {
      if (this.chains.get(machineId) === settled) this.chains.delete(machineId);
    });
    return next;
  }
}
