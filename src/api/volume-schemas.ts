// Schemas of volumes; the SDK's types are derived from them.
import { Type } from '@sinclair/typebox';
import { Nullable } from './schemas.js';

export const VolumeSchema = Type.Object({
  id: Type.String(),
  app: Type.String(),
  name: Type.String(),
  sizeBytes: Type.Integer(),
  /** The size for people, e.g. "1 GB". */
  size: Type.String(),
  /** Bytes its files take on disk now. */
  usedBytes: Type.Integer(),
  machineId: Nullable(Type.String()),
  attachedAt: Nullable(Type.String()),
  createdAt: Type.String(),
  /** The volume's directory on the daemon's host. */
  path: Type.String(),
  /** Whether the driver enforces sizeBytes (the process driver records it but does not). */
  quotaEnforced: Type.Boolean(),
  /** swarm: the node its data lives on (its machine is pinned there); null elsewhere or before placement. */
  node: Nullable(Type.Object({ id: Type.String(), name: Type.String(), address: Nullable(Type.String()) })),
});

export const CreateVolumeBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    size: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
);

export const DestroyedVolumeSchema = Type.Object({
  destroyed: Type.String(),
  /** With force: the machine that was drained and stopped because it held the volume. */
  stoppedMachine: Nullable(Type.Object({ id: Type.String(), destination: Nullable(Type.String()) })),
});
