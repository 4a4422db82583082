// Session frames (src/core/session-frames.ts): what is sent is read back whole however the
// bytes are split, and every malformed frame is a coded invalid_frame error, never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BerthError } from '../../src/core/errors.js';
import {
  encodeFrame,
  encodeJsonFrame,
  exitCodeOf,
  FRAME_KINDS,
  FrameDecoder,
  MAX_FRAME_PAYLOAD,
  parseExitStatus,
  parseTerminalSize,
  type FrameKind,
} from '../../src/core/session-frames.js';
import { commandLine, shellQuote } from '../../src/core/shell-words.js';

const KINDS = Object.keys(FRAME_KINDS) as FrameKind[];

test('frames split at any byte are decoded whole and in order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ kind: fc.constantFrom(...KINDS), payload: fc.uint8Array({ maxLength: 64 }) }), {
        maxLength: 8,
      }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (frames, cuts) => {
        const bytes = Buffer.concat(frames.map((f) => encodeFrame(f.kind, f.payload)));
        const points = [...new Set(cuts.map((c) => (bytes.length ? c % bytes.length : 0)))].sort(
          (a, b) => a - b,
        );
        const decoder = new FrameDecoder();
        const got = [];
        let from = 0;
        for (const at of [...points, bytes.length]) {
          got.push(...decoder.push(bytes.subarray(from, at)));
          from = at;
        }
        assert.equal(decoder.partial, false);
        assert.deepEqual(
          got.map((f) => ({ kind: f.kind, payload: Buffer.from(f.payload) })),
          frames.map((f) => ({ kind: f.kind, payload: Buffer.from(f.payload) })),
        );
      },
    ),
  );
});

const refusals: Array<{ name: string; bytes: number[] }> = [
  { name: 'an unknown kind', bytes: [42, 0, 0, 0, 0] },
  { name: 'a payload over the limit', bytes: [1, 0x00, 0x10, 0x00, 0x01] },
  { name: 'the largest length there is', bytes: [0, 0xff, 0xff, 0xff, 0xff] },
];
for (const { name, bytes } of refusals) {
  test(`${name} is refused as invalid_frame`, () => {
    assert.throws(
      () => new FrameDecoder().push(Uint8Array.from(bytes)),
      (err: unknown) => err instanceof BerthError && err.code === 'invalid_frame',
    );
  });
}

test('a frame of exactly the limit is taken, and a header alone waits for its payload', () => {
  const decoder = new FrameDecoder();
  const frame = encodeFrame('stdout', new Uint8Array(MAX_FRAME_PAYLOAD));
  assert.deepEqual(decoder.push(frame.subarray(0, 5)), []);
  assert.equal(decoder.partial, true);
  assert.equal(decoder.push(frame.subarray(5))[0]!.payload.length, MAX_FRAME_PAYLOAD);
});

const sizes: Array<{ payload: string; ok?: { cols: number; rows: number } }> = [
  { payload: '{"cols":80,"rows":24}', ok: { cols: 80, rows: 24 } },
  { payload: '{"cols":1000,"rows":1}', ok: { cols: 1000, rows: 1 } },
  { payload: '{"cols":0,"rows":24}' },
  { payload: '{"cols":80.5,"rows":24}' },
  { payload: '{"cols":"80","rows":24}' },
  { payload: '{"cols":80}' },
  { payload: 'null' },
  { payload: 'not json' },
];
for (const { payload, ok } of sizes) {
  test(`resize ${payload} is ${ok ? 'taken' : 'refused'}`, () => {
    const bytes = new TextEncoder().encode(payload);
    if (ok) assert.deepEqual(parseTerminalSize(bytes), ok);
    else
      assert.throws(
        () => parseTerminalSize(bytes),
        (e: unknown) => e instanceof BerthError && e.code === 'invalid_frame',
      );
  });
}

const exits: Array<{ status: { exitCode: number | null; signal: string | null }; code: number }> = [
  { status: { exitCode: 0, signal: null }, code: 0 },
  { status: { exitCode: 7, signal: null }, code: 7 },
  { status: { exitCode: null, signal: 'SIGTERM' }, code: 143 },
  { status: { exitCode: null, signal: 'SIGKILL' }, code: 137 },
  { status: { exitCode: null, signal: null }, code: 1 },
];
for (const { status, code } of exits) {
  test(`exit ${JSON.stringify(status)} leaves the CLI with ${code}`, () => {
    const read = parseExitStatus(encodeJsonFrame('exit', status).subarray(5));
    assert.deepEqual(read, status);
    assert.equal(exitCodeOf(read, { SIGTERM: 15, SIGKILL: 9 }), code);
  });
}

test('an exit frame that is not an exit is refused', () => {
  for (const bad of [
    '{"exitCode":300,"signal":null}',
    '{"exitCode":-1,"signal":null}',
    '{"exitCode":0,"signal":9}',
    '[]',
  ]) {
    assert.throws(
      () => parseExitStatus(new TextEncoder().encode(bad)),
      (e: unknown) => e instanceof BerthError && e.code === 'invalid_frame',
      bad,
    );
  }
});

const words: Array<{ word: string; quoted: string }> = [
  { word: 'node', quoted: 'node' },
  { word: 'scripts/migrate.js', quoted: 'scripts/migrate.js' },
  { word: 'two words', quoted: "'two words'" },
  { word: "it's", quoted: "'it'\\''s'" },
  { word: '$HOME', quoted: "'$HOME'" },
  { word: '', quoted: "''" },
  { word: 'a;b', quoted: "'a;b'" },
];
for (const { word, quoted } of words) {
  test(`shell quoting keeps ${JSON.stringify(word)} one argument`, () => {
    assert.equal(shellQuote(word), quoted);
  });
}

test('a command line joins the quoted arguments', () => {
  assert.equal(commandLine(['sh', '-c', 'echo $X && exit 3']), "sh -c 'echo $X && exit 3'");
});
