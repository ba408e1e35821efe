/**
 * The dynamic section of an ELF file, read with a few positioned reads (headers, the dynamic
 * segment, its string table) rather than the whole binary: DT_NEEDED, DT_RPATH, DT_RUNPATH.
 * Anything that is not a well-formed dynamic ELF object gives null.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface DynamicInfo {
  /** DT_NEEDED: the sonames the object asks the loader for, in order */
  needed: string[];
  /** DT_RUNPATH, split at ':'; null when absent */
  runpath: string[] | null;
  /** DT_RPATH, split at ':'; null when absent */
  rpath: string[] | null;
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
/** No real dynamic section or string table comes near this; a bigger claim is a damaged file. */
const MAX_READ = 16 << 20;

class File {
  readonly size: number;
  constructor(private readonly fd: number) {
    this.size = fstatSync(fd).size;
  }

  read(offset: number, length: number): Buffer | null {
    if (offset < 0 || length < 0 || length > MAX_READ || offset + length > this.size) return null;
    const buf = Buffer.alloc(length);
    return readSync(this.fd, buf, 0, length, offset) === length ? buf : null;
  }
}

export function readDynamicInfo(path: string): DynamicInfo | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    return parse(new File(fd));
  } catch {
    return null; // unreadable or malformed: not an object we can say anything about
  } finally {
    closeSync(fd);
  }
}

function parse(file: File): DynamicInfo | null {
  const ident = file.read(0, 64);
  if (ident?.readUInt32BE(0) !== 0x7f454c46) return null; // "\x7fELF"
  const is64 = ident[4] === 2;
  if (!is64 && ident[4] !== 1) return null;
  const le = ident[5] === 1;
  if (!le && ident[5] !== 2) return null;
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const word = (b: Buffer, o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
  const sword = (b: Buffer, o: number) =>
    is64 ? Number(le ? b.readBigInt64LE(o) : b.readBigInt64BE(o)) : le ? b.readInt32LE(o) : b.readInt32BE(o);

  const phoff = word(ident, is64 ? 0x20 : 0x1c);
  const phentsize = u16(ident, is64 ? 0x36 : 0x2a);
  const phnum = u16(ident, is64 ? 0x38 : 0x2c);
  if (phentsize < (is64 ? 56 : 32)) return null;
  const ph = file.read(phoff, phentsize * phnum);
  if (!ph) return null;

  const loads: { vaddr: number; offset: number; filesz: number }[] = [];
  let dynamic: { offset: number; filesz: number } | null = null;
  for (let i = 0; i < phnum; i++) {
    const o = i * phentsize;
    const type = u32(ph, o);
    const offset = word(ph, o + (is64 ? 8 : 4));
    const vaddr = word(ph, o + (is64 ? 16 : 8));
    const filesz = word(ph, o + (is64 ? 32 : 16));
    if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
    else if (type === PT_DYNAMIC) dynamic = { offset, filesz };
  }
  if (!dynamic) return { needed: [], runpath: null, rpath: null }; // statically linked

  const dyn = file.read(dynamic.offset, dynamic.filesz);
  if (!dyn) return null;
  const entry = is64 ? 16 : 8;
  const needed: number[] = [];
  let strtab = -1;
  let strsz = 0;
  let runpath = -1;
  let rpath = -1;
  for (let o = 0; o + entry <= dyn.length; o += entry) {
    const tag = sword(dyn, o);
    const val = word(dyn, o + entry / 2);
    if (tag === 0) break; // DT_NULL
    if (tag === DT_NEEDED) needed.push(val);
    else if (tag === DT_STRTAB) strtab = val;
    else if (tag === DT_STRSZ) strsz = val;
    else if (tag === DT_RUNPATH) runpath = val;
    else if (tag === DT_RPATH) rpath = val;
  }
  if (strtab < 0) return { needed: [], runpath: null, rpath: null };
  // DT_STRTAB is an address in memory: find the file offset of the segment that holds it
  const segment = loads.find((l) => strtab >= l.vaddr && strtab < l.vaddr + l.filesz);
  if (!segment) return null;
  const strings = file.read(segment.offset + (strtab - segment.vaddr), strsz);
  if (!strings) return null;
  const text = (at: number): string => {
    const end = strings.indexOf(0, at);
    if (at < 0 || at >= strings.length || end < 0) throw new Error('string outside the string table');
    return strings.toString('utf8', at, end);
  };
  const paths = (at: number) => (at < 0 ? null : text(at).split(':').filter(Boolean));
  return { needed: needed.map(text), runpath: paths(runpath), rpath: paths(rpath) };
}
