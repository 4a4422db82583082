// Exit codes scripts can rely on.
export const EXIT = {
  ok: 0,
  /** The daemon failed or could not be reached. */
  failure: 1,
  /** The request was wrong (arguments, config, a name that does not exist): fix it and retry. */
  usage: 2,
  /** The deploy ran and failed; the previous release keeps serving. */
  deployFailed: 3,
} as const;
