// Crafts tar archives byte by byte, so tests can build entries that tar libraries refuse to
// write or quietly rewrite: "../evil", "/etc/passwd", links out of the tree, fifos, devices.

import { gzipSync } from 'node:zlib';

export interface TarEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'link' | 'fifo' | 'chardev';
  body?: string | Buffer;
  /** Target of a symlink (relative to its directory) or a hard link (relative to the root). */
  linkpath?: string;
  mode?: number;
}

const TYPEFLAG: Record<TarEntry['type'], string> = {
  file: '0',
  link: '1',
  symlink: '2',
  chardev: '3',
  dir: '5',
  fifo: '6',
};

/** A gzip-compressed tar of exactly these entries, in this order, with no sanitizing. */
export async function makeTarGz(entries: TarEntry[]): Promise<Buffer> {
  return gzipSync(makeTar(entries));
}

/** The same archive, uncompressed. */
export function makeTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.body === undefined ? Buffer.alloc(0) : Buffer.from(entry.body);
    const linkpath = entry.linkpath ?? '';
    // Names too long for the 100-byte fields travel in a PAX record, as real tars do.
    if (Buffer.byteLength(entry.path) > 100 || Buffer.byteLength(linkpath) > 100) {
      const records = paxRecord('path', entry.path) + (linkpath ? paxRecord('linkpath', linkpath) : '');
      const paxBody = Buffer.from(records);
      parts.push(rawHeader('PaxHeader', 'x', paxBody.length, '', 0o644), padded(paxBody));
    }
    const mode = entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644);
    parts.push(rawHeader(entry.path, TYPEFLAG[entry.type], body.length, linkpath, mode), padded(body));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

function rawHeader(name: string, typeflag: string, size: number, linkpath: string, mode: number): Buffer {
  const block = Buffer.alloc(512);
  block.write(name.slice(0, 100), 0, 100, 'utf8');
  octal(block, 100, 8, mode);
  octal(block, 108, 8, 0); // uid
  octal(block, 116, 8, 0); // gid
  octal(block, 124, 12, size);
  octal(block, 136, 12, 946684800); // mtime
  block.write(typeflag, 156, 1, 'ascii');
  block.write(linkpath.slice(0, 100), 157, 100, 'utf8');
  block.write('ustar\u0000', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  // The checksum is computed with its own field read as eight spaces.
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 8, 'ascii');
  return block;
}

function octal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(value.toString(8).padStart(width - 1, '0') + '\u0000', offset, width, 'ascii');
}

function padded(body: Buffer): Buffer {
  const rest = body.length % 512;
  return rest === 0 ? body : Buffer.concat([body, Buffer.alloc(512 - rest)]);
}

/** "<length> key=value\n", where the length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const tail = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(tail);
  while (String(length).length + Buffer.byteLength(tail) !== length) {
    length = String(length).length + Buffer.byteLength(tail);
  }
  return `${length}${tail}`;
}
