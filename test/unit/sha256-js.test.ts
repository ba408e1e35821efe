import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256, sha256File } from '../../src/key/digest.js';
import { Sha256, sha256Hex } from '../../src/key/sha256-js.js';

const reference = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

describe('SHA-256 in JavaScript (a hit hashes without loading node:crypto)', () => {
  it('gives the FIPS 180-4 test vectors', () => {
    expect(sha256Hex(Buffer.from(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('agrees with node:crypto at every length around the block and padding edges, and up to 3 blocks', () => {
    const data = randomBytes(200);
    for (let n = 0; n <= 200; n++)
      expect(sha256Hex(data.subarray(0, n)), `length ${n}`).toBe(reference(data.subarray(0, n)));
  });

  it('agrees with node:crypto however the input is split across update() calls', () => {
    const data = randomBytes(5000);
    for (const piece of [1, 7, 63, 64, 65, 1000]) {
      const h = new Sha256();
      for (let i = 0; i < data.length; i += piece) h.update(data.subarray(i, i + piece));
      expect(h.digestHex(), `pieces of ${piece}`).toBe(reference(data));
    }
  });

  it('sha256() and sha256File() give node:crypto digests below, at and above the JavaScript limit', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cachex-sha-'));
    try {
      for (const n of [0, 1, 8191, 8192, 8193, 70_000, (1 << 20) + 5]) {
        const data = randomBytes(n);
        expect(sha256(data), `buffer of ${n}`).toBe(reference(data));
        const text = 'é'.repeat(Math.floor(n / 2)); // two bytes a character: the limit counts bytes
        expect(sha256(text), `string of ${text.length} characters`).toBe(reference(text));
        const file = path.join(dir, `f${n}`);
        writeFileSync(file, data);
        expect(sha256File(file), `file of ${n}`).toBe(reference(data));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
