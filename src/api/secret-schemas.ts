// Schemas of secrets: names and digests go out, values only ever come in. The SDK's types are
// derived from them.
import { Type } from '@sinclair/typebox';
import { MAX_SECRET_VALUE_BYTES } from '../core/secret-name.js';
import { Nullable, ReleaseSchema } from './schemas.js';

const LockWaitMs = Type.Integer({ minimum: 0, maximum: 3_600_000 });

export const SecretChangeSchema = Type.Object({
  set: Type.Array(Type.String()),
  unset: Type.Array(Type.String()),
});

export const SecretsChangeBody = Type.Object(
  {
    /** NAME → value. Values are at most 64 KiB of UTF-8 (checked in bytes by the vault). */
    set: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: MAX_SECRET_VALUE_BYTES }))),
    unset: Type.Optional(Type.Array(Type.String({ maxLength: 255 }), { maxItems: 1000 })),
    /** Store the change without deploying it; `secrets deploy` applies it later. */
    stage: Type.Optional(Type.Boolean()),
    lockWaitMs: Type.Optional(LockWaitMs),
  },
  { additionalProperties: false },
);

export const SecretsDeployBody = Type.Object(
  { lockWaitMs: Type.Optional(LockWaitMs) },
  { additionalProperties: false },
);

/** One secret as `secrets list` shows it: never its value. */
export const SecretSchema = Type.Object({
  name: Type.String(),
  /** HMAC digest of the current value; null when it exists only as a staged set. */
  digest: Nullable(Type.String()),
  updatedAt: Nullable(Type.String()),
  updatedBy: Nullable(Type.String()),
  pending: Nullable(
    Type.Object({
      action: Type.Union([Type.Literal('set'), Type.Literal('unset')]),
      digest: Nullable(Type.String()),
      stagedAt: Type.String(),
      stagedBy: Type.String(),
    }),
  ),
});

export const SecretsListResponse = Type.Object({
  app: Type.String(),
  /** Digest of the current secret set, as releases record it. */
  digest: Nullable(Type.String()),
  secrets: Type.Array(SecretSchema),
  pending: SecretChangeSchema,
});

export const SecretsChangeResponse = Type.Object({
  app: Type.String(),
  /** staged: kept for `secrets deploy`; stored: current, but the app has no release to deploy; deploying: a release is rolling out. */
  outcome: Type.Union([Type.Literal('staged'), Type.Literal('stored'), Type.Literal('deploying')]),
  change: SecretChangeSchema,
  pending: SecretChangeSchema,
  release: Nullable(ReleaseSchema),
  deploymentId: Nullable(Type.Integer()),
  url: Type.String(),
});
