// Exit codes scripts can rely on.
export const EXIT = {
  ok: 0,
  /** Any error the command could not recover from. */
  failure: 1,
  /** Bad arguments or an invalid config file: nothing was attempted. */
  usage: 2,
  /** The deploy ran and failed; the previous release keeps serving. */
  deployFailed: 3,
} as const;
