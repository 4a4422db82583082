// A change to an app's secrets, and how a release describes it ("secrets: set A, B; unset C").

export interface SecretChange {
  set: string[];
  unset: string[];
}

const MAX_NAMES_SHOWN = 8;

export function isEmptyChange(change: SecretChange): boolean {
  return change.set.length === 0 && change.unset.length === 0;
}

/** "set A, B; unset C", naming at most a few of each. */
export function summarizeChange(change: SecretChange): string {
  const parts: string[] = [];
  if (change.set.length > 0) parts.push(`set ${listNames(change.set)}`);
  if (change.unset.length > 0) parts.push(`unset ${listNames(change.unset)}`);
  return parts.join('; ');
}

/** The description of a release a secrets change makes. */
export function secretsReleaseDescription(change: SecretChange): string {
  return `secrets: ${summarizeChange(change)}`;
}

function listNames(names: string[]): string {
  const sorted = [...names].sort();
  if (sorted.length <= MAX_NAMES_SHOWN) return sorted.join(', ');
  return `${sorted.slice(0, MAX_NAMES_SHOWN).join(', ')} and ${sorted.length - MAX_NAMES_SHOWN} more`;
}
