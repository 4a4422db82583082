// What berth notifies about: failures someone should hear of without watching a terminal.
export const NOTIFY_KINDS = [
  'schedule.failed',
  'deploy.failed',
  'deploy.reverted',
  'machine.crash_loop',
  'machine.wake_failed',
] as const;
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

export function isNotifyKind(value: string): value is NotifyKind {
  return (NOTIFY_KINDS as readonly string[]).includes(value);
}

/** Why `url` is no address berth POSTs to; undefined when it is one. */
export function notifyUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'is not an http or https URL';
  if (parsed.username || parsed.password)
    return 'carries a user or password; sign deliveries with a secret instead';
  return undefined;
}
