import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { crypto, v8 } from '../../lazy-builtins.js';
import type { ResultRecord } from '../meta.js';

/**
 * Large results, written and read as a stream. `v8.serialize` builds the whole
 * result as one more buffer, and reading it back needs the file's bytes and the
 * value at once. Large results are nearly always big typed arrays (point
 * clouds, images, matrices), so those are taken out of the value: a small v8
 * "skeleton" holds everything else with a placeholder per array, and the
 * arrays' bytes follow it in the file, written straight from their memory and
 * read straight into new arrays. Memory stays bounded by the result itself.
 *
 * File: "CXCHUNK1", u64 skeleton length, skeleton (v8), then each array's bytes.
 */
const MAGIC = Buffer.from('CXCHUNK1');
const PLACEHOLDER = '__cachexChunk';
/** Arrays smaller than this stay in the skeleton. */
const MIN_CHUNK_BYTES = 64 * 1024;

type View = ArrayBufferView;
interface ChunkInfo {
  type: string;
  length: number;
}

export interface ChunkedValue {
  skeleton: unknown;
  chunks: View[];
  /** Bytes of the arrays taken out of the value. */
  chunkBytes: number;
}

const TYPED: Record<string, new (length: number) => View> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

function typeOf(view: View): string | null {
  if (Buffer.isBuffer(view)) return 'Buffer';
  const name = view.constructor?.name;
  return name && name in TYPED ? name : null;
}

function isPlaceholder(value: unknown): value is Record<string, number> {
  return value !== null && typeof value === 'object' && PLACEHOLDER in value;
}

/** Bytes held by the large typed arrays in a value (each counted once), without copying anything. */
export function largeViewBytes(value: unknown): number {
  const seen = new Set<object>();
  let total = 0;
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      if (v.byteLength >= MIN_CHUNK_BYTES && typeOf(v)) total += v.byteLength;
      return;
    }
    if (v instanceof Map)
      for (const [k, item] of v) {
        visit(k);
        visit(item);
      }
    else if (v instanceof Set || Array.isArray(v)) for (const item of v) visit(item);
    else for (const item of Object.values(v)) visit(item);
  };
  visit(value);
  return total;
}

/**
 * Copies the value's structure (shared references and cycles preserved) with
 * every large typed array replaced by a placeholder. The arrays themselves are
 * not copied.
 */
export function splitLargeViews(value: unknown): ChunkedValue {
  const chunks: View[] = [];
  const seen = new Map<object, unknown>();
  let chunkBytes = 0;
  const visit = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return seen.get(v);
    if (ArrayBuffer.isView(v)) {
      if (v.byteLength < MIN_CHUNK_BYTES || !typeOf(v)) return v;
      const placeholder = { [PLACEHOLDER]: chunks.length };
      chunks.push(v);
      chunkBytes += v.byteLength;
      seen.set(v, placeholder);
      return placeholder;
    }
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      seen.set(v, out);
      for (const item of v) out.push(visit(item));
      return out;
    }
    if (v instanceof Map) {
      const out = new Map();
      seen.set(v, out);
      for (const [k, item] of v) out.set(visit(k), visit(item));
      return out;
    }
    if (v instanceof Set) {
      const out = new Set();
      seen.set(v, out);
      for (const item of v) out.add(visit(item));
      return out;
    }
    if (v instanceof Date || v instanceof RegExp || v instanceof ArrayBuffer || v instanceof Error) return v;
    const out: Record<string, unknown> = {};
    seen.set(v, out);
    for (const [k, item] of Object.entries(v)) out[k] = visit(item);
    return out;
  };
  return { skeleton: visit(value), chunks, chunkBytes };
}

