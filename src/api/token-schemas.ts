// Schemas of the tokens API (`berth tokens`, `berth whoami`); the SDK's types are derived from them.
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './schemas.js';

const RoleSchema = Type.Union([
  Type.Literal('admin'),
  Type.Literal('deployer'),
  Type.Literal('viewer'),
  Type.Literal('metrics'),
]);

export const WhoamiSchema = Type.Object({
  name: Type.String(),
  role: RoleSchema,
  /** The apps the token is limited to; null for every app. */
  apps: Nullable(Type.Array(Type.String())),
  expiresAt: Nullable(Type.String()),
});
export type WhoamiInfo = Static<typeof WhoamiSchema>;

export const TokenSchema = Type.Object({
  name: Type.String(),
  role: RoleSchema,
  apps: Nullable(Type.Array(Type.String())),
  expiresAt: Nullable(Type.String()),
  expired: Type.Boolean(),
  createdAt: Type.String(),
  createdBy: Nullable(Type.String()),
  lastUsedAt: Nullable(Type.String({ description: 'to the minute: written at most once a minute' })),
});
export type TokenInfo = Static<typeof TokenSchema>;

export const TokensResponse = Type.Object({ tokens: Type.Array(TokenSchema) });

export const CreateTokenBody = Type.Object(
  {
    name: Type.String({ maxLength: 63 }),
    role: Type.Optional(
      Type.Union([Type.Literal('admin'), Type.Literal('deployer'), Type.Literal('viewer')]),
    ),
    /** Limits the token to these apps; absent or empty for every app. Not for admin tokens. */
    apps: Type.Optional(Type.Array(Type.String({ maxLength: 63 }), { maxItems: 100 })),
    /** Seconds from now until the token stops working; absent for never. */
    expiresInSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 10 * 365 * 86_400 })),
  },
  { additionalProperties: false },
);

/** The new token and, this once, its plaintext. */
export const CreatedTokenResponse = Type.Object({
  token: TokenSchema,
  secret: Type.String(),
});
export type CreatedTokenInfo = Static<typeof CreatedTokenResponse>;

export const RevokedTokenResponse = Type.Object({ revoked: TokenSchema });
