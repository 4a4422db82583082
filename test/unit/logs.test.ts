// Kept machine logs: which files go (retention, total cap), sizes as typed, the stored line
// format, docker's stamps, and the files themselves (rotation, newest lines across machines).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatByteSize, parseByteSize } from '../../src/core/byte-size.js';
import {
  decodeStoredLine,
  encodeStoredLine,
  formatLogRecord,
  type LogRecord,
} from '../../src/core/logs/log-record.js';
import { logFilesToDelete, type LogCaps } from '../../src/core/logs/log-retention.js';
import { splitTimestamp } from '../../src/drivers/docker/container-logs.js';
import { LogFiles } from '../../src/daemon/logs/log-files.js';

const DAY = 86_400_000;
const NOW = 100 * DAY;

test('logFilesToDelete: past retention first, then the oldest until under 90% of the total cap', () => {
  const caps: LogCaps = { maxMachineBytes: 100, maxTotalBytes: 1000, retentionMs: 7 * DAY };
  const cases: { name: string; files: [string, number, number][]; expected: string[] }[] = [
    {
      name: 'nothing to do',
      files: [
        ['a', 500, NOW],
        ['b', 400, NOW - DAY],
      ],
      expected: [],
    },
    {
      name: 'exactly at the cap stays',
      files: [
        ['a', 600, NOW],
        ['b', 400, NOW],
      ],
      expected: [],
    },
    {
      name: 'expired goes whatever the size',
      files: [
        ['a', 1, NOW - 8 * DAY],
        ['b', 1, NOW],
      ],
      expected: ['a'],
    },
    {
      name: 'over the cap: oldest first down to 900',
      files: [
        ['new', 500, NOW],
        ['old', 300, NOW - 3 * DAY],
        ['mid', 300, NOW - DAY],
      ],
      expected: ['old'],
    },
    {
      name: 'expired ones count as gone before the cap is judged',
      files: [
        ['x', 800, NOW - 9 * DAY],
        ['a', 600, NOW],
        ['b', 300, NOW - DAY],
      ],
      expected: ['x'],
    },
    { name: 'a lone file over the cap goes too', files: [['huge', 5000, NOW]], expected: ['huge'] },
  ];
  for (const c of cases) {
    const files = c.files.map(([path, bytes, mtimeMs]) => ({ path, bytes, mtimeMs }));
    assert.deepEqual(logFilesToDelete(files, caps, NOW), c.expected, c.name);
  }
});

test('parseByteSize and formatByteSize', () => {
  const cases: [string, number | undefined][] = [
    ['0', 0],
    ['4096', 4096],
    ['64k', 64 * 1024],
    ['512KiB', 512 * 1024],
    ['10MiB', 10 * 1024 ** 2],
    ['10 MB', 10 * 1024 ** 2],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['2T', 2 * 1024 ** 4],
    ['', undefined],
    ['ten', undefined],
    ['-1M', undefined],
    ['10 parsecs', undefined],
    ['9'.repeat(30), undefined],
  ];
  for (const [text, bytes] of cases) assert.equal(parseByteSize(text), bytes, text);
  assert.equal(formatByteSize(300), '300 B');
  assert.equal(formatByteSize(16 * 1024), '16 KiB');
  assert.equal(formatByteSize(1.5 * 1024 ** 3), '1.5 GiB');
});

test('a stored line reads back as the record it was, with its cursor; damaged lines are skipped', () => {
  const record: LogRecord = {
    time: '2025-01-02T03:04:05.678Z',
    machine: 'abc123',
    processGroup: 'web',
    release: 4,
    stream: 'stderr',
    line: 'weird "quotes" \\ and ünïcode',
  };
  const stored = encodeStoredLine(record, '4096');
  assert.ok(stored.endsWith('\n'));
  assert.deepEqual(decodeStoredLine('abc123', stored.trim()), { record, cursor: '4096' });
  assert.deepEqual(decodeStoredLine('abc123', encodeStoredLine(record).trim()), { record });
  for (const bad of ['', '{"t":"x"', 'null', '{"t":1,"r":1,"g":"a","l":"b"}', '[1,2]']) {
    assert.equal(decodeStoredLine('m', bad), undefined, bad);
  }
  assert.equal(
    formatLogRecord(record),
    '2025-01-02T03:04:05.678Z abc123 web v4: weird "quotes" \\ and ünïcode',
  );
  assert.equal(
    formatLogRecord({ ...record, stream: 'berth', line: 'machine abc123 (web) stopped' }),
    '2025-01-02T03:04:05.678Z abc123 web v4 [berth]: machine abc123 (web) stopped',
  );
});

test("splitTimestamp: the Engine's stamp becomes the line's time and a nanosecond cursor", () => {
  assert.deepEqual(splitTimestamp('2025-01-02T03:04:05.123456789Z hello world'), {
    text: 'hello world',
    time: '2025-01-02T03:04:05.123Z',
    nanos: BigInt(Date.parse('2025-01-02T03:04:05Z')) * 1_000_000n + 123_456_789n,
  });
  assert.equal(splitTimestamp('2025-01-02T03:04:05Z ').text, '');
  assert.equal(splitTimestamp('2025-01-02T03:04:05.5Z x').time, '2025-01-02T03:04:05.500Z');
  assert.deepEqual(splitTimestamp('no stamp here'), { text: 'no stamp here' });
});

test('LogFiles: rotates at half the machine cap, reads the newest lines across machines in time order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-logfiles-'));
  try {
    const files = new LogFiles(dir, { maxMachineBytes: 4096, maxTotalBytes: 1024 ** 3, retentionMs: DAY });
    const at = (n: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, 0, n)).toISOString();
    for (let n = 0; n < 200; n++) {
      const machine = n % 2 === 0 ? 'even' : 'odd';
      files.append(
        'app',
        {
          time: at(n),
          machine,
          processGroup: 'web',
          release: n < 150 ? 1 : 2,
          stream: 'stdout',
          line: `line ${n}`,
        },
        String(n),
      );
    }
    const names = readdirSync(join(dir, 'app')).sort();
    assert.deepEqual(names, ['even.log', 'even.log.1', 'odd.log', 'odd.log.1']);
    for (const name of names) assert.ok(statSync(join(dir, 'app', name)).size <= 2048, name);

    const newest = files.tail('app', 5);
    assert.deepEqual(
      newest.map((r) => r.line),
      ['line 195', 'line 196', 'line 197', 'line 198', 'line 199'],
    );
    assert.deepEqual(
      files.tail('app', 3, { machine: 'odd' }).map((r) => r.line),
      ['line 195', 'line 197', 'line 199'],
    );
    // Release 1's lines are older than what fits in the current files: read from the rotated ones.
    const v1 = files.tail('app', 1000, { release: 1 });
    assert.ok(v1.length > 0 && v1.every((r) => r.release === 1));
    assert.deepEqual(
      v1.slice(-2).map((r) => r.line),
      ['line 148', 'line 149'],
    );
    assert.equal(files.lastCursor('app', 'even'), '198');
    assert.equal(files.has('app', 'none'), false);
    assert.deepEqual(files.tail('other', 10), []);
    files.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
