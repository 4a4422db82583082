// Reading and checking a certificate a user brings (`berth certs add HOST --cert --key`):
// node's own X509 parser, so what is checked here is what the TLS listener will serve.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { BerthError } from '../../core/errors.js';

export interface CertificateFacts {
  issuer: string;
  subject: string;
  /** DNS names from subjectAltName (or the subject CN when there is no SAN). */
  names: string[];
  notBefore: string;
  notAfter: string;
  fingerprint: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificates in `text`, leaf first. */
export function certificateBlocks(text: string): string[] {
  return text.match(PEM_BLOCK) ?? [];
}

export function certificateFacts(certPem: string): CertificateFacts {
  const x509 = new X509Certificate(certPem);
  return factsOf(x509);
}

function factsOf(x509: X509Certificate): CertificateFacts {
  const names = (x509.subjectAltName ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4));
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x509.subject)?.[1];
  return {
    issuer: x509.issuer.replace(/\n/g, ', '),
    subject: x509.subject.replace(/\n/g, ', '),
    names: names.length > 0 ? names : cn ? [cn] : [],
    notBefore: new Date(x509.validFrom).toISOString(),
    notAfter: new Date(x509.validTo).toISOString(),
    fingerprint: x509.fingerprint256,
  };
}

/**
 * Checks a user's certificate and key for `host`: both parse, the key belongs to the leaf,
 * the leaf covers the host and is valid now. Returns the chain to serve and the leaf's facts.
 * Errors never quote the key.
 */
export function checkUploadedCertificate(
  host: string,
  certText: string,
  keyText: string,
  now = new Date(),
): { chainPem: string; facts: CertificateFacts } {
  const blocks = certificateBlocks(certText);
  if (blocks.length === 0) {
    throw new BerthError('certificate_invalid', 'the --cert file holds no PEM certificate', {
      hint: 'Pass the certificate (chain) in PEM form: it starts with "-----BEGIN CERTIFICATE-----".',
    });
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(blocks[0]!);
  } catch (err) {
    throw new BerthError(
      'certificate_invalid',
      `the --cert file's first certificate does not parse (${(err as Error).message})`,
      {
        hint: 'Pass the server certificate first, then any intermediates, in PEM form.',
      },
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyText);
  } catch {
    throw new BerthError('certificate_invalid', 'the --key file is not a private key berth can read', {
      hint: 'Pass the unencrypted private key in PEM form ("-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA/EC PRIVATE KEY-----").',
    });
  }
  const facts = factsOf(leaf);
  if (!leaf.checkPrivateKey(key)) {
    throw new BerthError(
      'certificate_invalid',
      `the private key does not belong to the certificate for ${facts.names.join(', ') || facts.subject}`,
      {
        hint: 'Pass the key that was generated with this certificate; `openssl x509 -noout -pubkey -in CERT` and `openssl pkey -pubout -in KEY` must print the same key.',
      },
    );
  }
  if (leaf.checkHost(host) === undefined) {
    throw new BerthError(
      'certificate_invalid',
      `the certificate does not cover ${host}; it is for ${facts.names.join(', ') || facts.subject}`,
      {
        hint: `Use a certificate whose subjectAltName includes ${host} (or a wildcard over it), or leave out --cert/--key to have berth's local CA issue one.`,
      },
    );
  }
  if (Date.parse(facts.notAfter) <= now.getTime()) {
    throw new BerthError('certificate_invalid', `the certificate for ${host} expired at ${facts.notAfter}`, {
      hint: 'Renew it with its issuer and add it again.',
    });
  }
  if (Date.parse(facts.notBefore) > now.getTime()) {
    throw new BerthError(
      'certificate_invalid',
      `the certificate for ${host} is not valid before ${facts.notBefore}`,
      {
        hint: 'Check the clock of the machine that issued it, or wait until it becomes valid.',
      },
    );
  }
  return { chainPem: blocks.join('\n') + '\n', facts };
}