/** Puts the arrays back where their placeholders are (in place: the skeleton is ours). */
function joinLargeViews(skeleton: unknown, arrays: View[]): unknown {
  const seen = new Set<object>();
  const swap = (v: unknown): unknown => (isPlaceholder(v) ? arrays[v[PLACEHOLDER]] : v);
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        v[i] = swap(item);
        visit(item);
      });
    } else if (v instanceof Map) {
      const entries = [...v];
      v.clear();
      for (const [k, item] of entries) {
        v.set(swap(k), swap(item));
        visit(k);
        visit(item);
      }
    } else if (v instanceof Set) {
      const items = [...v];
      v.clear();
      for (const item of items) {
        v.add(swap(item));
        visit(item);
      }
    } else {
      for (const [k, item] of Object.entries(v)) {
        (v as Record<string, unknown>)[k] = swap(item);
        visit(item);
      }
    }
  };
  if (isPlaceholder(skeleton)) return swap(skeleton);
  visit(skeleton);
  return skeleton;
}

function bytesOf(view: View): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Writes a split value to `file`, fsynced, and returns its record (digest over every byte written). */
export function writeChunked(file: string, value: ChunkedValue, name: string): ResultRecord {
  const table: ChunkInfo[] = value.chunks.map((v) => ({
    type: typeOf(v)!,
    length: Buffer.isBuffer(v) ? v.length : (v as unknown as { length: number }).length,
  }));
  const skeleton = v8().serialize({ table, root: value.skeleton });
  const header = Buffer.alloc(16);
  MAGIC.copy(header);
  header.writeBigUInt64LE(BigInt(skeleton.length), 8);
  const hash = crypto().createHash('sha256');
  let size = 0;
  const fd = openSync(file, 'w');
  try {
    for (const part of [header, skeleton, ...value.chunks.map(bytesOf)]) {
      for (let done = 0; done < part.length; ) done += writeSync(fd, part, done, part.length - done);
      hash.update(part);
      size += part.length;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { file: name, encoding: 'v8-chunked', size, rawSize: size, digest: hash.digest('hex') };
}

function readFully(fd: number, target: Uint8Array, position: number): boolean {
  for (let done = 0; done < target.length; ) {
    const n = readSync(fd, target, done, target.length - done, position + done);
    if (n === 0) return false;
    done += n;
  }
  return true;
}

/** Reads a chunked result back, checking its size and digest; a string says what is wrong. */
export function readChunked(file: string, record: ResultRecord): { value: unknown } | string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return 'result file is missing';
  }
  try {
    const size = fstatSync(fd).size;
    if (size !== record.size) return `result size ${size} differs from the recorded ${record.size} (truncated)`;
    const hash = crypto().createHash('sha256');
    const header = new Uint8Array(16);
    if (!readFully(fd, header, 0) || !Buffer.from(header.subarray(0, 8)).equals(MAGIC))
      return 'result header is damaged';
    hash.update(header);
    const skeletonLength = Number(Buffer.from(header).readBigUInt64LE(8));
    if (skeletonLength > size - 16) return 'result header is damaged';
    const skeletonBytes = Buffer.alloc(skeletonLength);
    if (!readFully(fd, skeletonBytes, 16)) return 'result is truncated';
    hash.update(skeletonBytes);
    let decoded: { table: ChunkInfo[]; root: unknown };
    try {
      decoded = v8().deserialize(skeletonBytes);
    } catch {
      return 'result skeleton cannot be read';
    }
    let position = 16 + skeletonLength;
    const arrays: View[] = [];
    for (const info of decoded.table ?? []) {
      const array =
        info.type === 'Buffer'
          ? Buffer.alloc(info.length)
          : TYPED[info.type]
            ? new TYPED[info.type](info.length)
            : null;
      if (!array || position + array.byteLength > size) return 'result chunk table is damaged';
      const bytes = bytesOf(array);
      if (!readFully(fd, bytes, position)) return 'result is truncated';
      hash.update(bytes);
      position += bytes.length;
      arrays.push(array);
    }
    if (position !== size || hash.digest('hex') !== record.digest) return 'result digest mismatch';
    return { value: joinLargeViews(decoded.root, arrays) };
  } finally {
    closeSync(fd);
  }
}
