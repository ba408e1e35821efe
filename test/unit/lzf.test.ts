import { describe, expect, it } from 'vitest';
import { LzfError, lzfCompress, lzfDecompress } from '../../src/demo/pcd/lzf.js';

/** Deterministic bytes: `runs` makes them compressible (repeats), otherwise noise. */
function bytes(n: number, seed: number, runs = false): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
  for (let i = 0; i < n; i++) out[i] = runs && i > 8 && next() < 200 ? out[i - 1 - (next() % 8)]! : next();
  return out;
}

describe('LZF', () => {
  it('decodes a hand-made stream: a literal run, a back reference and an overlapping repeat', () => {
    // "abc" literal, then copy 3 bytes from 3 back ("abc"), then copy 9 bytes from 1 back ("ccccccccc")
    const stream = Uint8Array.from([2, 97, 98, 99, (1 << 5) | 0, 2, 7 << 5, 0, 0]);
    expect(Buffer.from(lzfDecompress(stream, 15)).toString('latin1')).toBe('abcabcccccccccc');
  });

  it('round-trips empty, tiny, random, repetitive and long inputs', () => {
    const inputs = [
      new Uint8Array(0),
      Uint8Array.from([1]),
      Uint8Array.from([1, 2]),
      Uint8Array.from([7, 7, 7]),
      new Uint8Array(100_000), // zeros: long overlapping references
      bytes(70_000, 1), // noise: literal runs of 32
      bytes(300_000, 2, true),
      Uint8Array.from({ length: 50_000 }, (_, i) => i % 251),
    ];
    for (const input of inputs) {
      const packed = lzfCompress(input);
      expect(Buffer.from(lzfDecompress(packed, input.length)).equals(Buffer.from(input))).toBe(true);
    }
    expect(lzfCompress(new Uint8Array(100_000)).length).toBeLessThan(2_000);
    expect(lzfCompress(bytes(70_000, 1)).length).toBeLessThanOrEqual(70_000 + Math.ceil(70_000 / 32));
  });

  it('refuses streams that do not decode to exactly the expected size', () => {
    const packed = lzfCompress(bytes(5_000, 3, true));
    expect(() => lzfDecompress(packed, 4_999)).toThrow(LzfError);
    expect(() => lzfDecompress(packed, 5_001)).toThrow(/decompresses to 5000 bytes, not 5001/);
    expect(() => lzfDecompress(packed.subarray(0, packed.length - 1), 5_000)).toThrow(LzfError);
    expect(() => lzfDecompress(Uint8Array.from([0x20, 0x05]), 3)).toThrow(/points before the start/);
    expect(() => lzfDecompress(Uint8Array.from([5, 1, 2]), 6)).toThrow(/runs past the end/);
  });
});
