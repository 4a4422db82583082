// The Engine reports a build or a pull as a stream of JSON objects, one per line; a chunk may
// end inside one. Lines that are not JSON are passed on as plain output rather than dropped.
import { StringDecoder } from 'node:string_decoder';

export interface EngineMessage {
  stream?: string;
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: { ID?: string; Digest?: string };
  error?: string;
  errorDetail?: { message?: string };
}

export class EngineMessageLines {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  push(chunk: Buffer | string): EngineMessage[] {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.flatMap(parseLine);
  }

  end(): EngineMessage[] {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return parseLine(rest);
  }
}

function parseLine(line: string): EngineMessage[] {
  const trimmed = line.trim();
  if (trimmed === '') return [];
  try {
    const value: unknown = JSON.parse(trimmed);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return [value as EngineMessage];
  } catch {
    // Not JSON: fall through.
  }
  return [{ stream: `${trimmed}\n` }];
}
