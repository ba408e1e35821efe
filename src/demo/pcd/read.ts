/**
 * Reading PCD v0.7 files in all three encodings PCL writes: `ascii`, `binary` and
 * `binary_compressed` (LZF; the data is stored field by field: all x, then all y …).
 * Every TYPE/SIZE/COUNT combination is kept in its own typed array, so values come back
 * bit for bit; nothing allocates an object per point.
 */
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { type HeaderField, type PcdHeader, parseHeader, pcdError, showLine } from './header.js';
import { PcdInputError } from './input-error.js';
import { LzfError, lzfDecompress } from './lzf.js';
import {
  arrayFor,
  isPackedColour,
  type FieldValues,
  type PcdField,
  type PointCloud,
  valuesFor,
  wordView,
} from './types.js';

const BIG_ENDIAN = endianness() === 'BE';

/** PCD data is little-endian; on a big-endian machine each value's bytes are swapped in place. */
function toHostOrder(bytes: Uint8Array, size: number): void {
  if (!BIG_ENDIAN || size === 1) return;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (size === 2) b.swap16();
  else if (size === 4) b.swap32();
  else b.swap64();
}

/**
 * Copies `bytes` bytes per point from records of `stride` bytes starting at `base` into a new
 * packed array, moving whole 4- or 2-byte words when the layout allows (integer copies keep
 * every bit pattern, NaN payloads included).
 */
function gather(src: Uint8Array, base: number, stride: number, n: number, bytes: number): Uint8Array {
  const out = new Uint8Array(n * bytes);
  const word = [4, 2].find((w) => (src.byteOffset + base) % w === 0 && stride % w === 0 && bytes % w === 0) ?? 1;
  const view = (a: Uint8Array) => wordView(a, word);
  const from = view(src);
  const to = view(out);
  const per = bytes / word;
  const step = stride / word;
  let s = base / word;
  let o = 0;
  if (per === 1) {
    for (let i = 0; i < n; i++, s += step) to[o++] = from[s]!;
  } else {
    for (let i = 0; i < n; i++, s += step) for (let j = 0; j < per; j++) to[o++] = from[s + j]!;
  }
  return out;
}

function fieldFromBytes(f: HeaderField, bytes: Uint8Array): PcdField {
  toHostOrder(bytes, f.size);
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  return {
    name: f.name,
    type: f.type,
    size: f.size,
    count: f.count,
    values: arrayFor(f.name, f.type, f.size, own.buffer as ArrayBuffer),
  };
}

function parseBinary(buf: Uint8Array, h: PcdHeader, file: string): PcdField[] {
  const n = h.points;
  const need = n * h.pointSize;
  const have = buf.length - h.dataStart;
  if (have < need) {
    throw pcdError(
      file,
      `binary data is truncated: ${n} points × ${h.pointSize} bytes = ${need} bytes expected, ${have} present`,
    );
  }
  // one aligned copy of the data, so most fields move as whole words
  const data = new Uint8Array(need);
  data.set(buf.subarray(h.dataStart, h.dataStart + need));
  return h.fields
    .filter((f) => f.name !== '_')
    .map((f) => fieldFromBytes(f, gather(data, f.offset, h.pointSize, n, f.size * f.count)));
}

function parseCompressed(buf: Uint8Array, h: PcdHeader, file: string): PcdField[] {
  const n = h.points;
  const fields = h.fields.filter((f) => f.name !== '_'); // PCL leaves padding out of compressed data
  const expected = n * fields.reduce((sum, f) => sum + f.size * f.count, 0);
  if (buf.length - h.dataStart < 8)
    throw pcdError(file, 'binary_compressed data is truncated: its 8-byte size header is missing');
  const dv = new DataView(buf.buffer, buf.byteOffset + h.dataStart, 8);
  const compressedSize = dv.getUint32(0, true);
  const uncompressedSize = dv.getUint32(4, true);
  if (uncompressedSize !== expected) {
    throw pcdError(
      file,
      `binary_compressed data unpacks to ${uncompressedSize} bytes but ${n} points of these fields need ${expected}`,
    );
  }
  const start = h.dataStart + 8;
  if (buf.length - start < compressedSize) {
    throw pcdError(
      file,
      `binary_compressed data is truncated: ${compressedSize} compressed bytes expected, ${buf.length - start} present`,
    );
  }
  let planes: Uint8Array;
  try {
    planes = lzfDecompress(buf.subarray(start, start + compressedSize), uncompressedSize);
  } catch (err) {
    if (err instanceof LzfError) throw pcdError(file, `binary_compressed data is damaged: ${err.message}`);
    throw err;
  }
  let offset = 0;
  return fields.map((f) => {
    const length = n * f.size * f.count;
    const bytes = planes.slice(offset, offset + length);
    offset += length;
    return fieldFromBytes(f, bytes);
  });
}

const NAN_RE = /^[+-]?nan$/i;
const INF_RE = /^([+-]?)inf(inity)?$/i;
const INTEGER_RE = /^[+-]?\d+$/;

const INT_RANGE: Record<string, [number, number]> = {
  I1: [-128, 127],
  I2: [-32768, 32767],
  I4: [-2147483648, 2147483647],
  U1: [0, 255],
  U2: [0, 65535],
  U4: [0, 4294967295],
};
const BIG_RANGE: Record<string, [bigint, bigint]> = {
  I8: [-(1n << 63n), (1n << 63n) - 1n],
  U8: [0n, (1n << 64n) - 1n],
};

