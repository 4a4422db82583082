import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../../src/core/errors.js';
import { checkUploadedCertificate } from '../../src/daemon/tls/certificate-check.js';
import { LocalCa } from '../../src/daemon/tls/local-ca.js';

const DAY = 24 * 60 * 60 * 1000;

test('local CA: made on first need with a private key; leaves chain to it for serverAuth', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-ca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = new LocalCa(join(dir, 'ca'));
  assert.equal(ca.exists(), false);
  const leaf = await ca.issue(['shop.example.test']);
  assert.equal(ca.exists(), true);
  assert.equal(statSync(ca.keyPath).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'ca')).mode & 0o777, 0o700);

  const root = new X509Certificate(ca.certificatePem());
  const cert = new X509Certificate(leaf.certPem);
  assert.equal(root.ca, true);
  assert.equal(cert.ca, false);
  assert.ok(cert.checkIssued(root));
  assert.ok(cert.verify(root.publicKey));
  assert.equal(cert.checkHost('shop.example.test'), 'shop.example.test');
  assert.equal(cert.checkHost('other.example.test'), undefined);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']); // serverAuth
  assert.match(cert.subjectAltName ?? '', /DNS:shop\.example\.test/);
  const lifetime = Date.parse(cert.validTo) - Date.now();
  assert.ok(lifetime > 20 * DAY && lifetime < 40 * DAY, cert.validTo);

  // IP addresses go in as IP subjectAltNames, for clients that connect by address.
  const byIp = new X509Certificate(
    (await ca.issue(['web.localhost'], new Date(), ['127.0.0.1', '::1'])).certPem,
  );
  assert.equal(byIp.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(byIp.checkIP('::1'), '::1');
  assert.equal(byIp.checkIP('127.0.0.2'), undefined);

  // A second LocalCa over the same directory signs with the same root.
  const again = await new LocalCa(join(dir, 'ca')).issue(['b.example.test']);
  assert.ok(new X509Certificate(again.certPem).checkIssued(root));
});

test('uploaded certificates: key must match, host must be covered, dates must hold', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-ca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = new LocalCa(dir);
  const good = await ca.issue(['www.example.test', 'example.test']);
  const other = await ca.issue(['www.example.test']);
  const expired = await ca.issue(['www.example.test'], new Date(Date.now() - 60 * DAY));

  const cases: { name: string; host: string; cert: string; key: string; problem?: RegExp }[] = [
    { name: 'matching pair', host: 'www.example.test', cert: good.certPem, key: good.keyPem },
    { name: 'second SAN', host: 'example.test', cert: good.certPem, key: good.keyPem },
    {
      name: 'chain with the root after the leaf',
      host: 'example.test',
      cert: good.certPem + ca.certificatePem(),
      key: good.keyPem,
    },
    {
      name: 'key of another certificate',
      host: 'www.example.test',
      cert: good.certPem,
      key: other.keyPem,
      problem: /does not belong/,
    },
    {
      name: 'host not covered',
      host: 'api.example.test',
      cert: good.certPem,
      key: good.keyPem,
      problem: /does not cover api\.example\.test/,
    },
    {
      name: 'expired',
      host: 'www.example.test',
      cert: expired.certPem,
      key: expired.keyPem,
      problem: /expired/,
    },
    {
      name: 'no PEM certificate',
      host: 'www.example.test',
      cert: 'hello',
      key: good.keyPem,
      problem: /no PEM certificate/,
    },
    {
      name: 'key is not a key',
      host: 'www.example.test',
      cert: good.certPem,
      key: good.certPem,
      problem: /not a private key/,
    },
  ];
  for (const c of cases) {
    if (!c.problem) {
      const { chainPem, facts } = checkUploadedCertificate(c.host, c.cert, c.key);
      assert.ok(chainPem.startsWith('-----BEGIN CERTIFICATE-----'), c.name);
      assert.ok(facts.names.includes(c.host), c.name);
      continue;
    }
    assert.throws(
      () => checkUploadedCertificate(c.host, c.cert, c.key),
      (err: unknown) => {
        assert.ok(err instanceof BerthError, c.name);
        assert.equal(err.code, 'certificate_invalid', c.name);
        assert.equal(err.status, 400, c.name);
        assert.match(err.message, c.problem!, c.name);
        assert.ok(!err.message.includes('PRIVATE KEY') && !err.hint.includes(c.key.slice(40, 80)), c.name);
        return true;
      },
      c.name,
    );
  }
});
