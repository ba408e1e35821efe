import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockDir, ownerFile, tempOwnerFile } from '../../src/lock/files.js';
import { judgeHolder } from '../../src/lock/holder.js';
import { HeartbeatWatch } from '../../src/lock/heartbeat.js';
import { isLockHeld } from '../../src/lock/key-lock.js';
import { currentOwner } from '../../src/lock/owner.js';

let dir: string;
let target: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-holder-'));
  target = path.join(dir, 'a'.repeat(64));
  mkdirSync(lockDir(target));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const me = () => currentOwner();
const deadHere = () => ({ ...currentOwner(), pid: spawnSync('true').pid!, start: '1' });
const elsewhere = () => ({ ...currentOwner(), host: 'machine-b', bootId: 'other-boot' });

describe('judging the holder of a busy lock', () => {
  it('by its owner file: alive or dead here, or (on another machine) by its heartbeat', () => {
    writeFileSync(ownerFile(target), JSON.stringify(me()));
    expect(judgeHolder(target).state).toBe('alive');
    writeFileSync(ownerFile(target), JSON.stringify(deadHere()));
    expect(judgeHolder(target).state).toBe('dead');
    writeFileSync(ownerFile(target), JSON.stringify(elsewhere()));
    expect(judgeHolder(target).state).toBe('heartbeat');
  });

  it('an owner-less lock whose temporary owner files all died here is dead; one live taker among them keeps it alive', () => {
    const dead = deadHere();
    writeFileSync(tempOwnerFile(target, dead.pid), JSON.stringify(dead));
    expect(judgeHolder(target)).toEqual({ state: 'dead', owner: null, tempOwners: [tempOwnerFile(target, dead.pid)] });
    expect(isLockHeld(target)).toBe(false);
    writeFileSync(tempOwnerFile(target), JSON.stringify(me()));
    expect(judgeHolder(target).state).toBe('alive');
    expect(isLockHeld(target)).toBe(true);
  });

  it('an owner-less lock naming nobody, or someone on another machine, is judged by its heartbeat', () => {
    expect(judgeHolder(target).state).toBe('heartbeat');
    writeFileSync(tempOwnerFile(target, 4242), ''); // killed while writing it, before trying the lock
    expect(judgeHolder(target).state).toBe('heartbeat');
    const remote = elsewhere();
    writeFileSync(tempOwnerFile(target, remote.pid), JSON.stringify(remote));
    expect(judgeHolder(target).state).toBe('heartbeat');
    // Just touched, in the file system's clock: held.
    expect(isLockHeld(target)).toBe(true);
  });

  it('ignores temporary files of other keys in the same folder', () => {
    const other = path.join(dir, 'b'.repeat(64));
    writeFileSync(tempOwnerFile(other), JSON.stringify(me()));
    expect(judgeHolder(target).state).toBe('heartbeat');
  });
});

describe('watching a heartbeat', () => {
  it('counts how long the stamp has not changed on the monotonic clock, from 0 at each change', async () => {
    const watch = new HeartbeatWatch();
    expect(watch.unchangedFor('s1')).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(watch.unchangedFor('s1')).toBeGreaterThanOrEqual(25);
    expect(watch.unchangedFor('s2')).toBe(0);
  });
});
