// The process driver with volumes, against real processes: the machine sees the volume's
// directory at its destination through a bind mount in its own mount namespace, the host
// does not, and the spawned pid is still the group leader (what adoption relies on).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BerthError } from '../../src/core/errors.js';
import type { MachineHandle } from '../../src/drivers/driver.js';
import { ProcessDriver } from '../../src/drivers/process/process-driver.js';
import { readProcStat } from '../../src/drivers/process/proc-stat.js';
import { eventually } from '../helpers/daemon.js';

const root = mkdtempSync(join(tmpdir(), 'berth-driver-mounts-'));
const PATH = `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`;
const canMount = process.platform === 'linux' && process.getuid?.() === 0;
// Each case runs on one kind of host and shows as skipped, with the reason, on the other.
const needsRoot = canMount ? false : 'needs root on Linux to mount volumes';
const needsNoRoot = canMount ? 'checks the refusal without root; this host can mount' : false;
const started: MachineHandle[] = [];
const driver = new ProcessDriver({ machinesDir: join(root, 'machines') });

after(async () => {
  for (const handle of started) await driver.stop(handle, { signal: 'SIGKILL', timeoutMs: 0 });
  rmSync(root, { recursive: true, force: true });
});

const VOLUME_ID = 'vol_0000000000000001';

function setup() {
  const release = join(root, 'release');
  // The driver keeps volume <id> at <home>/volumes/<id>; its home is the parent of machinesDir.
  const volume = join(root, 'volumes', VOLUME_ID);
  const destination = join(root, 'mnt', 'data');
  mkdirSync(release, { recursive: true });
  mkdirSync(volume, { recursive: true });
  writeFileSync(join(volume, 'in.txt'), 'kept on the volume');
  return { release, volume, destination };
}

const command = (destination: string) =>
  `cat ${destination}/in.txt; echo; echo from-the-machine > ${destination}/out.txt; exec sleep 60`;

test(
  'a machine with a volume sees it at its destination; the host does not',
  { skip: needsRoot },
  async () => {
    const { release, volume, destination } = setup();
    const capability = await driver.mountCapability();
    assert.deepEqual(capability, { ok: true });
    const handle = await driver.start({
      machineId: 'mounted',
      app: 'demo',
      releaseVersion: 1,
      processGroup: 'app',
      command: command(destination),
      env: { PATH },
      prepared: { driver: 'process', dir: release },
      ports: [],
      killSignal: 'SIGTERM',
      killTimeoutMs: 2_000,
      mounts: [{ volumeId: VOLUME_ID, destination }],
    });
    started.push(handle);
    const pid = handle.pid;

    await eventually(() => existsSync(join(volume, 'out.txt')), 10_000, 'the machine to write to its volume');
    assert.equal(readFileSync(join(volume, 'out.txt'), 'utf8'), 'from-the-machine\n');
    await eventually(
      () => readFileSync(handle.logPath, 'utf8').includes('kept on the volume'),
      10_000,
      'the log',
    );
    // The mount point was created on the host, but the data is not there: the bind mount
    // exists only in the machine's namespace.
    assert.ok(existsSync(destination));
    assert.ok(!existsSync(join(destination, 'out.txt')));
    assert.notEqual(readlinkSync(`/proc/${pid}/ns/mnt`), readlinkSync('/proc/self/ns/mnt'));

    // unshare and the shell exec in place: the pid Node spawned leads the group, with the
    // start time recorded in the handle, so a later daemon can adopt it.
    const stat = readProcStat(pid)!;
    assert.equal(stat.pgrp, pid);
    assert.equal(stat.startTime, handle.startTime);
    assert.deepEqual(await driver.inspect(handle), { state: 'running' });

    await driver.stop(handle, { signal: 'SIGTERM', timeoutMs: 2_000 });
    assert.notDeepEqual(await driver.inspect(handle), { state: 'running' });
  },
);
test(
  'without root, a machine with a volume is refused, naming the cause and the fix',
  { skip: needsNoRoot },
  async () => {
    const { release, destination } = setup();
    assert.equal((await driver.mountCapability()).ok, false);
    await assert.rejects(
      driver.start({
        machineId: 'refused',
        app: 'demo',
        releaseVersion: 1,
        processGroup: 'app',
        command: command(destination),
        env: { PATH },
        prepared: { driver: 'process', dir: release },
        ports: [],
        killSignal: 'SIGTERM',
        killTimeoutMs: 2_000,
        mounts: [{ volumeId: VOLUME_ID, destination }],
      }),
      (err: unknown) =>
        err instanceof BerthError && err.code === 'mounts_unsupported' && /root/.test(err.message),
    );
  },
);
