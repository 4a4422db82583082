// Newline-delimited JSON responses, for streams the CLI follows (progress, logs).
import type { ServerResponse } from 'node:http';

export function startNdjson(res: ServerResponse): (value: unknown) => void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  res.flushHeaders();
  return (value) => {
    if (!res.writableEnded) res.write(JSON.stringify(value) + '\n');
  };
}
