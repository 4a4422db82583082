// Which driver a deploy runs on: the one asked for (and kept for the app's next deploys), else
// the app's own, else swarm for a build that is an image on a server whose default is swarm,
// else docker for a build that is an image when this daemon has it, else the
// server's default. A build that needs Docker on a daemon without it is refused here, before
// anything changes.
import { BerthError } from './errors.js';
import type { DriverName } from './drivers.js';

export interface DriverChoiceInput {
  /** `berth deploy --driver NAME`. */
  requested?: DriverName;
  /** The app's recorded driver; null before its first deploy. */
  appDriver: DriverName | null;
  /** What the build is: `[build] image`, `[build] dockerfile`, or a Dockerfile at the artifact's root. */
  build: { image?: string; dockerfile?: string; rootDockerfile: boolean };
  /** The config names what to run ([processes] with a command), so it can run without an image. */
  hasProcesses: boolean;
  serverDefault: DriverName;
  /** Drivers this daemon has, and why each missing one is missing. */
  available: readonly DriverName[];
  unavailable: Partial<Record<DriverName, { cause: string; fix: string }>>;
}

export interface DriverChoice {
  driver: DriverName;
  /** Said in the deploy's output: "driver docker: the app has a Dockerfile". */
  reason: string;
}

export function chooseDriver(input: DriverChoiceInput): DriverChoice {
  const image = imageReason(input.build);
  const pick = (driver: DriverName, reason: string): DriverChoice => {
    if (!input.available.includes(driver)) throw unavailableError(driver, reason, input);
    return { driver, reason };
  };
  if (input.requested) return pick(input.requested, 'asked for with --driver');
  if (input.appDriver) return pick(input.appDriver, "the app's driver");
  // A server whose default is swarm runs images across its nodes; otherwise docker runs them.
  if (image && input.serverDefault === 'swarm') return pick('swarm', image);
  if (image && input.available.includes('docker')) return pick('docker', image);
  // An image has no tree to run; a Dockerfile app runs as processes only if it says what to run.
  if (image && (input.build.image || !input.hasProcesses)) throw unavailableError('docker', image, input);
  return pick(input.serverDefault, "the server's default");
}

/** Why the build is an image, or undefined when it is a tree the process driver can run. */
function imageReason(build: DriverChoiceInput['build']): string | undefined {
  if (build.image) return `[build] image is ${build.image}`;
  if (build.dockerfile) return `[build] dockerfile is ${build.dockerfile}`;
  if (build.rootDockerfile) return 'the app has a Dockerfile';
  return undefined;
}

function unavailableError(driver: DriverName, reason: string, input: DriverChoiceInput): BerthError {
  const missing = input.unavailable[driver];
  const cause = missing ? `: ${missing.cause}` : '';
  if (driver === 'docker') {
    return new BerthError(
      'docker_unavailable',
      `this deploy needs the docker driver (${reason}), but this daemon has no Docker Engine${cause}`,
      {
        hint: `${missing?.fix ?? 'Start Docker, or set DOCKER_HOST to its socket, and restart `berth server`.'} Or run it as processes: add [processes] with the command to run, and deploy with --driver process.`,
      },
    );
  }
  return new BerthError(
    'driver_unavailable',
    `the ${driver} driver is not available on this daemon${cause}`,
    {
      hint: missing?.fix ?? 'Deploy with --driver NAME naming a driver this daemon has.',
    },
  );
}
