import { existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/cli.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-digests-');
});
afterEach(() => ws.cleanup());

/**
 * `n` small files in `in/`, last written an hour ago: a file written within
 * the last second is never remembered (the racy-clean rule), so old mtimes
 * make every one of them a digest record.
 */
function inputs(n: number, dir = 'in'): string {
  const folder = ws.path(dir);
  mkdirSync(folder, { recursive: true });
  const past = new Date(Date.now() - 3_600_000);
  for (let i = 0; i < n; i++) {
    const file = path.join(folder, `f${i}.txt`);
    writeFileSync(file, `file ${i}\n`);
    utimesSync(file, past, past);
  }
  return folder;
}

/** The records on disk, counted without cachex. */
function records(): number {
  const root = ws.path('data', 'digests');
  if (!existsSync(root)) return 0;
  let n = 0;
  for (const bucket of readdirSync(root))
    n += readdirSync(path.join(root, bucket)).filter((name) => /^[0-9a-f]{62}$/.test(name)).length;
  return n;
}

/** The command's executable (`true`) is a key input too, so it has a record of its own. */
const TOOL = 1;

const hashAll = (env: NodeJS.ProcessEnv = {}) =>
  ws.run(['exec', '--input', 'in', '--name', 'hash', '--', 'true'], { env });

interface DigestJson {
  entries: number;
  bytes: number;
  cap: number;
}

describe('the digest cache (DATA_FOLDER/digests/)', () => {
  it('stays under its cap however many distinct inputs are hashed', () => {
    inputs(1200);
    const run = hashAll({ CACHEX_DIGEST_CACHE_ENTRIES: '512' });
    expect(run.code, run.stderr).toBe(0);
    const n = records();
    expect(n).toBeGreaterThan(100);
    expect(n).toBeLessThanOrEqual(512);
  });

  it('keeps one record per hashed file under the default cap, and ls and stats count them', () => {
    inputs(40);
    expect(hashAll().code).toBe(0);
    expect(records()).toBe(40 + TOOL);
    expect(ws.run(['ls']).stdout).toMatch(
      /^digest cache: 41 records, \d+(\.\d+)? kB on disk \(at most 50000 records\)$/m,
    );
    const stats = ws.run(['stats', '--json']);
    const digests = JSON.parse(stats.stdout).digestCache as DigestJson;
    expect(digests.entries).toBe(40 + TOOL);
    expect(digests.bytes).toBeGreaterThan(0);
    expect(digests.cap).toBe(50_000);
    expect(ws.run(['stats']).stdout).toMatch(/^digest cache: 41 records, /m);
  });

  it('prune --all empties it; a dry run only counts', () => {
    inputs(30);
    expect(hashAll().code).toBe(0);
    expect(records()).toBe(30 + TOOL);
    const dry = JSON.parse(ws.run(['prune', '--all', '--dry-run', '--json']).stdout);
    expect(dry.digestCache.removed).toBe(30 + TOOL);
    expect(records()).toBe(30 + TOOL);
    const pruned = ws.run(['prune', '--all']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(/^digest cache: removed 31 records \(.+\); 0 records \(0 B\) remain\.$/m);
    expect(records()).toBe(0);
    expect(JSON.parse(ws.run(['stats', '--json']).stdout).digestCache.entries).toBe(0);
  });

  it('other prunes drop the records of files that are gone or changed, and keep the rest', () => {
    const folder = inputs(20);
    expect(hashAll().code).toBe(0);
    expect(records()).toBe(20 + TOOL);
    for (let i = 0; i < 5; i++) rmSync(path.join(folder, `f${i}.txt`));
    for (let i = 5; i < 8; i++) writeFileSync(path.join(folder, `f${i}.txt`), `changed ${i}\n`);
    const pruned = JSON.parse(ws.run(['prune', '--json']).stdout);
    expect(pruned.digestCache).toMatchObject({ removed: 8, entries: 12 + TOOL });
    expect(records()).toBe(12 + TOOL);
    // The store's own entry is untouched by a bare prune.
    expect(JSON.parse(ws.run(['ls', '--json']).stdout)).toHaveLength(1);
  });

  it('refuses a CACHEX_DIGEST_CACHE_ENTRIES that is not a number, in one sentence', () => {
    inputs(3);
    const run = hashAll({ CACHEX_DIGEST_CACHE_ENTRIES: 'lots' });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'error: CACHEX_DIGEST_CACHE_ENTRIES must be a whole number of records (such as 50000), got "lots".',
    );
  });

  it('prune --task trims it but never clears it', () => {
    inputs(10);
    expect(hashAll().code).toBe(0);
    const pruned = JSON.parse(ws.run(['prune', '--task', 'hash', '--all', '--json']).stdout);
    expect(pruned.removed).toHaveLength(1);
    expect(pruned.digestCache.entries).toBe(10 + TOOL);
    expect(records()).toBe(10 + TOOL);
  });
});
