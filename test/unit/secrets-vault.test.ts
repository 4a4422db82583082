// The vault over a real SQLite store: staging, applying, listing, opening, and what it does
// with a master key that is wrong or gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../../src/core/errors.js';
import { MasterKey, masterKeyFile } from '../../src/secrets/master-key.js';
import { SecretVault } from '../../src/secrets/vault.js';
import { Store } from '../../src/store/store.js';

function withVault(fn: (vault: SecretVault, store: Store, home: string) => void): void {
  const home = mkdtempSync(join(tmpdir(), 'berth-vault-'));
  const store = new Store(join(home, 'berth.db'));
  try {
    store.apps.create('app', 'admin');
    store.apps.create('other', 'admin');
    fn(new SecretVault(store.secrets, MasterKey.locate(masterKeyFile(home), {})), store, home);
  } finally {
    store.close();
    rmSync(home, { recursive: true, force: true });
  }
}

const code = (expected: string, message?: RegExp) => (err: unknown) =>
  err instanceof BerthError && err.code === expected && (!message || message.test(err.message));

test('vault: a staged set is pending, not in the environment, until applied', () => {
  withVault((vault) => {
    vault.stage('app', { set: { A: 'alpha', B: 'beta' }, unset: [] }, 'admin');
    assert.deepEqual(vault.envFor('app'), {});
    assert.deepEqual(vault.pending('app'), { set: ['A', 'B'], unset: [] });
    assert.equal(vault.digest('app'), null);
    assert.deepEqual(vault.applyStaged('app'), { set: ['A', 'B'], unset: [] });
    assert.deepEqual(vault.envFor('app'), { A: 'alpha', B: 'beta' });
    assert.deepEqual(vault.pending('app'), { set: [], unset: [] });
    assert.equal(vault.applyStaged('app'), null);
    assert.match(vault.digest('app') ?? '', /^[0-9a-f]{12}$/);
  });
});

test('vault: unset removes on apply; a set replaces; list shows both sides of a pending change', () => {
  withVault((vault) => {
    vault.stage('app', { set: { A: 'alpha', B: 'beta' }, unset: [] }, 'admin');
    vault.applyStaged('app');
    const before = vault.digest('app');
    vault.stage('app', { set: { A: 'alpha2' }, unset: ['B'] }, 'ci');
    const list = vault.list('app');
    assert.deepEqual(
      list.map((s) => [s.name, s.pending?.action, s.pending?.stagedBy, s.digest !== null]),
      [
        ['A', 'set', 'ci', true],
        ['B', 'unset', 'ci', true],
      ],
    );
    assert.notEqual(list[0]!.pending!.digest, list[0]!.digest, 'the staged value has its own digest');
    vault.applyStaged('app');
    assert.deepEqual(vault.envFor('app'), { A: 'alpha2' });
    assert.notEqual(vault.digest('app'), before);
  });
});

test('vault: apps have their own data keys and digests', () => {
  withVault((vault) => {
    for (const app of ['app', 'other']) {
      vault.stage(app, { set: { SAME: 'value' }, unset: [] }, 'admin');
      vault.applyStaged(app);
    }
    const [a] = vault.list('app');
    const [b] = vault.list('other');
    assert.notEqual(a!.digest, b!.digest);
  });
});

test('vault: nothing is stored when any part of an edit is wrong', () => {
  withVault((vault) => {
    const refusals: Array<[Parameters<SecretVault['stage']>[1], (err: unknown) => boolean]> = [
      [{ set: { OK: '1', 'NOT OK': '2' }, unset: [] }, code('invalid_secret_name', /"NOT OK"/)],
      [{ set: { OK: 'a\0b' }, unset: [] }, code('invalid_request', /NUL byte/)],
      [{ set: { OK: 'x'.repeat(65_537) }, unset: [] }, code('invalid_request', /at most 65536/)],
      [{ set: { OK: '1' }, unset: ['OK'] }, code('invalid_request', /both set and unset/)],
      [{ set: {}, unset: [] }, code('invalid_request', /no secrets named/)],
      [{ set: { OK: '1' }, unset: ['MISSING'] }, code('secret_not_found', /no secret MISSING/)],
    ];
    for (const [edit, check] of refusals) assert.throws(() => vault.stage('app', edit, 'admin'), check);
    assert.deepEqual(vault.list('app'), []);
  });
});

test('vault: the database holds ciphertext only', () => {
  withVault((vault, store, home) => {
    const value = `v-${randomBytes(16).toString('hex')}`;
    vault.stage('app', { set: { TOKEN: value }, unset: [] }, 'admin');
    vault.applyStaged('app');
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    assert.ok(!readFileSync(join(home, 'berth.db')).includes(Buffer.from(value)));
    assert.equal(vault.envFor('app').TOKEN, value);
  });
});

test('vault: a different master key is told apart from a missing one, both clearly', () => {
  withVault((vault, store, home) => {
    vault.stage('app', { set: { TOKEN: 'x' }, unset: [] }, 'admin');
    vault.applyStaged('app');
    vault.verifyMasterKey();
    const wrong = new SecretVault(
      store.secrets,
      MasterKey.locate(masterKeyFile(home), { BERTH_MASTER_KEY: randomBytes(32).toString('base64') }),
    );
    assert.throws(
      () => wrong.verifyMasterKey(),
      code('secrets_unreadable', /BERTH_MASTER_KEY\) does not open the secrets of app "app"/),
    );
    assert.throws(() => wrong.envFor('app'), code('secrets_unreadable'));
    rmSync(masterKeyFile(home));
    const lost = new SecretVault(store.secrets, MasterKey.locate(masterKeyFile(home), {}));
    assert.throws(() => lost.verifyMasterKey(), code('secrets_unreadable', /there is no master key/));
  });
});

test('vault: a sealed value moved to another row does not open', () => {
  withVault((vault, store) => {
    vault.stage('app', { set: { A: 'alpha', B: 'beta' }, unset: [] }, 'admin');
    vault.applyStaged('app');
    store.db.exec(
      "UPDATE secrets SET sealed_value = (SELECT sealed_value FROM secrets WHERE name = 'A') WHERE name = 'B'",
    );
    assert.throws(
      () => vault.envFor('app'),
      code('secrets_unreadable', /secret B of app "app" does not decrypt/),
    );
  });
});

test('vault: destroying an app removes its secrets and its key; a new app of that name starts empty', () => {
  withVault((vault, store) => {
    vault.stage('app', { set: { A: 'alpha' }, unset: [] }, 'admin');
    vault.applyStaged('app');
    vault.stage('app', { set: { B: 'beta' }, unset: [] }, 'admin');
    store.apps.delete('app');
    assert.equal(store.secrets.wrappedKey('app'), undefined);
    store.apps.create('app', 'admin');
    assert.deepEqual(vault.list('app'), []);
    assert.deepEqual(vault.envFor('app'), {});
    assert.equal(vault.digest('app'), null);
  });
});
