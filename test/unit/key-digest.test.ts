/** key/digest.ts: file and tree digests, and the digest cache keyed by stat stamps. */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DigestCache, sha256, sha256File } from '../../src/key/digest.js';
import { MemoDigestCache } from '../../src/library/digests.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-digest-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const write = (rel: string, data: string | Buffer) => {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
  return file;
};
/** Makes a file look older than the racy-clean window (a second). */
const age = (file: string) => {
  const old = new Date(Date.now() - 60_000);
  utimesSync(file, old, old);
};
const cacheFiles = (folder: string) =>
  existsSync(folder) ? readdirSync(folder, { recursive: true }).filter((n) => String(n).length > 3) : [];

describe('file digests', () => {
  it('are the SHA-256 of the bytes, read in chunks (files above and at the 1 MiB chunk size)', () => {
    for (const size of [0, 1, 1 << 20, (1 << 20) * 2 + 17]) {
      const bytes = Buffer.alloc(size, 7);
      bytes[size - 1] = 1;
      expect(sha256File(write(`f${size}`, bytes))).toBe(hex(bytes));
    }
    expect(sha256('abc')).toBe(hex('abc'));
  });
});

describe('the digest cache', () => {
  it('remembers the digest of an old file and serves it while the stat stamp is unchanged', () => {
    const folder = path.join(dir, 'digests');
    const file = write('in/a.pcd', 'points');
    age(file);
    const cache = new DigestCache(folder);
    expect(cache.digest(file)).toBe(hex('points'));
    expect(cacheFiles(folder)).toHaveLength(1);
    // The remembered line is what answers: tamper with it and the (wrong) digest comes back.
    const [entry] = readdirSync(folder, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const entryPath = path.join(entry.parentPath, entry.name);
    const [stamp] = readFileSync(entryPath, 'utf8').split('\n');
    writeFileSync(entryPath, `${stamp}\n${'f'.repeat(64)}\n`);
    expect(new DigestCache(folder).digest(file)).toBe('f'.repeat(64));
  });

  it('re-hashes when the content changes, even with the mtime put back (ctime is in the stamp)', () => {
    const folder = path.join(dir, 'digests');
    const file = write('a.txt', 'one');
    age(file);
    const cache = new DigestCache(folder);
    expect(cache.digest(file)).toBe(hex('one'));
    writeFileSync(file, 'two');
    age(file);
    expect(cache.digest(file)).toBe(hex('two'));
  });

  it('does not remember a file modified within the last second (racy clean)', () => {
    const folder = path.join(dir, 'digests');
    const file = write('young.txt', 'fresh');
    expect(new DigestCache(folder).digest(file)).toBe(hex('fresh'));
    expect(cacheFiles(folder)).toEqual([]);
  });

  it('works without a folder and when its folder cannot be written', () => {
    const file = write('a.txt', 'x');
    age(file);
    expect(new DigestCache(null).digest(file)).toBe(hex('x'));
    const blocked = write('blocked', 'a file where the folder should be');
    expect(new DigestCache(blocked).digest(file)).toBe(hex('x'));
  });

  it('keys entries by absolute path: a relative path and its absolute form share one', () => {
    const folder = path.join(dir, 'digests');
    const file = write('a.txt', 'x');
    age(file);
    const cache = new DigestCache(folder);
    cache.digest(file);
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      expect(cache.digest('a.txt')).toBe(hex('x'));
    } finally {
      process.chdir(cwd);
    }
    expect(cacheFiles(folder)).toHaveLength(1);
  });

  it('in the library, also remembers in memory, and still notices a change', () => {
    const file = write('lib.txt', 'v1');
    age(file);
    const cache = new MemoDigestCache(null);
    expect(cache.digest(file)).toBe(hex('v1'));
    expect(cache.digest(file)).toBe(hex('v1'));
    writeFileSync(file, 'v2');
    expect(cache.digest(file)).toBe(hex('v2'));
  });
});

describe('tree digests', () => {
  const tree = () => new DigestCache(null).treeDigest(path.join(dir, 'tree'));
  beforeEach(() => {
    write('tree/b.txt', 'b');
    write('tree/sub/a.txt', 'a');
  });

  it('do not depend on the order files were created in or on timestamps', () => {
    const first = tree();
    rmSync(path.join(dir, 'tree'), { recursive: true });
    write('tree/sub/a.txt', 'a');
    write('tree/b.txt', 'b');
    age(path.join(dir, 'tree/b.txt'));
    expect(tree()).toBe(first);
  });

  it('change with a file content, a new file, an empty folder, a rename, the executable bit and a link target', () => {
    const seen = new Set([tree()]);
    const changed = (what: string) => {
      const digest = tree();
      expect(seen.has(digest), what).toBe(false);
      seen.add(digest);
    };
    writeFileSync(path.join(dir, 'tree/sub/a.txt'), 'A');
    changed('content');
    write('tree/sub/c.txt', '');
    changed('new empty file');
    mkdirSync(path.join(dir, 'tree/empty'));
    changed('empty folder');
    rmSync(path.join(dir, 'tree/sub/c.txt'));
    write('tree/sub/d.txt', '');
    changed('rename');
    chmodSync(path.join(dir, 'tree/b.txt'), 0o755);
    changed('executable bit');
    symlinkSync('b.txt', path.join(dir, 'tree/link'));
    changed('symlink');
    rmSync(path.join(dir, 'tree/link'));
    symlinkSync('sub/a.txt', path.join(dir, 'tree/link'));
    changed('symlink target');
  });

  it('ignore other mode bits (umask differs between machines)', () => {
    const before = tree();
    chmodSync(path.join(dir, 'tree/b.txt'), 0o600);
    expect(tree()).toBe(before);
  });
});
