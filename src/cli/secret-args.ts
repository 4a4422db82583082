// `berth secrets set NAME=VALUE…` arguments. A value of "-" is read from stdin, so it never
// sits in shell history or a process list. Errors never quote an argument: a mistyped one may
// be the secret itself.
import { BerthError } from '../core/errors.js';

export const STDIN_VALUE = '-';

export interface Assignments {
  values: Record<string, string>;
  /** The name whose value is to come from stdin, if any. */
  fromStdin: string | undefined;
}

export function parseAssignments(args: string[]): Assignments {
  // A Map: names like toString or __proto__ are names like any other.
  const values = new Map<string, string>();
  let fromStdin: string | undefined;
  args.forEach((arg, i) => {
    const equals = arg.indexOf('=');
    const position = `argument ${i + 1}`;
    if (equals < 0) {
      throw new BerthError('invalid_request', `${position} is not NAME=VALUE (it has no "=")`, {
        hint: 'Write NAME=VALUE, or NAME=- to read the value from stdin.',
      });
    }
    if (equals === 0) {
      throw new BerthError('invalid_request', `${position} has no name before "="`, {
        hint: 'Write NAME=VALUE, e.g. DATABASE_URL=postgres://…',
      });
    }
    const name = arg.slice(0, equals);
    if (values.has(name)) {
      throw new BerthError('invalid_request', `${name} is given more than once`, {
        hint: 'Name each secret once.',
      });
    }
    const value = arg.slice(equals + 1);
    if (value === STDIN_VALUE) {
      if (fromStdin !== undefined) {
        throw new BerthError(
          'invalid_request',
          `only one value can come from stdin, but ${fromStdin} and ${name} both ask`,
          {
            hint: 'Set the others in a second command.',
          },
        );
      }
      fromStdin = name;
    }
    values.set(name, value);
  });
  return { values: Object.fromEntries(values), fromStdin };
}

/** A piped value loses the one newline `echo` or a file adds; anything else is kept as is. */
export function valueFromStdin(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}
