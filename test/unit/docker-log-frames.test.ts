// The Engine's multiplexed log frames, cut anywhere, come back as whole lines in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogLineDecoder } from '../../src/drivers/docker/log-frames.js';

function frame(stream: 1 | 2 | 3, text: string | Buffer): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const bytes = Buffer.concat([
  frame(1, 'first\n'),
  frame(2, 'an error\r\n'),
  frame(1, 'half of a '),
  frame(2, 'err '),
  frame(1, 'line\nand two\n'),
  frame(2, 'done\n'),
  // The Engine's own error about the stream (type 3): not the machine's output.
  frame(3, 'Error grabbing logs: node x is not available\n'),
  // A line split inside a two-byte character.
  frame(1, Buffer.from('é\n').subarray(0, 1)),
  frame(1, Buffer.from('é\n').subarray(1)),
  frame(1, 'no newline at the end'),
]);

const want = [
  { stream: 'stdout', text: 'first' },
  { stream: 'stderr', text: 'an error' },
  { stream: 'stdout', text: 'half of a line' },
  { stream: 'stdout', text: 'and two' },
  { stream: 'stderr', text: 'err done' },
  { stream: 'stdout', text: 'é' },
  { stream: 'stdout', text: 'no newline at the end' },
];

for (const size of [1, 3, 7, 8, 9, 64, bytes.length]) {
  test(`frames delivered in chunks of ${size} bytes`, () => {
    const decoder = new LogLineDecoder();
    const lines = [];
    for (let at = 0; at < bytes.length; at += size)
      lines.push(...decoder.push(bytes.subarray(at, at + size)));
    lines.push(...decoder.end());
    assert.deepEqual(lines, want);
  });
}

test('an empty stream has no lines', () => {
  const decoder = new LogLineDecoder();
  assert.deepEqual([...decoder.push(Buffer.alloc(0)), ...decoder.end()], []);
});
