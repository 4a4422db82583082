import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataKeyAad, newKey, open, seal, secretAad, UnsealError } from '../../src/secrets/cipher.js';
import { secretDigest, secretSetDigest } from '../../src/secrets/digest.js';

const key = newKey();
const otherKey = newKey();

const roundTrips: Array<[string, Buffer]> = [
  ['empty', Buffer.alloc(0)],
  ['ascii', Buffer.from('postgres://user:pw@db/app')],
  ['unicode', Buffer.from('päss wörd ✓ 🔑')],
  ['binary key', newKey()],
  ['64 KiB', Buffer.alloc(64 * 1024, 7)],
];
for (const [name, plaintext] of roundTrips) {
  test(`cipher: ${name} round-trips and is not stored in the clear`, () => {
    const sealed = seal(key, plaintext, secretAad('app', 'X'));
    assert.match(sealed, /^v1:[A-Za-z0-9+/]+=*$/);
    assert.deepEqual(open(key, sealed, secretAad('app', 'X')), plaintext);
    if (plaintext.length > 4) assert.ok(!Buffer.from(sealed).includes(plaintext));
  });
}

test('cipher: the same plaintext seals differently every time (random IV)', () => {
  const a = seal(key, Buffer.from('same'), 'aad');
  const b = seal(key, Buffer.from('same'), 'aad');
  assert.notEqual(a, b);
});

function flipByte(sealed: string, index: number): string {
  const raw = Buffer.from(sealed.slice(3), 'base64');
  raw[index] = raw[index]! ^ 0x01;
  return `v1:${raw.toString('base64')}`;
}

const sealed = seal(key, Buffer.from('the value'), secretAad('app', 'X'));
const failures: Array<[string, () => Buffer, RegExp]> = [
  ['a wrong key', () => open(otherKey, sealed, secretAad('app', 'X')), /authentication failed/],
  ['another app', () => open(key, sealed, secretAad('other', 'X')), /authentication failed/],
  ['another secret name', () => open(key, sealed, secretAad('app', 'Y')), /authentication failed/],
  ['a flipped IV byte', () => open(key, flipByte(sealed, 0), secretAad('app', 'X')), /authentication failed/],
  [
    'a flipped tag byte',
    () => open(key, flipByte(sealed, 13), secretAad('app', 'X')),
    /authentication failed/,
  ],
  [
    'a flipped ciphertext byte',
    () => open(key, flipByte(sealed, 30), secretAad('app', 'X')),
    /authentication failed/,
  ],
  ['a truncated value', () => open(key, 'v1:AAAA', secretAad('app', 'X')), /truncated/],
  ['an unknown format', () => open(key, sealed.replace('v1:', 'v9:'), secretAad('app', 'X')), /format/],
];
for (const [name, attempt, message] of failures) {
  test(`cipher: ${name} is detected, not decrypted into garbage`, () => {
    assert.throws(attempt, (err: unknown) => err instanceof UnsealError && message.test(err.message));
  });
}

test('cipher: a wrapped data key opens only with its master key and app', () => {
  const master = newKey();
  const dataKey = newKey();
  const wrapped = seal(master, dataKey, dataKeyAad('app'));
  assert.deepEqual(open(master, wrapped, dataKeyAad('app')), dataKey);
  assert.throws(() => open(otherKey, wrapped, dataKeyAad('app')), UnsealError);
  assert.throws(() => open(master, wrapped, dataKeyAad('app2')), UnsealError);
});

test('cipher: keys must be 32 bytes', () => {
  assert.throws(() => seal(Buffer.alloc(16), Buffer.from('x'), 'a'), /32 bytes, not 16/);
});

test('digest: keyed, short, and different per key, name and value', () => {
  const d = secretDigest(key, 'A', Buffer.from('v'));
  assert.match(d, /^[0-9a-f]{12}$/);
  assert.equal(secretDigest(key, 'A', Buffer.from('v')), d);
  assert.notEqual(secretDigest(otherKey, 'A', Buffer.from('v')), d);
  assert.notEqual(secretDigest(key, 'B', Buffer.from('v')), d);
  assert.notEqual(secretDigest(key, 'A', Buffer.from('w')), d);
});

test('set digest: null when empty, independent of order, changes with any member', () => {
  assert.equal(secretSetDigest(key, {}), null);
  const a = secretSetDigest(key, { A: '111', B: '222' });
  assert.match(a ?? '', /^[0-9a-f]{12}$/);
  assert.equal(secretSetDigest(key, { B: '222', A: '111' }), a);
  assert.notEqual(secretSetDigest(key, { A: '111', B: '223' }), a);
  assert.notEqual(secretSetDigest(key, { A: '111' }), a);
});
