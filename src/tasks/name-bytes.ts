/**
 * File names are bytes; JavaScript strings are UTF-16. A name that is not
 * valid UTF-8 (Latin-1 from an old archive, say) is carried in a string the
 * way Python does it (PEP 383, "surrogateescape"): each byte that is not part
 * of a valid UTF-8 sequence becomes the lone surrogate U+DC00 + byte
 * (0xFF → U+DCFF). Decoding valid UTF-8 never yields a lone surrogate, so the
 * escape is unambiguous and reversible, and JSON (the key, meta.yaml) writes it
 * as the ASCII escape `\udcff`. Names that are valid UTF-8 are unchanged.
 */

/** A lone surrogate standing for one raw byte (the `u` flag keeps real surrogate pairs out). */
const RAW = /[\uDC80-\uDCFF]/u;
const RAW_ALL = /[\uDC80-\uDCFF]/gu;

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there starts none. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i];
  if (b0 < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => i + j < bytes.length && bytes[i + j] >= lo && bytes[i + j] <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    // No overlong forms (E0 A0..), no UTF-16 surrogates (ED 80..9F).
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** The bytes of a name as a string: valid UTF-8 decoded, every other byte escaped. */
export function escapeName(bytes: Uint8Array): string {
  let out = '';
  let start = 0;
  let i = 0;
  const flush = (end: number) => {
    if (end > start) out += Buffer.from(bytes.subarray(start, end)).toString('utf8');
  };
  while (i < bytes.length) {
    const n = sequenceLength(bytes, i);
    if (n) {
      i += n;
      continue;
    }
    flush(i);
    out += String.fromCharCode(0xdc00 + bytes[i]);
    i += 1;
    start = i;
  }
  flush(i);
  return out;
}

/** Whether `name` carries escaped raw bytes. */
export function hasRawBytes(name: string): boolean {
  return RAW.test(name);
}

/** The bytes an escaped name stands for (the inverse of escapeName). */
export function nameBytes(name: string): Buffer {
  if (!hasRawBytes(name)) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (const match of name.matchAll(RAW_ALL)) {
    parts.push(Buffer.from(name.slice(start, match.index), 'utf8'), Buffer.from([match[0].charCodeAt(0) - 0xdc00]));
    start = match.index + match[0].length;
  }
  parts.push(Buffer.from(name.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** What the file system takes for an escaped name: the string itself, or its bytes when it has raw ones. */
export function fsName(name: string): string | Buffer {
  return hasRawBytes(name) ? nameBytes(name) : name;
}

/** A name for people (ls, why): each raw byte written `\xff`; a terminal could not show it otherwise. */
export function displayName(name: string): string {
  return name.replace(RAW_ALL, (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16).padStart(2, '0')}`);
}
