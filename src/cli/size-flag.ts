// Flags that take a size ("10MiB", "512KiB", "1GiB", or bare bytes), checked against bounds.
import { formatByteSize, parseByteSize } from '../core/byte-size.js';
import { BerthError } from '../core/errors.js';

/** A commander argument parser for a size flag; returns bytes. */
export function sizeFlag(flag: string, min: number, max: number): (text: string) => number {
  return (text) => {
    const bytes = parseByteSize(text);
    if (bytes === undefined || bytes < min || bytes > max) {
      throw new BerthError(
        'invalid_request',
        `${flag} "${text}" is not a size between ${formatByteSize(min)} and ${formatByteSize(max)}`,
        { hint: `Use a size like 10MiB, 512KiB or 1GiB (a bare number means bytes).` },
      );
    }
    return bytes;
  };
}
