// Build output reaches deploys and `releases show` as plain text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStderrText, plainLine, plainText } from '../../src/drivers/docker/terminal-text.js';

test('escape sequences and controls are removed, the text kept', () => {
  const cases: { name: string; line: string; expect: string }[] = [
    { name: 'plain', line: 'Step 1/2 : FROM node:20-slim', expect: 'Step 1/2 : FROM node:20-slim' },
    {
      name: "the Engine's red stderr",
      line: '\u001b[91mnpm WARN deprecated\u001b[0m',
      expect: 'npm WARN deprecated',
    },
    {
      name: 'bold and 256 colours',
      line: '\u001b[1m\u001b[38;5;196mError\u001b[39;22m: x',
      expect: 'Error: x',
    },
    { name: 'cursor movement and line erase', line: '\u001b[2K\u001b[1Gdone', expect: 'done' },
    { name: 'one-byte CSI', line: '\u009b31mred\u009b0m', expect: 'red' },
    { name: 'OSC title ended by BEL', line: '\u001b]0;title\u0007text', expect: 'text' },
    {
      name: 'OSC hyperlink ended by ST',
      line: '\u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\',
      expect: 'link',
    },
    { name: 'charset designation', line: '\u001b(Bascii', expect: 'ascii' },
    {
      name: 'a progress line redrawn with \\r shows its last drawing',
      line: '10%\r50%\r100%',
      expect: '100%',
    },
    { name: 'a trailing \\r', line: 'Step 2/3\r', expect: 'Step 2/3' },
    { name: 'bell and backspace', line: 'a\u0007b\u0008c', expect: 'abc' },
    { name: 'tabs stay', line: 'a\tb', expect: 'a\tb' },
    { name: 'unicode stays', line: 'ça marche ✓', expect: 'ça marche ✓' },
    { name: 'only escapes', line: '\u001b[0m', expect: '' },
  ];
  for (const c of cases) assert.equal(plainLine(c.line), c.expect, c.name);
  assert.equal(plainText('\u001b[91mfirst\r\nsecond\u001b[0m\n'), 'first\nsecond\n');
});

test("what a RUN step wrote to stderr is told by the legacy builder's red", () => {
  assert.equal(isStderrText('\u001b[91mto stderr\n\u001b[0m'), true);
  assert.equal(isStderrText('to stdout\n'), false);
});
