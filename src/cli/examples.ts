// The "Examples:" block at the end of a command's --help: one or two command lines to copy.
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}`;
}
