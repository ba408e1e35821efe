/**
 * Writing PCD v0.7 files: `binary` (the default), `ascii` or `binary_compressed`, each field
 * in its own TYPE and SIZE (F 8 stays F 8). Packed colours are copied as integers; in ASCII
 * they are written as the unsigned integer with TYPE U, as PCL's ASCII writer does.
 */
import { writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { headerText } from './header.js';
import { lzfCompress } from './lzf.js';
import { isPackedColour, type PcdField, type PcdFormat, type PointCloud, wordView } from './types.js';

export interface WritePcdOptions {
  /** `binary` (default), `ascii` or `binary_compressed` */
  format?: PcdFormat;
}

const BIG_ENDIAN = endianness() === 'BE';

/** A field's values as little-endian bytes. */
function littleEndianBytes(f: PcdField): Uint8Array {
  const v = f.values;
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (!BIG_ENDIAN || f.size === 1) return bytes;
  const copy = Buffer.from(bytes);
  if (f.size === 2) copy.swap16();
  else if (f.size === 4) copy.swap32();
  else copy.swap64();
  return copy;
}

function checkCloud(cloud: PointCloud): void {
  if (cloud.width * cloud.height !== cloud.count) {
    throw new RangeError(`point cloud has ${cloud.count} points but WIDTH ${cloud.width} × HEIGHT ${cloud.height}`);
  }
  for (const f of cloud.fields) {
    if (f.values.length !== cloud.count * f.count) {
      throw new RangeError(
        `field "${f.name}" holds ${f.values.length} values, not ${cloud.count} points × COUNT ${f.count}`,
      );
    }
  }
}

/** The inverse of the reader's gather: each field's packed values into every record of `stride` bytes. */
function scatter(src: Uint8Array, out: Uint8Array, base: number, stride: number, n: number, bytes: number): void {
  const word =
    [4, 2].find((w) => src.byteOffset % w === 0 && base % w === 0 && stride % w === 0 && bytes % w === 0) ?? 1;
  const view = (a: Uint8Array) => wordView(a, word);
  const from = view(src);
  const to = view(out);
  const per = bytes / word;
  const step = stride / word;
  let o = base / word;
  let s = 0;
  if (per === 1) {
    for (let i = 0; i < n; i++, o += step) to[o] = from[s++]!;
  } else {
    for (let i = 0; i < n; i++, o += step) for (let j = 0; j < per; j++) to[o + j] = from[s++]!;
  }
}

function encodeBinary(cloud: PointCloud): Uint8Array {
  const stride = cloud.fields.reduce((sum, f) => sum + f.size * f.count, 0);
  const out = new Uint8Array(cloud.count * stride);
  let offset = 0;
  for (const f of cloud.fields) {
    scatter(littleEndianBytes(f), out, offset, stride, cloud.count, f.size * f.count);
    offset += f.size * f.count;
  }
  return out;
}

/** PCL's layout: sizes (u32 compressed, u32 uncompressed), then LZF of all x, all y, … */
function encodeCompressed(cloud: PointCloud): Uint8Array {
  const planes = Buffer.concat(cloud.fields.map(littleEndianBytes));
  const packed = lzfCompress(planes);
  const out = new Uint8Array(8 + packed.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, packed.length, true);
  dv.setUint32(4, planes.length, true);
  out.set(packed, 8);
  return out;
}

/** "1.500000" → "1.5", "2.000000" → "2", "1.200000e+21" → "1.2e+21". */
function trimZeros(t: string): string {
  const e = t.indexOf('e');
  const mantissa = e === -1 ? t : t.slice(0, e);
  if (mantissa.indexOf('.') === -1) return t;
  let end = mantissa.length;
  while (mantissa.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (mantissa.charCodeAt(end - 1) === 46 /* . */) end--;
  return mantissa.slice(0, end) + (e === -1 ? '' : t.slice(e));
}

function specialText(v: number): string | null {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return null;
}

/**
 * Short decimal text that reads back as the same float32 value: 7 significant digits
 * when they suffice (trailing zeros dropped, so 0.1 prints as "0.1"), else 8, else 9,
 * which always round-trips.
 */
export function float32Text(v: number): string {
  const f = Math.fround(v);
  const special = specialText(f);
  if (special !== null) return special;
  let t = f.toPrecision(7);
  if (Math.fround(+t) !== f) {
    t = f.toPrecision(8);
    if (Math.fround(+t) !== f) t = f.toPrecision(9);
  }
  return trimZeros(t);
}

/** The shortest text that reads back as the same double. */
export function float64Text(v: number): string {
  return specialText(v) ?? String(v);
}

function textOf(f: PcdField): (i: number) => string {
  const v = f.values;
  if (f.type === 'F' && !isPackedColour(f.name, f.size)) {
    const floats = v as Float32Array | Float64Array;
    const fmt = f.size === 4 ? float32Text : float64Text;
    return (i) => fmt(floats[i]!);
  }
  return (i) => String(v[i]);
}

function encodeAscii(cloud: PointCloud): Uint8Array {
  const columns = cloud.fields.map((f) => ({ text: textOf(f), count: f.count }));
  const chunks: Buffer[] = [];
  const CHUNK = 16384;
  for (let start = 0; start < cloud.count; start += CHUNK) {
    const end = Math.min(cloud.count, start + CHUNK);
    const lines: string[] = [];
    for (let i = start; i < end; i++) {
      const words: string[] = [];
      for (const c of columns) for (let k = 0; k < c.count; k++) words.push(c.text(i * c.count + k));
      lines.push(`${words.join(' ')}\n`);
    }
    chunks.push(Buffer.from(lines.join(''), 'latin1'));
  }
  return Buffer.concat(chunks);
}

/** Encode a cloud as PCD v0.7 bytes. */
export function encodePcd(cloud: PointCloud, options: WritePcdOptions = {}): Buffer {
  const format = options.format ?? 'binary';
  checkCloud(cloud);
  const fields = cloud.fields.map((f) => ({
    name: f.name,
    // PCL's ASCII writer prints a packed colour as an unsigned integer, so says TYPE U
    type: format === 'ascii' && isPackedColour(f.name, f.size) ? ('U' as const) : f.type,
    size: f.size,
    count: f.count,
  }));
  const header = Buffer.from(
    headerText({ fields, width: cloud.width, height: cloud.height, viewpoint: cloud.viewpoint, data: format }),
    'latin1',
  );
  const body =
    format === 'ascii' ? encodeAscii(cloud) : format === 'binary' ? encodeBinary(cloud) : encodeCompressed(cloud);
  return Buffer.concat([header, body]);
}

/** Write a PCD v0.7 file; `binary` unless `{ format }` says otherwise. */
export async function writePcd(path: string, cloud: PointCloud, options: WritePcdOptions = {}): Promise<void> {
  await writeFile(path, encodePcd(cloud, options));
}
