// berth's own certificate authority, made on first need under <home>/ca/ (as Caddy's
// internal issuer does): a self-signed root whose key never leaves that directory (mode
// 0600), signing short-lived leaf certificates for the hostnames the proxy serves. Users who
// want browsers and curl to trust those certificates trust `<home>/ca/root.crt` once.
import { generateKeyPair, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateKeyPairAsync = promisify(generateKeyPair);

const DAY_MS = 24 * 60 * 60 * 1000;
/** The root outlives every leaf it signs by far; renewing it means every client trusts anew. */
const ROOT_VALIDITY_DAYS = 3650;
/** Leaves are short-lived (Caddy uses hours); berth renews them well before they run out. */
export const LEAF_VALIDITY_DAYS = 30;
/** Clock skew between the daemon and its clients should not make a new leaf "not yet valid". */
const BACKDATE_MS = 60 * 60 * 1000;

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

export class LocalCa {
  readonly certPath: string;
  readonly keyPath: string;
  private loaded: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } | undefined;

  constructor(readonly dir: string) {
    this.certPath = join(dir, 'root.crt');
    this.keyPath = join(dir, 'root.key');
  }

  /** Whether the CA exists on disk yet (it is made by the first certificate issued). */
  exists(): boolean {
    return existsSync(this.certPath) && existsSync(this.keyPath);
  }

  /**
   * Issues a leaf for `hosts` (the first is its common name) and IP addresses: serverAuth,
   * subjectAltNames, sha256.
   */
  async issue(
    hosts: readonly string[],
    now = new Date(),
    ips: readonly string[] = [],
  ): Promise<IssuedCertificate> {
    const ca = this.ensure();
    const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
    cert.serialNumber = serialNumber();
    cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
    cert.validity.notAfter = new Date(now.getTime() + LEAF_VALIDITY_DAYS * DAY_MS);
    cert.setSubject([{ name: 'commonName', value: hosts[0]! }]);
    cert.setIssuer(ca.cert.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...hosts.map((value) => ({ type: 2, value })), ...ips.map((ip) => ({ type: 7, ip }))],
      },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    cert.sign(ca.key, forge.md.sha256.create());
    return { certPem: forge.pki.certificateToPem(cert), keyPem: privateKey };
  }

  /** The CA certificate, PEM (made if it does not exist yet). */
  certificatePem(): string {
    this.ensure();
    return readFileSync(this.certPath, 'utf8');
  }

  private ensure(): { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } {
    if (this.loaded) return this.loaded;
    if (!this.exists()) this.create();
    const cert = forge.pki.certificateFromPem(readFileSync(this.certPath, 'utf8'));
    const key = forge.pki.privateKeyFromPem(readFileSync(this.keyPath, 'utf8')) as forge.pki.rsa.PrivateKey;
    this.loaded = { cert, key };
    return this.loaded;
  }

  private create(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const now = Date.now();
    const subject = [
      { name: 'commonName', value: `berth local CA ${randomBytes(4).toString('hex')}` },
      { name: 'organizationName', value: 'berth' },
    ];
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
    cert.serialNumber = serialNumber();
    cert.validity.notBefore = new Date(now - BACKDATE_MS);
    cert.validity.notAfter = new Date(now + ROOT_VALIDITY_DAYS * DAY_MS);
    cert.setSubject(subject);
    cert.setIssuer(subject);
    cert.setExtensions([
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
    // Key first: a root.crt without its key would look like a usable CA.
    writePrivateFile(this.keyPath, privateKey);
    writePrivateFile(this.certPath, forge.pki.certificateToPem(cert), 0o644);
  }
}

/** Writes a file whole (temp file, then rename) with `mode`; 0600 unless told otherwise. */
export function writePrivateFile(file: string, content: string, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode); // the umask may have narrowed it; it never widens a 0600
  renameSync(tmp, file);
}

/** 16 random bytes, positive as DER wants (high bit clear). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}
