// An unmanaged machine's own configuration (`berth machine run`), kept on its row so that a
// restart, a clone or a daemon restart runs it the same way. Deploys never change it.
import type { PreparedRelease } from './drivers.js';
import { BerthError } from './errors.js';

export interface MachineRunConfig {
  /** Extra environment from -e, applied over the release's env and the app's secrets. */
  env: Record<string, string>;
  /**
   * The env values are sealed with the app's data key (every machine run since they were);
   * absent on machines recorded before, whose values are plain.
   */
  envSealed?: boolean;
  /** The port the process listens on (PORT); unmanaged machines are not routed by the proxy. */
  port: number | null;
  /** Destroy the machine when its process exits, instead of restarting it. */
  autoDestroy: boolean;
  /** A directory uploaded with --dir: the artifact digest whose unpacked tree the machine runs. */
  artifactDigest: string | null;
  /** That directory as the release's driver prepared it (absent on machines run before drivers). */
  prepared?: PreparedRelease;
  /** `berth run --volumes`: the group's volumes are mounted (shared with their machines). */
  volumes?: boolean;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_PREFIX = 'BERTH_';
const MACHINE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Parses `-e K=V` flags; a value may contain "=", a name must be a shell variable name. */
export function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (eq < 0 || !ENV_NAME.test(name)) {
      throw new BerthError('invalid_request', `"${pair}" is not NAME=VALUE`, {
        hint: 'Pass environment as -e NAME=VALUE, with a NAME of letters, digits and _ (not starting with a digit).',
      });
    }
    checkEnvName(name);
    env[name] = pair.slice(eq + 1);
  }
  return env;
}

export function checkEnvName(name: string): void {
  if (!ENV_NAME.test(name)) {
    throw new BerthError('invalid_request', `"${name}" is not an environment variable name`, {
      hint: 'Use letters, digits and _, not starting with a digit.',
    });
  }
  if (name.startsWith(RESERVED_PREFIX) || name === 'PORT') {
    throw new BerthError('invalid_request', `${name} is set by berth and cannot be overridden`, {
      hint: 'Pick another name; berth sets PORT and the BERTH_* variables itself.',
    });
  }
}

export function checkMachineName(name: string): void {
  if (MACHINE_NAME.test(name)) return;
  throw new BerthError('invalid_request', `"${name}" is not a usable machine name`, {
    hint: 'Use 1-63 lowercase letters, digits and dashes, starting with a letter or digit, e.g. "console-1".',
  });
}

export function checkPort(port: number): void {
  if (Number.isInteger(port) && port >= 1 && port <= 65535) return;
  throw new BerthError('invalid_request', `"${port}" is not a port`, {
    hint: 'Pass --port with a number from 1 to 65535: the port your process listens on.',
  });
}
