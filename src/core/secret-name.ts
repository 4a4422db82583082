// Secret names become environment variable names in every machine of the app, so they follow
// the shell's rules; a few are reserved because berth sets them itself and would override them.

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
/** Set by berth or its driver at every start: a secret of that name would never be seen. */
const RESERVED = new Set(['PORT', 'RELEASE_COMMAND']);
const RESERVED_PREFIX = 'BERTH_';

/** What to do instead of a reserved name, or undefined when the name is not reserved. */
export function reservedNameHint(name: string): string | undefined {
  if (name === 'PORT') {
    return 'berth sets PORT in every machine to the port the app must listen on, so a secret PORT would never be seen. Listen on $PORT; for a setting of your own pick another name, e.g. APP_PORT.';
  }
  if (name === 'RELEASE_COMMAND') {
    return 'berth sets RELEASE_COMMAND=1 while a release command runs; pick another name.';
  }
  if (name.startsWith(RESERVED_PREFIX)) {
    return `berth sets BERTH_* variables (BERTH_APP, BERTH_MACHINE_ID…) itself; pick a name without the ${RESERVED_PREFIX} prefix.`;
  }
  return undefined;
}

/** Largest value accepted, in bytes: environments are not for files. */
export const MAX_SECRET_VALUE_BYTES = 64 * 1024;

/** Why a name cannot be a secret's, or undefined when it can. */
export function secretNameProblem(name: string): string | undefined {
  if (name === '') return 'a secret name cannot be empty';
  if (!ENV_NAME.test(name)) {
    return `"${shown(name)}" is not a valid secret name: use letters, digits and underscores, not starting with a digit (at most 255)`;
  }
  if (RESERVED.has(name) || name.startsWith(RESERVED_PREFIX)) {
    return `"${name}" is reserved: berth sets ${name.startsWith(RESERVED_PREFIX) ? 'BERTH_* variables' : name} itself`;
  }
  return undefined;
}

/** Why a value cannot be stored, or undefined; never quotes the value. */
export function secretValueProblem(name: string, byteLength: number, hasNul: boolean): string | undefined {
  if (hasNul) return `the value of ${name} contains a NUL byte, which no environment variable can hold`;
  if (byteLength > MAX_SECRET_VALUE_BYTES) {
    return `the value of ${name} is ${byteLength} bytes; a secret holds at most ${MAX_SECRET_VALUE_BYTES}`;
  }
  return undefined;
}

/** Names may be typos of values pasted in the wrong place: show only a short prefix of odd ones. */
function shown(name: string): string {
  return name.length > 40 ? `${name.slice(0, 40)}…` : name;
}
