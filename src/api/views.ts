// Records as the API shows them: stable field names, nothing internal (no driver handles,
// no config in list views).
import type { App, Release } from '../core/model.js';
import type { Machine } from '../store/machines.js';

export function appView(app: App, url: string) {
  return {
    name: app.name,
    currentRelease: app.currentRelease,
    url,
    createdAt: app.createdAt,
    createdBy: app.createdBy,
    driver: app.driver,
  };
}

export function releaseView(r: Release) {
  return {
    app: r.app,
    version: r.version,
    status: r.status,
    description: r.description,
    createdBy: r.createdBy,
    artifactDigest: r.artifactDigest,
    configFile: r.configFile,
    failureReason: r.failureReason,
    failureOutput: r.failureOutput,
    secretsDigest: r.secretsDigest,
    driver: r.driver,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function machineView(m: Machine, now = Date.now()) {
  const running = m.state === 'started' && m.startedAt;
  return {
    id: m.id,
    app: m.app,
    releaseVersion: m.releaseVersion,
    processGroup: m.processGroup,
    command: m.command,
    managed: m.managed,
    name: m.name,
    state: m.state,
    address: m.address,
    restarts: m.restarts,
    lastExit: m.lastExit,
    startedAt: m.startedAt,
    uptimeSeconds: running ? Math.max(0, Math.round((now - Date.parse(m.startedAt!)) / 1000)) : null,
    createdAt: m.createdAt,
  };
}
