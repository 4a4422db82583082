// The environment berth gives a machine: the config's [env] (with secrets and run env merged
// in by the caller) and berth's identifying variables. Nothing of the daemon's host: each
// driver adds its own base (the process driver a few host variables, docker the image's ENV).

export function machineEnv(input: {
  configEnv: Record<string, string>;
  app: string;
  releaseVersion: number;
  machineId: string;
  processGroup: string;
}): Record<string, string> {
  return {
    ...input.configEnv,
    BERTH_APP: input.app,
    BERTH_RELEASE_VERSION: String(input.releaseVersion),
    BERTH_MACHINE_ID: input.machineId,
    BERTH_PROCESS_GROUP: input.processGroup,
  };
}

/** A build's environment: the config's [env], BERTH_APP and BERTH_RELEASE_VERSION. Never secrets. */
export function buildEnv(input: {
  configEnv: Record<string, string>;
  app: string;
  releaseVersion: number;
}): Record<string, string> {
  return {
    ...input.configEnv,
    BERTH_APP: input.app,
    BERTH_RELEASE_VERSION: String(input.releaseVersion),
  };
}
