// `berth scale`: changes how many machines a process group runs, without a release. New
// machines run the current release and take traffic once healthy; removed ones are drained
// first. Holds the app's deploy lock so that a scale and a deploy never interleave.
import { randomUUID } from 'node:crypto';
import { BerthError } from '../core/errors.js';
import type { Release } from '../core/model.js';
import { machinesToRemove } from '../core/scale-down.js';
import { checkScaleCount, checkScaleGroup } from '../core/scale-count.js';
import type { DeployLocks } from './deploy-lock.js';
import type { DaemonDrivers } from './drivers.js';
import { groupMembers } from './group-members.js';
import { awaitMachineHealthy, type MachineHealthDeps } from './machine-health.js';
import { releaseCommands } from './release-commands.js';

export interface ScalerDeps extends MachineHealthDeps {
  locks: DeployLocks;
  drivers: DaemonDrivers;
}

export interface GroupScale {
  group: string;
  /** The size deploys keep: the scaled count, else the managed machines the group has. */
  desired: number;
  /** Whether `desired` was set by `berth scale` (otherwise it follows the machines). */
  scaled: boolean;
  running: number;
  stopped: number;
  /** Releases the group's machines run, newest first. */
  releases: number[];
}

export interface ScaleShow {
  app: string;
  release: number;
  groups: GroupScale[];
}

export interface ScaleResult {
  app: string;
  group: string;
  release: number;
  from: number;
  to: number;
  started: string[];
  removed: string[];
}

export class Scaler {
  constructor(private readonly deps: ScalerDeps) {}

  private currentRelease(app: string): Release {
    const current = this.deps.store.apps.get(app)?.currentRelease ?? null;
    const release = current === null ? undefined : this.deps.store.releases.get(app, current);
    if (!release) {
      throw new BerthError('release_not_found', `app "${app}" has no release to scale yet`, {
        hint: `Deploy it first with \`berth deploy -a ${app}\`; scaling changes how many machines run the current release.`,
      });
    }
    return release;
  }

  async show(app: string): Promise<ScaleShow> {
    const release = this.currentRelease(app);
    const scaled = this.deps.store.groupScales.get(app);
    const groups = Object.keys(await releaseCommands(this.deps.drivers, release)).map((group) => {
      const members = groupMembers(this.deps.store, app, group);
      return {
        group,
        desired: scaled[group] ?? members.length,
        scaled: group in scaled,
        running: members.filter((m) => m.state !== 'stopped' && m.state !== 'failed').length,
        stopped: members.filter((m) => m.state === 'stopped').length,
        releases: [...new Set(members.map((m) => m.releaseVersion))].sort((a, b) => b - a),
      };
    });
    return { app, release: release.version, groups };
  }

  /** The group a scale means when none is named: "app", else the release's only group. */
  async defaultGroup(app: string): Promise<string> {
    const release = this.currentRelease(app);
    const groups = Object.keys(await releaseCommands(this.deps.drivers, release));
    if (groups.includes('app')) return 'app';
    if (groups.length === 1) return groups[0]!;
    throw new BerthError('invalid_request', `app "${app}" has several process groups; which one?`, {
      hint: `Pass --process-group with one of: ${groups.join(', ')}.`,
    });
  }

  /** Validates, takes the deploy lock and scales; `progress` hears each step. */
  async count(
    app: string,
    request: { group?: string; count: number; user: string },
    progress: (message: string) => void = () => {},
  ): Promise<ScaleResult> {
    return (await this.prepare(app, request)).run(progress);
  }

  /**
   * Everything that can refuse a scale (bad count or group, no release, the lock held), before
   * anything changes; `run` then does it and gives the lock back.
   */
  async prepare(
    app: string,
    request: { group?: string; count: number; user: string },
  ): Promise<{ run(progress: (message: string) => void): Promise<ScaleResult> }> {
    checkScaleCount(request.count);
    const release = this.currentRelease(app);
    const commands = await releaseCommands(this.deps.drivers, release);
    const group = request.group ?? (await this.defaultGroup(app));
    checkScaleGroup(group, Object.keys(commands), release.version);
    const lease = await this.deps.locks.acquire(app, {
      owner: `scale ${group} to ${request.count} by ${request.user} (${randomUUID().slice(0, 8)})`,
      user: request.user,
    });
    const running = this.deps.store.deployments.running(app);
    if (running) {
      lease.release();
      throw new BerthError(
        'deploy_in_progress',
        `app "${app}" is deploying v${running.releaseVersion} (deployment ${running.id}); scale once it ends`,
      );
    }
    return {
      run: async (progress) => {
        try {
          return await this.apply(release, group, commands[group]!, request.count, progress);
        } finally {
          lease.release();
        }
      },
    };
  }

  private async apply(
    release: Release,
    group: string,
    command: string,
    count: number,
    progress: (message: string) => void,
  ): Promise<ScaleResult> {
    const app = release.app;
    const members = groupMembers(this.deps.store, app, group);
    const from = members.length;
    const say = (message: string) => {
      this.deps.store.events.append({ app, releaseVersion: release.version, kind: 'scale.step', message });
      progress(message);
    };
    if (count > from) {
      const started = await this.grow(release, group, command, count - from, say);
      this.deps.store.groupScales.set(app, group, count);
      say(`scaled ${group} from ${from} to ${count}`);
      return { app, group, release: release.version, from, to: count, started, removed: [] };
    }
    // Recorded first: if the daemon dies while draining, the next deploy still shrinks the group.
    this.deps.store.groupScales.set(app, group, count);
    const removed = machinesToRemove(
      members.map((m) => ({
        id: m.id,
        stopped: m.state === 'stopped' || m.state === 'failed',
        serving: m.serving,
        createdAt: m.createdAt,
      })),
      count,
    );
    if (removed.length > 0) {
      say(`draining machine${removed.length === 1 ? '' : 's'} ${removed.join(', ')}`);
      await Promise.all(removed.map((id) => this.deps.supervisor.retire(id, { drain: true })));
    }
    say(
      from === count
        ? `${group} already has ${from} machine${from === 1 ? '' : 's'}`
        : `scaled ${group} from ${from} to ${count}`,
    );
    return { app, group, release: release.version, from, to: count, started: [], removed };
  }

  /** Starts `extra` machines on the release, waits for all to be healthy, then serves them. */
  private async grow(
    release: Release,
    group: string,
    command: string,
    extra: number,
    say: (message: string) => void,
  ): Promise<string[]> {
    const machines = await Promise.all(
      Array.from({ length: extra }, () => this.deps.supervisor.launch(release, group, command)),
    );
    const ids = machines.map((m) => m.id);
    say(`started ${ids.join(', ')} on v${release.version}; waiting for health`);
    const outcomes = await Promise.all(ids.map((id) => awaitMachineHealthy(this.deps, id, say)));
    const failed = outcomes.flatMap((o) => (o.healthy ? [] : [o.reason]));
    if (failed.length > 0) {
      await Promise.all(ids.map((id) => this.deps.supervisor.retire(id, { drain: false })));
      throw new BerthError(
        'scale_failed',
        `scaling ${group} failed; the new machines were removed:\n${failed.join('\n')}`,
      );
    }
    this.deps.supervisor.serve(release.app, ids, []);
    say(`${ids.join(', ')} healthy and taking traffic`);
    return ids;
  }
}
