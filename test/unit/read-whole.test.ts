/** src/read-whole.ts: a whole file through one open file, with its fstat, or without one when the size is known. */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readWhole } from '../../src/read-whole.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-read-whole-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readWhole', () => {
  it('reads a file whole with the stat of the file it read', () => {
    const file = path.join(dir, 'a');
    writeFileSync(file, 'x'.repeat(70_000));
    const read = readWhole(file)!;
    expect(read.bytes.toString()).toBe('x'.repeat(70_000));
    const st = statSync(file);
    expect([read.st.ino, read.st.size, read.st.mtimeMs]).toEqual([st.ino, st.size, st.mtimeMs]);
    writeFileSync(file, '');
    expect(readWhole(file)!.bytes.length).toBe(0);
  });

  it('gives null for a missing file, a folder, or a file `accept` refuses', () => {
    const file = path.join(dir, 'a');
    writeFileSync(file, 'abc');
    expect(readWhole(path.join(dir, 'missing'))).toBeNull();
    expect(readWhole(dir)).toBeNull();
    expect(readWhole(dir, { size: 3 })).toBeNull();
    const seen: number[] = [];
    expect(
      readWhole(file, {
        accept: (st) => {
          seen.push(st.size);
          return false;
        },
      }),
    ).toBeNull();
    expect(seen).toEqual([3]);
    expect(readWhole(file, { accept: () => true })!.bytes.toString()).toBe('abc');
  });

  it('with the expected size: no stat, and bytes with an ArrayBuffer of their own', () => {
    const file = path.join(dir, 'a');
    writeFileSync(file, 'abc');
    const read = readWhole(file, { size: 3 })!;
    expect(read.st).toBeNull();
    expect(read.bytes.toString()).toBe('abc');
    // Not a slice of Node's shared pool (which small Buffer.allocUnsafe buffers are).
    expect(read.bytes.byteOffset).toBe(0);
    expect(read.bytes.buffer.byteLength).toBe(4);
  });

  it('at any other size than expected, the whole file (so a check names its real size)', () => {
    const file = path.join(dir, 'a');
    writeFileSync(file, 'abcdef');
    const shorter = readWhole(file, { size: 3 })!;
    expect(shorter.bytes.toString()).toBe('abcdef');
    expect(shorter.st!.size).toBe(6);
    expect(shorter.bytes.byteOffset).toBe(0);
    const longer = readWhole(file, { size: 100 })!;
    expect(longer.bytes.toString()).toBe('abcdef');
  });
});
