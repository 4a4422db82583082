import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reservedNameHint, secretNameProblem, secretValueProblem } from '../../src/core/secret-name.js';
import { secretsReleaseDescription, summarizeChange } from '../../src/core/secret-change.js';
import { parseAssignments, valueFromStdin } from '../../src/cli/secret-args.js';

const names: Array<[string, RegExp | undefined]> = [
  ['DATABASE_URL', undefined],
  ['_private', undefined],
  ['a1', undefined],
  ['X'.repeat(255), undefined],
  ['X'.repeat(256), /not a valid secret name/],
  ['', /cannot be empty/],
  ['1ST', /not a valid secret name/],
  ['MY-KEY', /not a valid secret name/],
  ['WITH SPACE', /not a valid secret name/],
  ['A=B', /not a valid secret name/],
  ['PORT', /"PORT" is reserved/],
  ['RELEASE_COMMAND', /reserved/],
  ['BERTH_TOKEN', /BERTH_\* variables/],
];
for (const [name, problem] of names) {
  test(`secret name "${name.slice(0, 20)}" is ${problem ? 'refused' : 'accepted'}`, () => {
    const found = secretNameProblem(name);
    if (problem) assert.match(found ?? '', problem);
    else assert.equal(found, undefined);
  });
}

const reserved: Array<[string, RegExp | undefined]> = [
  ['PORT', /port the app must listen on.*APP_PORT/],
  ['RELEASE_COMMAND', /while a release command runs/],
  ['BERTH_TOKEN', /without the BERTH_ prefix/],
  ['DATABASE_URL', undefined],
  ['port', undefined],
];
for (const [name, hint] of reserved) {
  test(`reserved name hint for ${name}`, () => {
    const found = reservedNameHint(name);
    if (hint) assert.match(found ?? '', hint);
    else assert.equal(found, undefined);
  });
}

test('secret values: NUL bytes and oversize values are refused without quoting them', () => {
  assert.equal(secretValueProblem('A', 10, false), undefined);
  assert.match(secretValueProblem('A', 10, true) ?? '', /value of A contains a NUL byte/);
  assert.match(secretValueProblem('A', 70_000, false) ?? '', /70000 bytes; a secret holds at most 65536/);
});

const summaries: Array<[{ set: string[]; unset: string[] }, string]> = [
  [{ set: ['B', 'A'], unset: [] }, 'set A, B'],
  [{ set: [], unset: ['A'] }, 'unset A'],
  [{ set: ['A'], unset: ['C'] }, 'set A; unset C'],
  [{ set: 'ABCDEFGHIJ'.split(''), unset: [] }, 'set A, B, C, D, E, F, G, H and 2 more'],
];
for (const [change, text] of summaries) {
  test(`secret change summary: ${text}`, () => {
    assert.equal(summarizeChange(change), text);
    assert.equal(secretsReleaseDescription(change), `secrets: ${text}`);
  });
}

const args: Array<[string[], Record<string, string> | RegExp, string | undefined]> = [
  [['A=1', 'B=two=2'], { A: '1', B: 'two=2' }, undefined],
  [['EMPTY='], { EMPTY: '' }, undefined],
  [['toString=1', 'constructor=2'], { toString: '1', constructor: '2' }, undefined],
  [['A=-'], { A: '-' }, 'A'],
  [['sk_live_123'], /argument 1 is not NAME=VALUE/, undefined],
  [['A=1', '=x'], /argument 2 has no name/, undefined],
  [['A=1', 'A=2'], /A is given more than once/, undefined],
  [['A=-', 'B=-'], /only one value can come from stdin/, undefined],
];
for (const [input, expected, stdin] of args) {
  test(`secrets set arguments ${JSON.stringify(input)}`, () => {
    if (expected instanceof RegExp) {
      assert.throws(
        () => parseAssignments(input),
        (err: Error) =>
          expected.test(err.message) && !input.some((a) => a.length > 3 && err.message.includes(a)),
      );
      return;
    }
    const parsed = parseAssignments(input);
    assert.deepEqual(parsed.values, expected);
    assert.equal(parsed.fromStdin, stdin);
  });
}

const stdinValues: Array<[string, string]> = [
  ['value\n', 'value'],
  ['value\r\n', 'value'],
  ['value', 'value'],
  ['two\nlines\n', 'two\nlines'],
  ['keeps one\n\n', 'keeps one\n'],
];
for (const [text, value] of stdinValues) {
  test(`a value from stdin ${JSON.stringify(text)} becomes ${JSON.stringify(value)}`, () => {
    assert.equal(valueFromStdin(text), value);
  });
}
