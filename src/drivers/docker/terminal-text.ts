// Build and pull output as plain text. The Engine writes what a Dockerfile's RUN prints to
// stderr wrapped in colour codes (ESC[91m ... ESC[0m), and tools inside a build draw progress
// with escape sequences and carriage returns; none of that belongs in a deploy's output or in
// `releases show`, which are read in logs, JSON and browsers as well as in terminals.

// CSI (ESC [ ... final byte, or its one-byte form 0x9b), OSC (ESC ] ... BEL or ESC \), and the
// other two-byte escapes (ESC followed by one byte in @-_ or a charset designation).
const ESCAPES =
  // eslint-disable-next-line no-control-regex
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[()#][0-9A-Za-z]|\u001b[@-_]/g;
// What is left of the C0 controls and DEL, but tabs.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** The text a terminal would show of one line: escapes and controls removed; of a line redrawn with \r, its last drawing. */
export function plainLine(line: string): string {
  const drawings = line.replace(ESCAPES, '').split('\r');
  const shown = [...drawings].reverse().find((part) => part.trim() !== '') ?? '';
  return shown.replace(CONTROLS, '');
}

/** The legacy builder marks what a RUN step wrote to stderr by colouring it red. */
export function isStderrText(text: string): boolean {
  return text.startsWith('\u001b[91m');
}

/** plainLine() of each line of a text. */
export function plainText(text: string): string {
  return text.split('\n').map(plainLine).join('\n');
}
