import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestCap, noteWritten, trimDigestCache } from '../../src/key/digest-records.js';
import { statStamp } from '../../src/key/stamp.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-digest-records-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const name = (i: number) => i.toString(16).padStart(62, '0');

/** A record file last used `ageS` seconds ago (its atime and mtime). */
function record(bucket: string, i: number, ageS: number, text = 'stamp\ndigest\n'): string {
  mkdirSync(bucket, { recursive: true });
  const file = path.join(bucket, name(i));
  writeFileSync(file, text);
  const t = new Date(Date.now() - ageS * 1000);
  utimesSync(file, t, t);
  return file;
}

describe('digest cache records', () => {
  it('a bucket past its share of the cap drops its least recently used records, never the one just written', () => {
    const bucket = path.join(dir, 'ab');
    // Cap 2560 → 10 per bucket, evicted down to 9.
    for (let i = 0; i < 11; i++) record(bucket, i, 1000 - i * 10); // record 0 the least recently used
    // The one just written is the oldest of all by its times, and stays all the same.
    const written = record(bucket, 0, 5000);
    noteWritten(bucket, path.basename(written), 2560);
    const left = readdirSync(bucket).sort();
    expect(left).toHaveLength(9);
    expect(left).toContain(name(0));
    expect(left).not.toContain(name(1));
    expect(left).not.toContain(name(2));
    expect(left).toContain(name(3));
  });

  it('a crash leftover (a temp file older than a minute) goes when its bucket is trimmed', () => {
    const bucket = path.join(dir, 'cd');
    for (let i = 0; i < 3; i++) record(bucket, i, 10);
    const old = path.join(bucket, `${name(9)}.123.abc`);
    writeFileSync(old, 'half');
    utimesSync(old, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    const fresh = path.join(bucket, `${name(8)}.456.def`);
    writeFileSync(fresh, 'being written');
    const trim = trimDigestCache(dir, { dryRun: false });
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect(trim.entries).toBe(3);
  });

  it('prune drops records whose file is gone or changed, keeps good ones and those that name no file', () => {
    const input = path.join(dir, 'input.txt');
    writeFileSync(input, 'x');
    const stamp = statStamp(statSync(input, { bigint: true }), 'content');
    const bucket = path.join(dir, '01');
    record(bucket, 1, 10, `${stamp}\n${'a'.repeat(64)}\n${input}\n`);
    record(bucket, 2, 10, `${stamp}\n${'b'.repeat(64)}\n${path.join(dir, 'gone.txt')}\n`);
    record(bucket, 3, 10, `1 2 3 4 5\n${'c'.repeat(64)}\n${input}\n`);
    record(bucket, 4, 10, `${stamp}\n${'d'.repeat(64)}\n`); // an older record: no path
    const dry = trimDigestCache(dir, { dryRun: true });
    expect(dry).toMatchObject({ removed: 2, entries: 2 });
    expect(readdirSync(bucket)).toHaveLength(4);
    const trim = trimDigestCache(dir, { dryRun: false });
    expect(trim).toMatchObject({ removed: 2, entries: 2 });
    expect(readdirSync(bucket).sort()).toEqual([name(1), name(4)]);
    // --unused-for: idle records go too (prune's own reads above did not count as a use).
    expect(trimDigestCache(dir, { dryRun: false, unusedForMs: 5000 }).entries).toBe(0);
  });

  it('the cap: a whole number from CACHEX_DIGEST_CACHE_ENTRIES, at least one record per bucket', () => {
    expect(digestCap({})).toBe(50_000);
    expect(digestCap({ CACHEX_DIGEST_CACHE_ENTRIES: '1000' })).toBe(1000);
    expect(digestCap({ CACHEX_DIGEST_CACHE_ENTRIES: '10' })).toBe(256);
    expect(() => digestCap({ CACHEX_DIGEST_CACHE_ENTRIES: 'lots' })).toThrow(
      /^CACHEX_DIGEST_CACHE_ENTRIES must be a whole number of records \(such as 50000\), got "lots"\.$/,
    );
  });
});
