// The base images real Dockerfiles name, made locally so that the tests never pull:
// `node:20-slim` and `node:20-alpine` on the Engine the tests use, both the same image, made by
// `docker import` (POST /images/create?fromSrc=-) of a small root filesystem taken from this host:
//   - the host's node binary as /usr/local/bin/node, and npm beside it (/usr/local/lib/node_modules,
//     as the official images lay it out), so `RUN npm ci` of an app without dependencies works offline;
//   - dash as /bin/sh and a few coreutils (sleep, cat, env, ...) for RUN lines and test commands;
//   - every library `ldd` lists for them, at the same path (merged /usr: /lib → usr/lib);
//   - /etc/passwd and /etc/group with root and node (1000), /tmp 1777, /root, /home/node;
//   - ENV PATH and NODE_VERSION as the official images set them, npm's network extras off, CMD ["node"].
// The image carries a label with a digest of its inputs (paths, sizes, times, this recipe's
// version): when both tags already point at an image with that label, nothing is done.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar';
import { Engine } from './docker-engine.js';

export const TEST_BASE_IMAGES = ['node:20-slim', 'node:20-alpine'] as const;
export const INPUTS_LABEL = 'berth.test-image.inputs';
/** Bump when the recipe below changes what goes into the image. */
const RECIPE_VERSION = 1;
const IMPORT_TIMEOUT_MS = 300_000;

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Commands a Dockerfile's RUN or a test's command line may use, besides sh and node. */
const TOOLS = [
  'cat',
  'sleep',
  'env',
  'ls',
  'mkdir',
  'rm',
  'rmdir',
  'cp',
  'mv',
  'chmod',
  'chown',
  'ln',
  'touch',
  'id',
  'true',
  'false',
  'echo',
  'printf',
  'pwd',
  'head',
  'tail',
  'wc',
  'uname',
  'date',
  'basename',
  'dirname',
  'sort',
  'tr',
  'grep',
  'sed',
];
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n';
const GROUP = 'root:x:0:\nnode:x:1000:\n';

/** A file of the host that goes into the image at `at` (relative to /). */
interface HostFile {
  at: string;
  source: string;
}

interface Recipe {
  files: HostFile[];
  npmDir: string | undefined;
  nodeVersion: string;
  digest: string;
}

export interface TestImagesResult {
  /** False when both tags already pointed at an image of the same inputs. */
  made: boolean;
  digest: string;
  ms: number;
}

function findOnHost(name: string): string | undefined {
  for (const dir of ['/usr/bin', '/bin', '/usr/local/bin']) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Where a host path goes in the image: the image has a merged /usr, so /lib is usr/lib. */
function imagePath(hostPath: string): string {
  const relative = hostPath.replace(/^\/+/, '');
  return /^(lib|lib64|lib32|bin|sbin)\//.test(relative) ? `usr/${relative}` : relative;
}

/** The libraries a binary loads, as `ldd` lists them (none for a static binary). */
function libraries(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return []; // "not a dynamic executable"
  }
  const found: string[] = [];
  for (const line of out.split('\n')) {
    const match = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (match) found.push(match[1]!);
  }
  return found;
}

function recipe(): Recipe {
  const node = realpathSync(process.execPath);
  const binaries: HostFile[] = [{ at: 'usr/local/bin/node', source: node }];
  const dash = findOnHost('dash');
  if (!dash) throw new Error('the test base image needs dash for /bin/sh (apt-get install dash)');
  binaries.push({ at: 'usr/bin/dash', source: dash });
  for (const tool of TOOLS) {
    const path = findOnHost(tool);
    if (path) binaries.push({ at: `usr/bin/${tool}`, source: path });
  }
  const libs = new Map<string, HostFile>();
  for (const binary of binaries)
    for (const lib of libraries(binary.source)) libs.set(imagePath(lib), { at: imagePath(lib), source: lib });
  const files = [...binaries, ...libs.values()];

  const npmCandidate = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  const npmDir = existsSync(join(npmCandidate, 'package.json')) ? realpathSync(npmCandidate) : undefined;

  const hash = createHash('sha256');
  hash.update(`recipe ${RECIPE_VERSION}\n${PASSWD}${GROUP}`);
  const stamp = (label: string, path: string): void => {
    const stat = statSync(path);
    hash.update(`${label} ${path} ${stat.size} ${stat.mtimeMs} ${stat.mode}\n`);
  };
  for (const file of files) stamp(file.at, file.source);
  if (npmDir) stamp('npm', join(npmDir, 'package.json'));
  return { files, npmDir, nodeVersion: process.version.slice(1), digest: hash.digest('hex').slice(0, 32) };
}

