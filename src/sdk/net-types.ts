// What the API returns for hostnames, certificates and dedicated addresses.

export interface CertificateInfo {
  hostname: string;
  app: string;
  /** "local-ca": issued by berth's own CA; "uploaded": given with --cert/--key. */
  source: 'local-ca' | 'uploaded';
  issuer: string;
  names: string[];
  notBefore: string;
  notAfter: string;
  fingerprint: string;
  createdAt: string;
  updatedAt: string;
}

export interface TlsInfo {
  /** The proxy's TLS listener; null when the daemon runs without --proxy-tls. */
  tlsUrl: string | null;
  /** Trust this file to trust certificates from berth's local CA. */
  caCertPath: string;
}

export interface IpInfo {
  address: string;
  port: number;
  url: string;
  app: string;
  /** HTTPS (certificate by SNI, else a local-CA one for the address) instead of HTTP. */
  tls: boolean;
  listening: boolean;
  createdAt: string;
  createdBy: string;
}
