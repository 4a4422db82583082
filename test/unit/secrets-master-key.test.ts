import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BerthError } from '../../src/core/errors.js';
import { MasterKey, masterKeyFile, parseKeyText } from '../../src/secrets/master-key.js';

const bytes = randomBytes(32);
const texts: Array<[string, string, Buffer | undefined]> = [
  ['base64', bytes.toString('base64'), bytes],
  ['base64 with a newline', `${bytes.toString('base64')}\n`, bytes],
  ['base64url', bytes.toString('base64url'), bytes],
  ['hex', bytes.toString('hex'), bytes],
  ['upper-case hex', bytes.toString('hex').toUpperCase(), bytes],
  ['16 bytes of base64', randomBytes(16).toString('base64'), undefined],
  ['33 bytes of hex', randomBytes(33).toString('hex'), undefined],
  ['a passphrase', 'correct horse battery staple', undefined],
  ['empty', '', undefined],
];
for (const [name, text, expected] of texts) {
  test(`master key text: ${name} ${expected ? 'is' : 'is not'} a key`, () => {
    assert.deepEqual(parseKeyText(text), expected);
  });
}

function withHome(fn: (home: string) => void): void {
  const home = mkdtempSync(join(tmpdir(), 'berth-mk-'));
  try {
    fn(home);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

test('master key: created on first need, mode 0600, and read back the same', () => {
  withHome((home) => {
    const file = masterKeyFile(home);
    const first = MasterKey.locate(file, {});
    assert.equal(first.exists, false);
    assert.equal(existsSync(file), false, 'nothing is created before a secret needs it');
    const key = first.get();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(MasterKey.locate(file, {}).get(), key);
    assert.deepEqual(parseKeyText(readFileSync(file, 'utf8')), key);
  });
});

test('master key: BERTH_MASTER_KEY wins and creates no file', () => {
  withHome((home) => {
    const file = masterKeyFile(home);
    const key = MasterKey.locate(file, { BERTH_MASTER_KEY: bytes.toString('hex') });
    assert.deepEqual(key.get(), bytes);
    assert.equal(key.origin, 'BERTH_MASTER_KEY');
    assert.equal(existsSync(file), false);
  });
});

const refusals: Array<[string, (file: string) => NodeJS.ProcessEnv, RegExp, RegExp]> = [
  [
    'an invalid BERTH_MASTER_KEY',
    () => ({ BERTH_MASTER_KEY: 'hunter2' }),
    /BERTH_MASTER_KEY is not a 32-byte key/,
    /openssl rand/,
  ],
  [
    'a key file others can read',
    (file) => {
      writeFileSync(file, bytes.toString('base64'));
      chmodSync(file, 0o644);
      return {};
    },
    /readable by others \(mode 0644\)/,
    /chmod 600/,
  ],
  [
    'a key file that holds no key',
    (file) => {
      writeFileSync(file, 'nonsense', { mode: 0o600 });
      return {};
    },
    /does not hold a 32-byte key/,
    /Restore the file/,
  ],
];
for (const [name, arrange, message, hint] of refusals) {
  test(`master key: ${name} is refused with a clear message`, () => {
    withHome((home) => {
      const file = masterKeyFile(home);
      const env = arrange(file);
      assert.throws(
        () => MasterKey.locate(file, env),
        (err: unknown) =>
          err instanceof BerthError &&
          err.code === 'master_key_invalid' &&
          message.test(err.message) &&
          hint.test(err.hint),
      );
    });
  });
}

test('master key: a raw 32-byte file is accepted', () => {
  withHome((home) => {
    const file = masterKeyFile(home);
    writeFileSync(file, bytes, { mode: 0o600 });
    assert.deepEqual(MasterKey.locate(file, {}).get(), bytes);
  });
});
