import { closeSync, openSync, readSync } from 'node:fs';
import { newHash } from '../../key/digest.js';
import { type EntryMeta, formatMetaAround, manifestHeading } from '../meta.js';
import { metaDigestLine } from '../meta-digest.js';
import { fsyncFd } from './fsync.js';
import { writeAll } from './line-writer.js';
import type { SealedOutputs } from './seal.js';

const COPY_BYTES = 64 << 10;

/**
 * Writes meta.yaml from the entry's fields and its sealed manifest file, and
 * flushes it: byte for byte sealMeta(formatMeta(meta)) with those outputs,
 * but the manifest is copied through one buffer and digested on the way
 * instead of being built as one string with the rest (issue 14).
 */
export function writeMetaFile(file: string, meta: Omit<EntryMeta, 'outputs'>, sealed: SealedOutputs): void {
  const { head, tail } = formatMetaAround(meta);
  const hash = newHash();
  const fd = openSync(file, 'w');
  try {
    const put = (text: string) => {
      const bytes = Buffer.from(text);
      hash.update(bytes);
      writeAll(fd, bytes);
    };
    put(head);
    put(manifestHeading(sealed.count));
    if (sealed.count > 0) copyInto(fd, sealed.manifest, hash);
    put(tail);
    writeAll(fd, Buffer.from(metaDigestLine(hash.digest())));
    fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** Appends the file at `source` to `fd`, feeding its bytes to `hash`. */
function copyInto(fd: number, source: string, hash: { update(bytes: Uint8Array): void }): void {
  const buffer = Buffer.allocUnsafe(COPY_BYTES);
  const from = openSync(source, 'r');
  try {
    for (let n = readSync(from, buffer, 0, COPY_BYTES, null); n > 0; n = readSync(from, buffer, 0, COPY_BYTES, null)) {
      hash.update(n === COPY_BYTES ? buffer : buffer.subarray(0, n));
      writeAll(fd, buffer, n);
    }
  } finally {
    closeSync(from);
  }
}
