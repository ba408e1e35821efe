import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Layout } from '../../src/store/layout.js';
import { INIT_PREFIX, STAGING_OWNER, Staging } from '../../src/store/local/staging.js';
import { findLeftovers, removeLeftovers } from '../../src/store/local/sweep.js';

let dir: string;
let layout: Layout;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-staging-'));
  layout = new Layout(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ref = { module: 'tasks', task: 't', key: 'a'.repeat(64) };

describe('staging folders', () => {
  it('appear under their final name only with an owner file inside', () => {
    const staging = Staging.create(layout, ref);
    expect(readdirSync(layout.tmp)).toEqual([path.basename(staging.dir)]);
    expect(readdirSync(staging.dir).sort()).toEqual(['out', STAGING_OWNER]);
    expect(findLeftovers(layout)).toEqual([]); // its owner (this process) is alive
    staging.discard();
  });

  it('a folder left half-created by a killed run is swept at once when no run holds its key', () => {
    const init = path.join(layout.tmp, `${INIT_PREFIX}${'a'.repeat(12)}-999999-abcd`);
    mkdirSync(path.join(init, 'out'), { recursive: true });
    const leftovers = findLeftovers(layout);
    expect(leftovers.map((l) => [l.kind, l.path])).toEqual([['staging', init]]);
    removeLeftovers(layout, leftovers);
    expect(readdirSync(layout.tmp)).toEqual([]);
  });

  it('a half-created folder whose key a live run holds is left alone', async () => {
    const init = path.join(layout.tmp, `${INIT_PREFIX}${'a'.repeat(12)}-999999-abcd`);
    mkdirSync(path.join(init, 'out'), { recursive: true });
    const { acquireKeyLock } = await import('../../src/lock/key-lock.js');
    const lock = await acquireKeyLock(layout.lockTarget(ref));
    try {
      expect(findLeftovers(layout)).toEqual([]);
    } finally {
      await lock.release();
    }
  });
});