/** Stores one ASCII token of a field; throws a message (without the file name) for a bad token. */
type Store = (text: string, index: number) => void;

function storeFor(f: HeaderField, values: FieldValues | null): Store {
  if (!values) return () => undefined; // padding
  const kind = `${f.type}${f.size}`;
  const float = (text: string): number => {
    const v = +text;
    if (!Number.isNaN(v) || NAN_RE.test(text)) return v;
    const inf = INF_RE.exec(text);
    if (inf) return inf[1] === '-' ? -Infinity : Infinity;
    throw new Error(`${showLine(text)} is not a number`);
  };
  const integer = (text: string, [lo, hi]: [number, number]): number => {
    const v = +text;
    if (!Number.isInteger(v))
      throw new Error(`${showLine(text)} is not an integer (field "${f.name}" is TYPE ${f.type})`);
    if (v < lo || v > hi) throw new Error(`${text} is out of range for field "${f.name}" (${kind}: ${lo} to ${hi})`);
    return v;
  };
  if (isPackedColour(f.name, f.size)) {
    const out = values as Uint32Array;
    if (f.type !== 'F') return (text, i) => void (out[i] = integer(text, INT_RANGE[kind]!) >>> 0);
    // a float-typed colour: its bits are those of the float the text names
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    return (text, i) => {
      f32[0] = float(text);
      out[i] = u32[0]!;
    };
  }
  if (f.type === 'F') {
    const out = values as Float32Array | Float64Array;
    return (text, i) => void (out[i] = float(text));
  }
  if (f.size === 8) {
    const out = values as BigInt64Array | BigUint64Array;
    const [lo, hi] = BIG_RANGE[kind]!;
    return (text, i) => {
      if (!INTEGER_RE.test(text))
        throw new Error(`${showLine(text)} is not an integer (field "${f.name}" is TYPE ${f.type})`);
      const v = BigInt(text);
      if (v < lo || v > hi) throw new Error(`${text} is out of range for field "${f.name}" (${kind})`);
      out[i] = v;
    };
  }
  const out = values as Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;
  const range = INT_RANGE[kind]!;
  return (text, i) => void (out[i] = integer(text, range));
}

function parseAscii(buf: Uint8Array, h: PcdHeader, file: string): PcdField[] {
  const n = h.points;
  const have = buf.length - h.dataStart;
  const valuesPerPoint = h.fields.reduce((sum, f) => sum + f.count, 0);
  // every value takes at least one character and one separator
  if (n > 0 && have < n * valuesPerPoint * 2 - 1) {
    throw pcdError(file, `POINTS says ${n} but the ASCII data is only ${have} bytes long (truncated?)`);
  }
  const fields: PcdField[] = [];
  const stores: Store[] = [];
  const strides: number[] = [];
  const components: number[] = [];
  for (const f of h.fields) {
    const values = f.name === '_' ? null : valuesFor(f.name, f.type, f.size, n * f.count);
    if (values) fields.push({ name: f.name, type: f.type, size: f.size, count: f.count, values });
    const store = storeFor(f, values);
    for (let k = 0; k < f.count; k++) {
      stores.push(store);
      strides.push(f.count);
      components.push(k);
    }
  }
  const ncols = stores.length;
  const text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = text.length;
  let pos = h.dataStart;
  let line = h.headerLines;
  let pt = 0;
  while (pt < n && pos < len) {
    line++;
    let col = 0;
    while (pos < len) {
      let c = text[pos]!;
      if (c === 10) {
        pos++;
        break;
      }
      if (c === 32 || c === 9 || c === 13) {
        pos++;
        continue;
      }
      const start = pos;
      do {
        pos++;
        c = text[pos]!;
      } while (pos < len && c !== 32 && c !== 9 && c !== 10 && c !== 13);
      if (col < ncols) {
        try {
          stores[col]!(text.toString('latin1', start, pos), pt * strides[col]! + components[col]!);
        } catch (err) {
          throw pcdError(file, `line ${line}: ${(err as Error).message}`);
        }
      }
      col++;
    }
    if (col === 0) continue; // blank line
    if (col !== ncols)
      throw pcdError(file, `line ${line} has ${col} values, expected ${ncols} (one per FIELDS × COUNT)`);
    pt++;
  }
  if (pt < n) throw pcdError(file, `POINTS says ${n} but the ASCII data has only ${pt} points (truncated?)`);
  return fields;
}

/**
 * Parse PCD bytes already in memory. `name` is used in error messages.
 * Throws an Error naming the file and the problem for malformed input.
 */
export function parsePcd(buf: Uint8Array, name = '<buffer>'): PointCloud {
  const h = parseHeader(buf, name);
  const fields =
    h.data === 'ascii'
      ? parseAscii(buf, h, name)
      : h.data === 'binary'
        ? parseBinary(buf, h, name)
        : parseCompressed(buf, h, name);
  return { count: h.points, width: h.width, height: h.height, viewpoint: h.viewpoint, fields };
}

/**
 * Read a PCD v0.7 file (`DATA ascii`, `binary` or `binary_compressed`). x, y and z are
 * required; every other field is kept. Malformed files are rejected with an Error naming
 * the file and the problem.
 */
export async function readPcd(path: string): Promise<PointCloud> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_FS_FILE_TOO_LARGE') {
      throw new PcdInputError(
        `Cannot read PCD file "${path}": it is larger than this Node.js can load at once (2 GiB)`,
      );
    }
    throw new PcdInputError(`Cannot read PCD file "${path}": ${e.code ?? e.message}`, { cause: err });
  }
  return parsePcd(buf, path);
}
