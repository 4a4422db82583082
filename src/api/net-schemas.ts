// Schemas of hostnames, their certificates and dedicated addresses; the SDK's types are
// derived from them.
import { Type } from '@sinclair/typebox';
import { Nullable } from './schemas.js';

export const CertificateSchema = Type.Object({
  hostname: Type.String(),
  app: Type.String(),
  /** "local-ca": issued by berth's own CA; "uploaded": given with --cert/--key. */
  source: Type.Union([Type.Literal('local-ca'), Type.Literal('uploaded')]),
  issuer: Type.String(),
  names: Type.Array(Type.String()),
  notBefore: Type.String(),
  notAfter: Type.String(),
  fingerprint: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

/** Where the TLS listener and the local CA are, so users know what to trust and where to go. */
export const TlsSchema = Type.Object({
  /** The proxy's TLS listener; null when the daemon runs without --proxy-tls. */
  tlsUrl: Nullable(Type.String()),
  /** Trust this file to trust certificates from berth's local CA. */
  caCertPath: Type.String(),
});

export const CertificatesResponse = Type.Composite([
  TlsSchema,
  Type.Object({ certificates: Type.Array(CertificateSchema) }),
]);
export const CertificateResponse = Type.Composite([
  TlsSchema,
  Type.Object({ certificate: CertificateSchema }),
]);
export const CertificateRemovedResponse = Type.Object({ removed: CertificateSchema });

export const AddCertificateBody = Type.Object(
  {
    hostname: Type.String({ minLength: 1, maxLength: 300 }),
    cert: Type.Optional(Type.String({ minLength: 1, maxLength: 256 * 1024 })),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 64 * 1024 })),
  },
  { additionalProperties: false },
);

export const IpSchema = Type.Object({
  address: Type.String(),
  port: Type.Integer(),
  url: Type.String(),
  app: Type.String(),
  /** HTTPS (certificate by SNI, else a local-CA one for the address) instead of HTTP. */
  tls: Type.Boolean(),
  listening: Type.Boolean(),
  createdAt: Type.String(),
  createdBy: Type.String(),
});

export const IpReleasedResponse = Type.Object({ released: IpSchema });

export const AllocateIpBody = Type.Object(
  {
    address: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    tls: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
