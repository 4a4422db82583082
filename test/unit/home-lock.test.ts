// The home's lock against a real file: one holder at a time (two connections of one process
// are refused like two processes), the refusal names the holder, and release frees it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError } from '../../src/core/errors.js';
import { homeLayout } from '../../src/daemon/home.js';
import { lockHolderPid } from '../../src/daemon/home-holder.js';
import { HomeLock } from '../../src/daemon/home-lock.js';
import { writeServerInfo } from '../../src/daemon/server-info.js';

function withHome(fn: (layout: ReturnType<typeof homeLayout>) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'berth-home-lock-'));
  try {
    fn(homeLayout(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a held home refuses a second holder, naming the pid; released, it can be taken again', () =>
  withHome((layout) => {
    const lock = HomeLock.acquire(layout);
    assert.equal(lockHolderPid(layout), process.pid);
    assert.throws(
      () => HomeLock.acquire(layout),
      (err: unknown) =>
        isBerthError(err) &&
        err.code === 'home_in_use' &&
        err.status === 409 &&
        err.message === `another berth daemon (pid ${process.pid}) is starting in ${layout.root}` &&
        err.hint.includes(`kill ${process.pid}`) &&
        err.hint.includes('another --home'),
    );
    lock.release();
    assert.equal(existsSync(layout.daemonPid), false, 'release removes its pid file');
    assert.equal(lockHolderPid(layout), undefined);
    HomeLock.acquire(layout).release();
  }));

test('once the holder serves, the refusal names its API and proxy addresses', () =>
  withHome((layout) => {
    const lock = HomeLock.acquire(layout);
    writeServerInfo(layout.serverInfo, {
      pid: process.pid,
      apiUrl: 'http://127.0.0.1:4680',
      proxyUrl: 'http://127.0.0.1:8080',
      caCertPath: join(layout.root, 'ca/root.crt'),
      domain: 'localhost',
      driver: 'process',
      startedAt: new Date().toISOString(),
      version: 'test',
    });
    try {
      assert.throws(() => HomeLock.acquire(layout), {
        message: `another berth daemon (pid ${process.pid}) already serves ${layout.root}: API http://127.0.0.1:4680, apps http://127.0.0.1:8080`,
      });
    } finally {
      lock.release();
    }
  }));
