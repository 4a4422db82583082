// Schemas of the daemon itself (`berth server status|stop|restart`); the SDK's types are
// derived from them.
import { Type } from '@sinclair/typebox';
import { Nullable } from './schemas.js';

export const ServerStatusSchema = Type.Object({
  pid: Type.Integer(),
  version: Type.String(),
  startedAt: Type.String(),
  uptimeSeconds: Type.Integer(),
  home: Type.String(),
  apiUrl: Type.String(),
  proxyUrl: Type.String(),
  proxyTlsUrl: Nullable(Type.String()),
  domain: Type.String(),
  defaultDriver: Type.String(),
  drivers: Type.Array(Type.String()),
  apps: Type.Integer(),
  machinesRunning: Type.Integer(),
  /** Whether stop and restart can be asked through the API (a `berth server` process). */
  controllable: Type.Boolean(),
});

export const ServerControlSchema = Type.Object({ pid: Type.Integer(), action: Type.String() });

/** The pid of the daemon meant, as `status` showed it: a stale command never stops its successor. */
export const ServerControlBody = Type.Object(
  { pid: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);
