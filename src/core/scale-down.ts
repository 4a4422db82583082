// Which machines of a group a scale-down removes: stopped ones first (removing them loses no
// capacity), then machines that take no traffic, then the newest (the oldest have proven
// themselves and their caches are warm).

export interface ScaleCandidate {
  id: string;
  stopped: boolean;
  serving: boolean;
  /** ISO time the machine was created; ties broken by id so the choice is stable. */
  createdAt: string;
}

export function machinesToRemove(machines: readonly ScaleCandidate[], desired: number): string[] {
  const excess = machines.length - Math.max(0, desired);
  if (excess <= 0) return [];
  const rank = (m: ScaleCandidate) => (m.stopped ? 0 : !m.serving ? 1 : 2);
  const ordered = [...machines].sort(
    (a, b) => rank(a) - rank(b) || b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id),
  );
  return ordered.slice(0, excess).map((m) => m.id);
}
