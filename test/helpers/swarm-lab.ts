// A real 3-node Docker Swarm for a test file, made by scripts/swarm-lab.sh and removed after:
// three dockerd instances in network namespaces of their own on a bridge of this run's own
// (10.79.N.0/24, N free on this host), the host at 10.79.N.1, node 0 the manager. Its names
// and addresses never meet another lab's, the CI's dockerd or the host's Engine. The manager
// gets the test base images (node:20-slim, node:20-alpine); the workers get release images
// only through a registry, as real nodes do.
//
// Skipped (with the reason) where the kernel has no network namespaces; elsewhere, outside
// CI, also when not root or when ip / dockerd / docker-registry are missing. In CI (CI=true)
// those are failures: .ci/run installs what the lab needs and runs as root.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './daemon.js';
import { Engine } from './docker-engine.js';
import { makeTestImages } from './docker-images.js';

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, 'scripts/swarm-lab.sh');
const LAB_TIMEOUT_MS = 300_000;

export interface SwarmLab {
  dir: string;
  /** DOCKER_HOST of each node's Engine; [0] is the manager's. */
  engines: string[];
  /** Each node's address on the lab's bridge (where its published ports are). */
  addresses: string[];
  /** The host's address on the bridge: what the nodes reach the host (and berth's registry) at. */
  hostAddress: string;
  /** Nodes a test killed (by index): they stay lost for the rest of the run. */
  lost: Set<number>;
  /** Stops the nodes and removes the namespaces, the bridge and the firewall rule. */
  down(): Promise<void>;
}

/** For describe()'s skip option: false, or why a swarm lab cannot be made here. */
export function swarmLabSkipReason(env: NodeJS.ProcessEnv = process.env): string | false {
  if (!existsSync('/proc/self/ns/net')) {
    return 'the kernel has no network namespaces (/proc/self/ns/net): a swarm lab needs one per node';
  }
  const missing = missingForLab();
  if (missing === undefined) return false;
  if (env.CI === 'true') throw new Error(`CI cannot make a swarm lab: ${missing}`);
  return `no swarm lab: ${missing}`;
}

function missingForLab(): string | undefined {
  if (process.getuid?.() !== 0) return 'it needs root (network namespaces, a bridge, dockerd)';
  for (const tool of ['ip', 'iptables', 'dockerd', 'docker', 'docker-registry', 'unshare']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (Debian: apt-get install iproute2 iptables docker.io docker-registry)`;
    }
  }
  return undefined;
}

/** A third octet of 10.79.N.0/24 no interface of this host uses. */
function freeOctet(): number {
  const used = execFileSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' });
  for (let tries = 0; tries < 500; tries++) {
    const octet = 1 + Math.floor(Math.random() * 250);
    if (!used.includes(` 10.79.${octet}.`)) return octet;
  }
  throw new Error('no free 10.79.N.0/24 subnet for a swarm lab');
}

export async function startSwarmLab(): Promise<SwarmLab> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-swarm-'));
  // Interface names: NAME0 (bridge), NAMEvI / NAMEpI (veth pairs), at most 15 characters.
  const name = `bs${(process.pid % 0x10000).toString(16).padStart(4, '0')}`;
  const octet = freeOctet();
  const down = async () => {
    await run('sh', [SCRIPT, 'down', dir], { timeout: LAB_TIMEOUT_MS });
  };
  try {
    await run('sh', [SCRIPT, 'up', dir, name, String(octet)], { timeout: LAB_TIMEOUT_MS });
  } catch (err) {
    await down().catch(() => {});
    throw err;
  }
  const engines = [0, 1, 2].map((i) => `unix://${dir}/n${i}/docker.sock`);
  try {
    await makeTestImages(new Engine(engines[0]));
  } catch (err) {
    await down().catch(() => {});
    throw err;
  }
  return {
    dir,
    engines,
    addresses: [10, 11, 12].map((host) => `10.79.${octet}.${host}`),
    hostAddress: `10.79.${octet}.1`,
    lost: new Set(),
    down,
  };
}
