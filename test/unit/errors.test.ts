import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError, ERROR_CATALOG, toErrorBody } from '../../src/core/errors.js';

test('every catalogued error has a status, a fault and a hint', () => {
  for (const [code, kind] of Object.entries(ERROR_CATALOG)) {
    assert.ok(kind.status >= 400 && kind.status < 600, code);
    assert.ok(kind.hint.length > 10, code);
  }
});

test('user faults map to 4xx, platform faults to 5xx', () => {
  for (const [code, kind] of Object.entries(ERROR_CATALOG)) {
    assert.equal(kind.fault === 'user', kind.status < 500, code);
  }
});

test('toErrorBody carries code, message and hint', () => {
  const err = new BerthError('app_not_found', 'app "x" does not exist');
  assert.deepEqual(toErrorBody(err), {
    error: {
      code: 'app_not_found',
      message: 'app "x" does not exist',
      hint: ERROR_CATALOG.app_not_found.hint,
    },
  });
  assert.equal(err.status, 404);
});
