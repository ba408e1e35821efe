import { zlib } from '../../lazy-builtins.js';
import { sha256 } from '../../key/digest.js';
import type { ResultRecord } from '../meta.js';

/** Below this, compression costs more than it saves. */
const COMPRESS_MIN_BYTES = 4096;

/**
 * Compresses a serialised result when that saves at least a tenth of it.
 * `compress: false` stores it as is: for very large results the compressed
 * copy (and the decompressed one on load) would double the memory they need.
 */
export function encodeResult(
  raw: Buffer,
  options: { compress?: boolean } = {},
): { bytes: Buffer; record: ResultRecord } {
  let bytes = raw;
  let encoding: ResultRecord['encoding'] = 'v8';
  if (options.compress !== false && raw.length >= COMPRESS_MIN_BYTES) {
    const packed = zlib().gzipSync(raw, { level: 1 });
    if (packed.length < raw.length * 0.9) {
      bytes = packed;
      encoding = 'v8+gzip';
    }
  }
  const file = encoding === 'v8' ? 'result.v8' : 'result.v8.gz';
  return { bytes, record: { file, encoding, size: bytes.length, rawSize: raw.length, digest: sha256(bytes) } };
}

/** Checks stored result bytes against their record; returns the serialised value or a reason. */
export function decodeResult(bytes: Buffer, record: ResultRecord): Buffer | string {
  if (bytes.length !== record.size)
    return `result size ${bytes.length} differs from the recorded ${record.size} (truncated)`;
  if (sha256(bytes) !== record.digest) return 'result digest mismatch';
  try {
    return record.encoding === 'v8+gzip' ? zlib().gunzipSync(bytes) : bytes;
  } catch {
    return 'result cannot be decompressed';
  }
}