/** Lays the root filesystem out in a temp dir (the caller removes it). */
function stageRootfs(plan: Recipe): string {
  const root = mkdtempSync(join(tmpdir(), 'berth-test-rootfs-'));
  chmodSync(root, 0o755);
  const dir = (path: string, mode = 0o755): string => {
    const full = join(root, path);
    mkdirSync(full, { recursive: true });
    chmodSync(full, mode);
    return full;
  };
  for (const path of [
    'usr/bin',
    'usr/sbin',
    'usr/lib',
    'usr/lib64',
    'usr/local/bin',
    'usr/local/sbin',
    'etc',
  ])
    dir(path);
  for (const merged of ['bin', 'sbin', 'lib', 'lib64']) symlinkSync(`usr/${merged}`, join(root, merged));
  dir('tmp', 0o1777);
  dir('root', 0o700);
  const nodeHome = dir('home/node');
  if (process.getuid?.() === 0) chownSync(nodeHome, 1000, 1000);

  for (const file of plan.files) {
    const target = join(root, file.at);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(realpathSync(file.source), target);
    chmodSync(target, statSync(file.source).mode & 0o7777);
  }
  symlinkSync('dash', join(root, 'usr/bin/sh'));
  writeFileSync(join(root, 'etc/passwd'), PASSWD);
  writeFileSync(join(root, 'etc/group'), GROUP);

  if (plan.npmDir) {
    cpSync(plan.npmDir, dir('usr/local/lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
  }
  return root;
}

async function imageLabel(
  engine: Engine,
  name: string,
): Promise<{ id: string; inputs?: string } | undefined> {
  const response = await engine.call('GET', `/images/${encodeURIComponent(name)}/json`);
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new Error(`inspect ${name}: ${response.status} ${response.body.trim()}`);
  const image = JSON.parse(response.body) as {
    Id: string;
    Config?: { Labels?: Record<string, string> | null };
  };
  return { id: image.Id, inputs: image.Config?.Labels?.[INPUTS_LABEL] };
}

function splitName(name: string): { repo: string; tag: string } {
  const at = name.lastIndexOf(':');
  return { repo: name.slice(0, at), tag: name.slice(at + 1) };
}

async function tag(engine: Engine, id: string, name: string): Promise<void> {
  const { repo, tag: tagName } = splitName(name);
  await engine.json(
    'POST',
    `/images/${id}/tag?repo=${encodeURIComponent(repo)}&tag=${encodeURIComponent(tagName)}`,
  );
}

/** Makes the test base images unless both tags already name an image of the same inputs. */
export async function makeTestImages(engine: Engine): Promise<TestImagesResult> {
  const started = Date.now();
  const plan = recipe();
  const current = await Promise.all(TEST_BASE_IMAGES.map((name) => imageLabel(engine, name)));
  const first = current[0];
  if (first?.inputs === plan.digest) {
    // Same inputs: only a missing or stray second tag to set.
    for (const [i, name] of TEST_BASE_IMAGES.entries())
      if (current[i]?.id !== first.id) await tag(engine, first.id, name);
    return { made: false, digest: plan.digest, ms: Date.now() - started };
  }

  const root = stageRootfs(plan);
  try {
    const [primary] = TEST_BASE_IMAGES;
    const { repo, tag: tagName } = splitName(primary);
    const changes = [
      `ENV PATH=${PATH}`,
      `ENV NODE_VERSION=${plan.nodeVersion}`,
      // Offline: npm ci of an app without dependencies must not reach for the registry.
      'ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_AUDIT=false NPM_CONFIG_FUND=false',
      `LABEL ${INPUTS_LABEL}=${plan.digest}`,
      'CMD ["node"]',
    ];
    const query = new URLSearchParams({ fromSrc: '-', repo, tag: tagName, message: 'berth test base image' });
    for (const change of changes) query.append('changes', change);
    const archive = Readable.from(tar.c({ cwd: root }, ['.']));
    await engine.progress('POST', `/images/create?${query}`, archive, 'application/x-tar', IMPORT_TIMEOUT_MS);
    const made = await imageLabel(engine, primary);
    if (made?.inputs !== plan.digest)
      throw new Error(`the import did not leave ${primary} labelled ${plan.digest}`);
    for (const name of TEST_BASE_IMAGES.slice(1)) await tag(engine, made.id, name);
    // The images these tags named before, unless a container still uses them (409).
    for (const old of new Set(current.map((image) => image?.id)))
      if (old && old !== made.id) await engine.call('DELETE', `/images/${old}`);
    return { made: true, digest: plan.digest, ms: Date.now() - started };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

let pending: Promise<TestImagesResult> | undefined;

/** Makes sure the test base images are on the Engine (once per process). */
export function ensureTestImages(engine = new Engine()): Promise<TestImagesResult> {
  pending ??= makeTestImages(engine);
  return pending;
}
