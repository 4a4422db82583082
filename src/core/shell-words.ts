// `berth run -- CMD ARGS…` runs its arguments exactly as given, while a machine's command is a
// shell command line: each argument is quoted so that the shell hands it over unchanged.

/** One argument as the shell reads it back: bare when it is plainly safe, else single-quoted. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line that runs `args[0]` with the rest as its arguments. */
export function commandLine(args: readonly string[]): string {
  return args.map(shellQuote).join(' ');
}
