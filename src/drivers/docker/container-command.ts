// The CMD a machine's container runs. fly runs a [processes] command as the image's CMD, split
// into words and kept behind the image's ENTRYPOINT (an entrypoint script that prepares the
// app and then execs "$@" still runs), with no shell in between; berth does the same. A
// command that needs a shell to mean anything ($PORT, &&, pipes, globs, redirections) runs
// under the image's /bin/sh -c instead, as the process driver runs every command, where fly
// would pass the characters through unexpanded. '' keeps the image's own CMD.

/** Characters that make a command shell syntax when they appear outside single quotes. */
const SHELL_SYNTAX = new Set([...'$`\\|&;<>()*?[]{}~#!']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** The container's Cmd for a machine command, or undefined to keep the image's CMD. */
export function containerCmd(command: string): string[] | undefined {
  if (command.trim() === '') return undefined;
  return commandWords(command) ?? ['/bin/sh', '-c', command];
}

/** The words of a command that a shell would run as they are, or undefined when it needs the shell. */
export function commandWords(command: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (const char of command) {
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '$' || char === '`' || char === '\\') return undefined;
      else word += char;
    } else if (char === ' ' || char === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= '';
    } else if (SHELL_SYNTAX.has(char) || char === '\n') {
      return undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (quote !== undefined) return undefined;
  if (word !== undefined) words.push(word);
  // "NAME=value cmd" sets a variable for the command: the shell's job.
  if (words.length === 0 || ASSIGNMENT.test(words[0]!)) return undefined;
  return words;
}
