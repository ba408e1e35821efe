/**
 * Reads the plain values of V8's serialization format (what `v8.serialize` writes for a task's
 * result) without loading `node:v8`, which costs a function task's hit about 2.5 ms (it brings
 * in heap_utils and the streams). Only values that come back the same from both readers:
 * undefined, null, booleans, numbers, strings, plain objects and dense arrays, nested, each
 * object written once. Anything else — a Map, a Date, a Buffer, a BigInt, a shared or circular
 * object, an array with holes or extra properties, a `__proto__` key, another format version —
 * gives NOT_PLAIN, and the caller asks `v8.deserialize` (test/unit/v8-value.test.ts compares).
 */
export const NOT_PLAIN: unique symbol = Symbol('not plain');

class NotPlain extends Error {}

/** Format versions this reader knows (Node 20–24 write 15). */
const VERSIONS = new Set([13, 14, 15]);
const MAX_DEPTH = 1000;

class Reader {
  private at = 0;
  constructor(private readonly b: Uint8Array) {}

  byte(): number {
    if (this.at >= this.b.length) throw new NotPlain();
    return this.b[this.at++];
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new NotPlain(); // wider than 32 bits: not a length or an int32 this reader takes
  }

  bytes(n: number): Uint8Array {
    if (this.at + n > this.b.length) throw new NotPlain();
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  /** The next tag, skipping the padding V8 writes before a two-byte string. */
  tag(): number {
    let t = this.byte();
    while (t === 0x00) t = this.byte();
    return t;
  }

  get done(): boolean {
    return this.at === this.b.length;
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new NotPlain();
    const t = this.tag();
    switch (t) {
      case 0x5f: // '_'
        return undefined;
      case 0x30: // '0'
        return null;
      case 0x54: // 'T'
        return true;
      case 0x46: // 'F'
        return false;
      case 0x49: {
        // 'I': int32, zigzag
        const z = this.varint();
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      case 0x55: // 'U': uint32
        return this.varint();
      case 0x4e: {
        // 'N': a double, little-endian
        const raw = this.bytes(8);
        return new DataView(raw.buffer, raw.byteOffset, 8).getFloat64(0, true);
      }
      case 0x22: // '"': Latin-1
        return Buffer.from(this.bytes(this.varint())).toString('latin1');
      case 0x63: {
        // 'c': UTF-16LE
        const n = this.varint();
        if (n % 2 !== 0) throw new NotPlain();
        return Buffer.from(this.bytes(n)).toString('utf16le');
      }
      case 0x6f: // 'o': a plain object
        return this.object(depth);
      case 0x41: // 'A': a dense array
        return this.array(depth);
      default:
        throw new NotPlain();
    }
  }

  private key(): string {
    const t = this.tag();
    if (t === 0x22) return Buffer.from(this.bytes(this.varint())).toString('latin1');
    if (t === 0x63) {
      const n = this.varint();
      if (n % 2 !== 0) throw new NotPlain();
      return Buffer.from(this.bytes(n)).toString('utf16le');
    }
    if (t === 0x49) {
      const z = this.varint();
      return String(z % 2 === 0 ? z / 2 : -(z + 1) / 2);
    }
    if (t === 0x55) return String(this.varint());
    throw new NotPlain();
  }

  private object(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let count = 0;
    for (;;) {
      if (this.peekIs(0x7b)) {
        // '{': the end, with the number of properties
        this.at++;
        if (this.varint() !== count) throw new NotPlain();
        return out;
      }
      const key = this.key();
      if (key === '__proto__' || Object.hasOwn(out, key)) throw new NotPlain();
      out[key] = this.value(depth + 1);
      count++;
    }
  }

  private array(depth: number): unknown[] {
    const length = this.varint();
    if (length > this.b.length) throw new NotPlain();
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) {
      if (this.peekIs(0x2d)) throw new NotPlain(); // '-': a hole
      out[i] = this.value(depth + 1);
    }
    // '$', then the number of other properties (none, for a plain array) and the length again.
    if (this.tag() !== 0x24 || this.varint() !== 0 || this.varint() !== length) throw new NotPlain();
    return out;
  }

  private peekIs(t: number): boolean {
    while (this.at < this.b.length && this.b[this.at] === 0x00) this.at++;
    return this.b[this.at] === t;
  }
}

/** The value, or NOT_PLAIN when `v8.deserialize` must read it. */
export function readPlainValue(bytes: Uint8Array): unknown {
  try {
    const r = new Reader(bytes);
    if (r.byte() !== 0xff || !VERSIONS.has(r.varint())) return NOT_PLAIN;
    const value = r.value(0);
    return r.done ? value : NOT_PLAIN;
  } catch (err) {
    if (err instanceof NotPlain) return NOT_PLAIN;
    throw err;
  }
}
