// The Engine's log stream for a container without a TTY multiplexes stdout and stderr: each
// frame is an 8-byte header (stream type, three zero bytes, payload length as uint32 big
// endian) followed by the payload. Frames do not line up with lines or with the chunks a
// socket delivers, so both are reassembled here (a long line may even be split inside a
// UTF-8 character, hence a decoder per stream).
import { StringDecoder } from 'node:string_decoder';

export type LogStream = 'stdout' | 'stderr';

const HEADER_BYTES = 8;
const STREAMS: Record<number, LogStream> = { 1: 'stdout', 2: 'stderr' };
/** Frames of type 3 carry the Engine's errors about the stream itself (Docker's stdcopy.Systemerr). */
const SYSTEM_ERROR = 3;

/** Turns chunks of a multiplexed log stream into whole lines, in the order they were written. */
export class LogLineDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private readonly partial: Record<LogStream, string> = { stdout: '', stderr: '' };
  private readonly decoders: Record<LogStream, StringDecoder> = {
    stdout: new StringDecoder('utf8'),
    stderr: new StringDecoder('utf8'),
  };

  /** The lines completed by this chunk. */
  push(chunk: Buffer): { stream: LogStream; text: string }[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const lines: { stream: LogStream; text: string }[] = [];
    while (this.pending.length >= HEADER_BYTES) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_BYTES + size) break;
      const type = this.pending[0]!;
      if (type === SYSTEM_ERROR) {
        // The Engine's own word about the stream (a Swarm task's node is not available), not
        // the machine's output: never shown as if the machine had written it.
        this.pending = this.pending.subarray(HEADER_BYTES + size);
        continue;
      }
      // stdin (0) never carries output; anything else unknown is read as stdout.
      const stream = STREAMS[type] ?? 'stdout';
      const payload = this.decoders[stream].write(this.pending.subarray(HEADER_BYTES, HEADER_BYTES + size));
      this.pending = this.pending.subarray(HEADER_BYTES + size);
      const parts = (this.partial[stream] + payload).split('\n');
      this.partial[stream] = parts.pop() ?? '';
      for (const text of parts) lines.push({ stream, text: stripCarriageReturn(text) });
    }
    return lines;
  }

  /** What is left once the stream has ended: a last line written without its newline. */
  end(): { stream: LogStream; text: string }[] {
    const lines: { stream: LogStream; text: string }[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      this.partial[stream] += this.decoders[stream].end();
      if (this.partial[stream] !== '')
        lines.push({ stream, text: stripCarriageReturn(this.partial[stream]) });
      this.partial[stream] = '';
    }
    this.pending = Buffer.alloc(0);
    return lines;
  }
}

function stripCarriageReturn(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
