// The environment a machine runs with: a small base from the host (never the daemon's own
// variables, which may hold tokens), the config's [env], and berth's identifying variables.

const HOST_VARIABLES = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'SHELL'];

export function machineEnv(input: {
  hostEnv: Record<string, string | undefined>;
  configEnv: Record<string, string>;
  app: string;
  releaseVersion: number;
  machineId: string;
  processGroup: string;
}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of HOST_VARIABLES) {
    const value = input.hostEnv[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, input.configEnv);
  env.BERTH_APP = input.app;
  env.BERTH_RELEASE_VERSION = String(input.releaseVersion);
  env.BERTH_MACHINE_ID = input.machineId;
  env.BERTH_PROCESS_GROUP = input.processGroup;
  return env;
}
