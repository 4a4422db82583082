// Exit codes scripts can rely on.
export const EXIT = {
  ok: 0,
  /** The daemon failed or could not be reached. */
  failure: 1,
  /** The request was wrong (arguments, config, a name that does not exist): fix it and retry. */
  usage: 2,
  /** The deploy failed before anything live changed (build, release command); the previous release serves. */
  deployFailed: 3,
  /** A machine of the new release failed during the rollout; it was reverted to the previous release. */
  deployReverted: 4,
} as const;

/** What each exit code means, as `berth --help` lists them. */
export const EXIT_MEANINGS: ReadonlyArray<readonly [number, string]> = [
  [EXIT.ok, 'success'],
  [EXIT.failure, 'the daemon failed or could not be reached'],
  [EXIT.usage, 'the request was wrong (arguments, config, a name that does not exist): fix it and retry'],
  [EXIT.deployFailed, 'a deploy failed before anything live changed; the previous release serves'],
  [EXIT.deployReverted, 'a machine of the new release failed; the rollout was reverted'],
];
