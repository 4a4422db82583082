// The base environment of a process machine or build: a few variables of the host, never the
// daemon's own (which may hold tokens), under the app's environment. The app's own user cannot
// write the daemon's HOME (root's, typically) and tools such as npm need one, so in the sandbox
// HOME is its private /tmp unless [env] sets one.

const HOST_VARIABLES = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'SHELL'];

export function withHostBase(
  env: Record<string, string>,
  options: { ownUser: boolean; hostEnv?: Record<string, string | undefined> },
): Record<string, string> {
  const hostEnv = options.hostEnv ?? process.env;
  const base: Record<string, string> = {};
  for (const name of HOST_VARIABLES) {
    const value = hostEnv[name];
    if (value !== undefined) base[name] = value;
  }
  if (options.ownUser && env.HOME === undefined) base.HOME = '/tmp';
  return { ...base, ...env };
}
