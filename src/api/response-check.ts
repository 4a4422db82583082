// Checking each JSON answer against its route's response schema, so the schemas the SDK's
// types come from are proven true by every test that calls the API. On only when the daemon
// runs with BERTH_CHECK_RESPONSES=1 (the test suite's daemons do): it costs a serialization
// and a schema walk per answer.
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { BerthError } from '../core/errors.js';
import type { Route } from './router.js';

export type ResponseCheck = (route: Route, value: unknown) => void;

/** undefined unless the environment asks for the check. */
export function responseCheck(
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): ResponseCheck | undefined {
  if (env.BERTH_CHECK_RESPONSES !== '1') return undefined;
  return (route, value) => {
    const problems = responseProblems(route, value);
    if (problems.length === 0) return;
    const where = `${route.method} ${route.path}`;
    log(`response to ${where} does not match its schema: ${problems.join('; ')}`);
    throw new BerthError(
      'response_schema',
      `the response to ${where} does not match its schema: ${problems[0]}`,
      {
        details: { route: where, problems },
      },
    );
  };
}

/**
 * The first few ways `value`, as it goes over the wire, differs from the route's response schema:
 * a field missing or of the wrong type, or one the schema does not name.
 */
export function responseProblems(route: Route, value: unknown): string[] {
  if (!route.response) return [`${route.method} ${route.path} answers JSON but declares no response schema`];
  return valueProblems(route.response, value);
}

/** The first few ways `value`, as JSON would carry it, differs from `schema`. */
export function valueProblems(schema: TSchema, value: unknown): string[] {
  // What the client will parse: undefined fields dropped, dates as strings.
  const wire: unknown = JSON.parse(JSON.stringify(value));
  const problems: string[] = [];
  if (Value.Check(schema, wire)) {
    // Fields the schema does not name would be missing from the SDK's types, or leak something.
    const cleaned = Value.Clean(schema, Value.Clone(wire));
    for (const edit of Value.Diff(wire, cleaned)) {
      problems.push(`${edit.path}: not in the schema`);
      if (problems.length === 5) break;
    }
    return problems;
  }
  for (const e of Value.Errors(schema, wire)) {
    problems.push(`${e.path || '/'}: ${e.message} (got ${JSON.stringify(e.value)?.slice(0, 80)})`);
    if (problems.length === 5) break;
  }
  return problems;
}
