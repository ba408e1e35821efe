import { mkdirSync, rmSync, rmdirSync } from 'node:fs';
import { breakerDir, lockDir, ownerFile, readOwner } from './files.js';
import { ageInFileSystemClock, heartbeatStamp } from './heartbeat.js';
import { judgeHolder, sameOwner } from './holder.js';
import type { Owner } from './owner.js';

/** A breaker is held for microseconds; one this old was left by a crash (judged in the file system's clock). */
const BREAKER_STALE_MS = 5_000;

/**
 * Runs `work` holding the key's breaker (a second mkdir lock), so that two
 * processes never break one lock at once and a lock re-checked under it
 * cannot be one a live process took meanwhile. False when another process
 * holds the breaker.
 */
function underBreaker(target: string, work: () => boolean): boolean {
  const breaker = breakerDir(target);
  try {
    mkdirSync(breaker);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const age = ageInFileSystemClock(breaker);
      if (age !== null && age > BREAKER_STALE_MS) rmSync(breaker, { recursive: true, force: true });
    }
    return false;
  }
  try {
    return work();
  } finally {
    try {
      rmdirSync(breaker);
    } catch {
      /* removed as stale by another process */
    }
  }
}

function removeLock(target: string, owner: Partial<Owner> | null): void {
  if (owner) rmSync(ownerFile(target), { force: true });
  rmSync(lockDir(target), { recursive: true, force: true });
}

/** Removes the lock of a holder that died on this machine, once it is still so under the breaker. */
export function breakDeadLock(target: string, seen: Partial<Owner> | null): boolean {
  return underBreaker(target, () => {
    const now = judgeHolder(target);
    if (now.state !== 'dead' || !sameOwner(now.owner, seen)) return false;
    removeLock(target, now.owner);
    for (const file of now.tempOwners) rmSync(file, { force: true });
    return true;
  });
}

/**
 * Removes a lock whose heartbeat stopped (a holder on another machine, or one
 * that left no owner file): only when its heartbeat stamp and owner are still
 * the ones judged silent.
 */
export function breakSilentLock(target: string, stamp: string, seen: Partial<Owner> | null): boolean {
  return underBreaker(target, () => {
    if (heartbeatStamp(lockDir(target)) !== stamp || !sameOwner(readOwner(target), seen)) return false;
    removeLock(target, seen);
    return true;
  });
}
