// Newline-delimited JSON responses, for streams the CLI follows (progress, logs). Each stream
// names the schema of its lines, which the SDK's types come from; under BERTH_CHECK_RESPONSES=1
// a line that does not match it is logged and the stream broken off, so the test reading it fails.
import type { ServerResponse } from 'node:http';
import type { TSchema } from '@sinclair/typebox';
import { valueProblems } from './response-check.js';

const checking = process.env.BERTH_CHECK_RESPONSES === '1';

export function startNdjson(res: ServerResponse, line: TSchema): (value: unknown) => void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  res.flushHeaders();
  return (value) => {
    if (res.writableEnded) return;
    const problems = checking ? valueProblems(line, value) : [];
    if (problems.length > 0) {
      // The daemon's output is its log (test daemons write it to daemon.log).
      process.stderr.write(`a streamed line does not match its schema: ${problems.join('; ')}\n`);
      res.destroy();
      return;
    }
    res.write(JSON.stringify(value) + '\n');
  };
}
