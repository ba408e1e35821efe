/** The text header of a PCD v0.7 file: parsing (with one-sentence errors) and writing. */
import { PcdInputError } from './input-error.js';
import { DEFAULT_VIEWPOINT, type PcdFormat, type PcdType } from './types.js';

export interface HeaderField {
  name: string;
  type: PcdType;
  size: number;
  count: number;
  /** byte offset of the field inside one binary point record */
  offset: number;
}

export interface PcdHeader {
  /** every field, padding (`_`) included, in file order */
  fields: HeaderField[];
  width: number;
  height: number;
  points: number;
  viewpoint: number[];
  data: PcdFormat;
  /** byte offset of the first data byte */
  dataStart: number;
  /** number of header lines (for line numbers in ASCII errors) */
  headerLines: number;
  /** bytes per point in binary data */
  pointSize: number;
}

const VALID_SIZES: Record<PcdType, readonly number[]> = {
  F: [4, 8],
  I: [1, 2, 4, 8],
  U: [1, 2, 4, 8],
};

export function pcdError(file: string, problem: string): Error {
  return new PcdInputError(`Invalid PCD file "${file}": ${problem}`);
}

/** Render an untrusted header line for an error message: printable and short. */
export function showLine(line: string): string {
  const clean = line.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(clean.length > 60 ? `${clean.slice(0, 60)}…` : clean);
}

function parseCount(file: string, keyword: string, token: string | undefined): number {
  if (token === undefined || !/^\d+$/.test(token)) {
    throw pcdError(
      file,
      `${keyword} must be a non-negative integer, got ${token === undefined ? 'nothing' : showLine(token)}`,
    );
  }
  const n = Number(token);
  if (!Number.isSafeInteger(n)) throw pcdError(file, `${keyword} ${token} is too large`);
  return n;
}

function parseViewpoint(file: string, args: string[]): number[] {
  const values = args.map(Number);
  if (values.length !== 7 || !values.every(Number.isFinite)) {
    throw pcdError(file, `VIEWPOINT needs 7 numbers (tx ty tz qw qx qy qz), got ${showLine(args.join(' '))}`);
  }
  return values;
}

interface RawHeader {
  names?: string[];
  sizes?: number[];
  types?: PcdType[];
  counts?: number[];
  width?: number;
  height?: number;
  points?: number;
  viewpoint?: number[];
}

export function parseHeader(buf: Uint8Array, file: string): PcdHeader {
  const raw: RawHeader = {};
  const text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  let lineNo = 0;
  while (pos < text.length) {
    let end = text.indexOf(10, pos);
    const next = end === -1 ? text.length : end + 1;
    if (end === -1) end = text.length;
    if (end - pos > 65536) {
      throw pcdError(file, `header line ${lineNo + 1} is longer than 64 KiB (is this a PCD file?)`);
    }
    const line = text.toString('latin1', pos, end).trim();
    pos = next;
    lineNo++;
    if (line === '' || line.startsWith('#')) continue;

    const tokens = line.split(/\s+/);
    const keyword = tokens[0]!.toUpperCase();
    const args = tokens.slice(1);
    switch (keyword) {
      case 'VERSION':
        break;
      case 'FIELDS':
        if (args.length === 0) throw pcdError(file, 'FIELDS lists no fields');
        raw.names = args;
        break;
      case 'SIZE':
        raw.sizes = args.map((t) => parseCount(file, 'SIZE', t));
        break;
      case 'TYPE':
        raw.types = args.map((t) => {
          const u = t.toUpperCase();
          if (u !== 'F' && u !== 'I' && u !== 'U') throw pcdError(file, `TYPE must be F, I or U, got ${showLine(t)}`);
          return u;
        });
        break;
      case 'COUNT':
        raw.counts = args.map((t) => parseCount(file, 'COUNT', t));
        break;
      case 'WIDTH':
        raw.width = parseCount(file, 'WIDTH', args[0]);
        break;
      case 'HEIGHT':
        raw.height = parseCount(file, 'HEIGHT', args[0]);
        break;
      case 'POINTS':
        raw.points = parseCount(file, 'POINTS', args[0]);
        break;
      case 'VIEWPOINT':
        raw.viewpoint = parseViewpoint(file, args);
        break;
      case 'DATA': {
        const format = (args[0] ?? '').toLowerCase();
        if (format !== 'ascii' && format !== 'binary' && format !== 'binary_compressed') {
          throw pcdError(file, `DATA must be ascii, binary or binary_compressed, got ${showLine(args[0] ?? '')}`);
        }
        return finishHeader(file, raw, format, pos, lineNo);
      }
      default:
        throw pcdError(file, `unexpected header line ${lineNo}: ${showLine(line)} (is this a PCD file?)`);
    }
  }
  throw pcdError(file, 'header has no DATA line (file empty or truncated?)');
}

