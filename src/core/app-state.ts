// An app's state at a glance, for `berth status` and `apps list`: decided from what the store
// holds (its releases, a running deployment, its machines), so both commands say the same.

/** `suspended`: scaled to zero by auto_stop_machines, woken by the next request. */
export type AppState = 'new' | 'deploying' | 'deployed' | 'crashloop' | 'failed' | 'stopped' | 'suspended';

/** At least this many exits in the window, and not up for long since: a crash loop. */
export const CRASHLOOP_EXITS = 3;
export const CRASHLOOP_WINDOW_MS = 10 * 60_000;
/** A machine up this long since its last start is not looping, whatever it did before. */
export const CRASHLOOP_STABLE_MS = 60_000;

export interface MachineLoopFacts {
  state: string;
  /** Its crash exits within CRASHLOOP_WINDOW_MS. */
  recentExits: number;
  /** How long it has been up since its last start; null when it is not running. */
  upMs: number | null;
}

/** A machine that keeps exiting and being restarted, as opposed to one that crashed once. */
export function isCrashLooping(m: MachineLoopFacts): boolean {
  if (m.recentExits < CRASHLOOP_EXITS) return false;
  if (m.state === 'restarting') return true;
  return m.state === 'started' && m.upMs !== null && m.upMs < CRASHLOOP_STABLE_MS;
}

export interface AppFacts {
  /** The app has a live release. */
  deployed: boolean;
  /** A deployment of it is running now. */
  deploying: boolean;
  /** Its newest release failed. */
  lastReleaseFailed: boolean;
  /** Its HTTP service stops idle machines (auto_stop_machines). */
  autoStops: boolean;
  /** Its managed machines (deploy groups), not destroyed. */
  machines: { state: string; crashLooping: boolean }[];
}

export function appState(app: AppFacts): AppState {
  if (app.deploying) return 'deploying';
  if (!app.deployed) return app.lastReleaseFailed ? 'failed' : 'new';
  if (app.machines.some((m) => m.crashLooping)) return 'crashloop';
  const up = app.machines.filter((m) => m.state !== 'stopped' && m.state !== 'failed');
  if (up.length > 0) return 'deployed';
  return app.autoStops && app.machines.length > 0 ? 'suspended' : 'stopped';
}
