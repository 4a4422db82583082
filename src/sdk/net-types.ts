// Hostnames, certificates and dedicated addresses as the API returns them: derived from its schemas.
import type { Static } from '@sinclair/typebox';
import type { CertificateSchema, IpSchema, TlsSchema } from '../api/net-schemas.js';

export type CertificateInfo = Static<typeof CertificateSchema>;
export type TlsInfo = Static<typeof TlsSchema>;
export type IpInfo = Static<typeof IpSchema>;
