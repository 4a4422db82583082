// The replace strategy: start a full new set of managed machines for the release, then
// retire the old ones once the new set is ready. Pure: it only says what should happen.

export interface ObservedMachine {
  id: string;
  processGroup: string;
  releaseVersion: number;
  managed: boolean;
  state: string;
}

export interface ReplacePlan {
  /** Machines to create, one entry per machine. */
  start: Array<{ processGroup: string; command: string }>;
  /** Managed machines of older releases (or of groups that no longer exist) to retire. */
  retire: string[];
  /** Managed machines already on the target release (a resumed deployment keeps them). */
  keep: string[];
}

const GONE = new Set(['destroyed']);

/**
 * For each process group of the release, as many machines as the group has now (at least
 * one). Unmanaged machines are never counted, kept or retired: deploys do not touch them.
 */
export function planReplace(
  target: { releaseVersion: number; commands: Record<string, string> },
  observed: ObservedMachine[],
): ReplacePlan {
  const managed = observed.filter((m) => m.managed && !GONE.has(m.state));
  const plan: ReplacePlan = { start: [], retire: [], keep: [] };
  for (const [group, command] of Object.entries(target.commands)) {
    const inGroup = managed.filter((m) => m.processGroup === group);
    const current = inGroup.filter((m) => m.releaseVersion === target.releaseVersion);
    const old = inGroup.filter((m) => m.releaseVersion !== target.releaseVersion);
    const wanted = Math.max(1, old.length);
    plan.keep.push(...current.map((m) => m.id));
    for (let i = current.length; i < wanted; i++) plan.start.push({ processGroup: group, command });
    plan.retire.push(...old.map((m) => m.id));
  }
  for (const m of managed) {
    if (!(m.processGroup in target.commands)) plan.retire.push(m.id);
  }
  return plan;
}
