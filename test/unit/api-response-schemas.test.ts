// Every route that answers JSON declares the schema of its answer (the SDK's types come from
// those schemas, and the test suite's daemons check each answer against them), and the check
// itself catches what it must: a missing field, a wrong type, a field the schema does not name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { buildRouter } from '../../src/api/api.js';
import { responseCheck, responseProblems } from '../../src/api/response-check.js';
import { route, type Route } from '../../src/api/router.js';
import type { ApiServices } from '../../src/api/services.js';
import { isBerthError } from '../../src/core/errors.js';
import type { LogRecord } from '../../src/core/logs/log-record.js';
import type { LogLine } from '../../src/sdk/types.js';

// Route factories only keep the services for their handlers, which this test never calls.
const routes = buildRouter({ version: 'test', store: {} } as unknown as ApiServices).routes;

test('every route that answers JSON declares a response schema', () => {
  const missing = routes
    .filter((r) => !r.streams && !r.upgrade && !r.response)
    .map((r) => `${r.method} ${r.path}`);
  assert.deepEqual(missing, []);
  assert.ok(routes.length > 50, `only ${routes.length} routes found`);
});

const probe = route({
  method: 'GET',
  path: '/v1/probe',
  summary: 'probe',
  tag: 'test',
  access: 'read',
  response: Type.Object({
    name: Type.String(),
    count: Type.Integer(),
    at: Type.Union([Type.String(), Type.Null()]),
    config: Type.Unknown(),
  }),
  handler: () => undefined,
});

const cases: Array<{ name: string; value: unknown; problems: RegExp[] }> = [
  { name: 'a matching answer', value: { name: 'a', count: 1, at: null, config: { any: [1] } }, problems: [] },
  {
    name: 'a Date goes out as a string',
    value: { name: 'a', count: 1, at: new Date(0), config: null },
    problems: [],
  },
  {
    name: 'a missing field',
    value: { name: 'a', at: null, config: 1 },
    problems: [/^\/count: /],
  },
  {
    name: 'an undefined field is dropped on the wire, so missing',
    value: { name: 'a', count: 1, at: undefined, config: 1 },
    problems: [/^\/at: /],
  },
  {
    name: 'a wrong type',
    value: { name: 'a', count: 1.5, at: null, config: 1 },
    problems: [/^\/count: .*got 1\.5/],
  },
  {
    name: 'a field the schema does not name',
    value: { name: 'a', count: 1, at: null, config: 1, secretValue: 'x' },
    problems: [/^\/secretValue: not in the schema$/],
  },
];

for (const c of cases) {
  test(`response check: ${c.name}`, () => {
    const problems = responseProblems(probe, c.value);
    assert.equal(problems.length === 0, c.problems.length === 0, problems.join('; '));
    for (const p of c.problems)
      assert.ok(
        problems.some((line) => p.test(line)),
        problems.join('; '),
      );
  });
}

test('the check is off unless BERTH_CHECK_RESPONSES=1, and on refuses with 500 response_schema', () => {
  assert.equal(
    responseCheck({}, () => {}),
    undefined,
  );
  assert.equal(
    responseCheck({ BERTH_CHECK_RESPONSES: '0' }, () => {}),
    undefined,
  );
  const logged: string[] = [];
  const check = responseCheck({ BERTH_CHECK_RESPONSES: '1' }, (line) => logged.push(line))!;
  check(probe, { name: 'a', count: 1, at: null, config: 1 });
  assert.deepEqual(logged, []);
  assert.throws(
    () => check(probe, { name: 'a' }),
    (err) => isBerthError(err) && err.code === 'response_schema' && err.status === 500,
  );
  assert.match(logged[0]!, /GET \/v1\/probe .*\/count/);
});

test('a route answering JSON without a schema is itself a problem', () => {
  const bare: Route = { ...probe, response: undefined };
  assert.match(responseProblems(bare, {})[0]!, /declares no response schema/);
});

test("the SDK's log line type and the daemon's log record agree", () => {
  const record: LogRecord = {
    time: 't',
    machine: 'm',
    processGroup: 'app',
    release: 1,
    stream: 'berth',
    line: 'x',
  };
  const line: LogLine = record;
  const back: LogRecord = line;
  assert.deepEqual(back, record);
});