function finishHeader(file: string, h: RawHeader, data: PcdFormat, dataStart: number, headerLines: number): PcdHeader {
  if (!h.names) throw pcdError(file, 'header has no FIELDS line');
  if (!h.sizes) throw pcdError(file, 'header has no SIZE line');
  if (!h.types) throw pcdError(file, 'header has no TYPE line');
  const n = h.names.length;
  const counts = h.counts ?? new Array<number>(n).fill(1);
  for (const [kw, list] of [
    ['SIZE', h.sizes],
    ['TYPE', h.types],
    ['COUNT', counts],
  ] as const) {
    if (list.length !== n) throw pcdError(file, `FIELDS has ${n} entries but ${kw} has ${list.length}`);
  }
  if (h.width === undefined) throw pcdError(file, 'header has no WIDTH line');
  const height = h.height ?? 1;
  const points = h.points ?? h.width * height;
  if (points !== h.width * height) {
    throw pcdError(file, `WIDTH ${h.width} × HEIGHT ${height} is ${h.width * height} points but POINTS says ${points}`);
  }

  const fields: HeaderField[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const name = h.names[i]!;
    const size = h.sizes[i]!;
    const type = h.types[i]!;
    const count = counts[i]!;
    if (!VALID_SIZES[type].includes(size)) {
      throw pcdError(file, `field "${name}" has TYPE ${type} with SIZE ${size}, which is not a valid combination`);
    }
    if (count < 1) throw pcdError(file, `field "${name}" has COUNT ${count}; it must be at least 1`);
    if (name !== '_') {
      if (seen.has(name)) throw pcdError(file, `field "${name}" appears twice in FIELDS`);
      seen.add(name);
    }
    fields.push({ name, size, type, count, offset });
    offset += size * count;
  }
  for (const axis of ['x', 'y', 'z']) {
    const f = fields.find((fl) => fl.name === axis);
    if (!f) throw pcdError(file, `FIELDS has no "${axis}" field (found: ${h.names.join(' ')})`);
    if (f.count !== 1) throw pcdError(file, `field "${axis}" has COUNT ${f.count}; it must be 1`);
  }
  return {
    fields,
    width: h.width,
    height,
    points,
    viewpoint: h.viewpoint ?? [...DEFAULT_VIEWPOINT],
    data,
    dataStart,
    headerLines,
    pointSize: offset,
  };
}

export interface HeaderOut {
  fields: readonly { name: string; type: PcdType; size: number; count: number }[];
  width: number;
  height: number;
  viewpoint: readonly number[];
  data: PcdFormat;
}

/** The header text, ending with the DATA line and its newline. */
export function headerText(h: HeaderOut): string {
  return [
    '# .PCD v0.7 - Point Cloud Data file format',
    'VERSION 0.7',
    `FIELDS ${h.fields.map((f) => f.name).join(' ')}`,
    `SIZE ${h.fields.map((f) => f.size).join(' ')}`,
    `TYPE ${h.fields.map((f) => f.type).join(' ')}`,
    `COUNT ${h.fields.map((f) => f.count).join(' ')}`,
    `WIDTH ${h.width}`,
    `HEIGHT ${h.height}`,
    `VIEWPOINT ${h.viewpoint.map((v) => String(v)).join(' ')}`,
    `POINTS ${h.width * h.height}`,
    `DATA ${h.data}`,
    '',
  ].join('\n');
}
