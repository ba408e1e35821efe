import { type Stats, closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface ReadWholeOptions {
  /**
   * The size the file should have: then no stat, one read of up to size + 1
   * bytes into a buffer with an ArrayBuffer of its own (not a slice of Node's
   * shared pool: typed arrays may be made views into it). At any other size
   * the file is read whole after all, so a check that follows names its real
   * size.
   */
  size?: number;
  /** Whether to read the file, told from its fstat (say, its owner); false gives null. */
  accept?: (st: Stats) => boolean;
}

export interface WholeFile {
  bytes: Buffer;
  /** The fstat of the open file the bytes were read through (so it describes those bytes); null when none was needed. */
  st: Stats | null;
}

/**
 * A whole file through one open file — open, fstat, read, close: what
 * readFileSync does, with the stat kept (or, with `size`, left out). null
 * when it cannot be opened or read, or `accept` refuses it.
 */
export function readWhole(
  file: string,
  options?: { accept?: ReadWholeOptions['accept'] },
): { bytes: Buffer; st: Stats } | null;
export function readWhole(file: string, options: ReadWholeOptions): WholeFile | null;
export function readWhole(file: string, options: ReadWholeOptions = {}): WholeFile | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const { size, accept } = options;
    if (size !== undefined) {
      const bytes = Buffer.allocUnsafeSlow(size + 1);
      // A short read of a regular file is its end; were it not, the whole read below sorts it out.
      const n = readSync(fd, bytes, 0, bytes.length, 0);
      if (n === size) return { bytes: bytes.subarray(0, size), st: null };
    }
    const st = fstatSync(fd);
    if (accept && !accept(st)) return null;
    const bytes = size === undefined ? Buffer.allocUnsafe(st.size) : Buffer.allocUnsafeSlow(st.size);
    let pos = 0;
    while (pos < bytes.length) {
      const n = readSync(fd, bytes, pos, bytes.length - pos, pos);
      if (n === 0) break;
      pos += n;
    }
    return { bytes: pos === bytes.length ? bytes : bytes.subarray(0, pos), st };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
