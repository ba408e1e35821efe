import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { trimCacheFolder } from '../../src/trim-cache-folder.js';

const DAY = 24 * 3600;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-trim-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A file last read `readDaysAgo` and written `writtenDaysAgo` days ago. */
function file(name: string, readDaysAgo: number, writtenDaysAgo = readDaysAgo): string {
  const full = path.join(dir, name);
  writeFileSync(full, name);
  const now = Date.now() / 1000;
  utimesSync(full, now - readDaysAgo * DAY, now - writtenDaysAgo * DAY);
  return full;
}

const owns = (name: string) => name.endsWith('.bin');

describe('trimCacheFolder', () => {
  it('removes our files unused for longer than the limit, by the later of read and write, and nothing else', () => {
    const written = file('new.bin', 0);
    const stale = file('stale.bin', 40);
    const readLately = file('read.bin', 2, 40);
    const writtenLately = file('written.bin', 40, 2);
    const foreign = file('other.txt', 400);
    trimCacheFolder(written, { owns, keep: 10, unusedMs: 30 * DAY * 1000 });
    expect(existsSync(stale)).toBe(false);
    for (const kept of [written, readLately, writtenLately, foreign]) expect(existsSync(kept), kept).toBe(true);
  });

  it('beyond `keep` files, removes the least recently used first', () => {
    const written = file('new.bin', 0);
    const byAge = [1, 2, 3, 4].map((days) => file(`${days}.bin`, days));
    trimCacheFolder(written, { owns, keep: 3, unusedMs: 30 * DAY * 1000 });
    expect(byAge.map((f) => existsSync(f))).toEqual([true, true, false, false]);
    expect(existsSync(written)).toBe(true);
  });

  it('does nothing when the file it was given is gone or the folder cannot be read', () => {
    const stale = file('stale.bin', 40);
    trimCacheFolder(path.join(dir, 'gone.bin'), { owns, keep: 0, unusedMs: 0 });
    expect(existsSync(stale)).toBe(true);
    expect(() =>
      trimCacheFolder(path.join(dir, 'no-such-folder', 'x.bin'), { owns, keep: 0, unusedMs: 0 }),
    ).not.toThrow();
  });
});
