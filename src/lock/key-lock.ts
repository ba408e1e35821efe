import { readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { timersPromises } from '../lazy-builtins.js';
import { storeErrorFrom } from '../errors.js';
import { breakDeadLock, breakSilentLock } from './breaker.js';
import { LOCK_SUFFIX, lockDir, ownerFile, readOwner, tempOwnerFile } from './files.js';
import { ageInFileSystemClock, HeartbeatWatch, heartbeatStamp } from './heartbeat.js';
import { judgeHolder, sameOwner } from './holder.js';
import { currentOwner, type Owner } from './owner.js';
import { makeDirs } from '../store/make-dirs.js';

export { readOwner } from './files.js';

/**
 * A holder that cannot be judged by its PID (on another machine, or one that
 * left no owner file) is silent, and its lock taken over, after this long
 * without a heartbeat (wireit's 10 s / 2 s recipe).
 */
export const STALE_MS = 10_000;
const UPDATE_MS = 2_000;
const POLL_MS = 100;

export interface HeldLock {
  release(): Promise<void>;
  /** Set when the heartbeat failed and another process may have taken over. */
  readonly compromised: boolean;
}

export interface AcquireOptions {
  /** Called once, when the lock is busy and this process starts waiting. */
  onWait?: (owner: Partial<Owner> | null) => void;
  /** Called when this process broke the lock of a dead or silent holder (a recovery the statistics count). */
  onTakeOver?: (holder: 'dead' | 'silent') => void;
}

/**
 * Takes the per-key lock, waiting while another live process holds it. Locks
 * are mkdir-based (proper-lockfile), safe on network file systems and
 * refreshed by a heartbeat. A holder that died on this machine is taken over
 * at once; any other is taken over once its heartbeat has not changed for
 * STALE_MS on this process's monotonic clock, so clocks that differ between
 * machines, or jump, never make a live holder look dead.
 */
export async function acquireKeyLock(target: string, options: AcquireOptions = {}): Promise<HeldLock> {
  ensureLocksFolder(target);
  const watch = new HeartbeatWatch();
  let announced = false;
  for (;;) {
    const held = await lockOnce(target);
    if (held) return held;
    const holder = judgeHolder(target);
    if (holder.state === 'dead' && breakDeadLock(target, holder.owner)) {
      options.onTakeOver?.('dead');
      continue;
    }
    if (holder.state === 'heartbeat') {
      const stamp = heartbeatStamp(lockDir(target));
      if (stamp && watch.unchangedFor(stamp) >= STALE_MS && breakSilentLock(target, stamp, holder.owner)) {
        options.onTakeOver?.('silent');
        continue;
      }
    }
    if (!announced) {
      announced = true;
      options.onWait?.(readOwner(target));
    }
    await timersPromises().setTimeout(POLL_MS + Math.floor(Math.random() * POLL_MS));
  }
}

/**
 * Takes the per-key lock only if it is free, or its holder is dead; null
 * while a live process holds it. For prune and verify, which skip busy
 * entries rather than wait for them.
 */
export async function tryAcquireKeyLock(
  target: string,
  options: Pick<AcquireOptions, 'onTakeOver'> = {},
): Promise<HeldLock | null> {
  ensureLocksFolder(target);
  const held = await lockOnce(target);
  if (held) return held;
  const holder = judgeHolder(target);
  if (holder.state === 'alive') return null;
  if (holder.state === 'dead') {
    if (!breakDeadLock(target, holder.owner)) return null;
    options.onTakeOver?.('dead');
  } else {
    const stamp = heartbeatStamp(lockDir(target));
    if (!stamp || !silentInFileSystemClock(target) || !breakSilentLock(target, stamp, holder.owner)) return null;
    options.onTakeOver?.('silent');
  }
  return lockOnce(target);
}

/**
 * A one-off look (prune, verify) cannot watch a heartbeat change: it compares
 * the lock's last change with the file system's clock instead, never with its
 * own. Unknown counts as alive.
 */
function silentInFileSystemClock(target: string): boolean {
  const age = ageInFileSystemClock(lockDir(target));
  return age !== null && age >= STALE_MS;
}

/** True when some live process holds the lock (used by prune and verify). */
export function isLockHeld(target: string): boolean {
  // Most keys are not locked: a stat that does not throw says so (an ENOENT error costs tens of µs).
  if (!statSync(lockDir(target), { throwIfNoEntry: false })) return false;
  const holder = judgeHolder(target);
  if (holder.state !== 'heartbeat') return holder.state === 'alive';
  return !silentInFileSystemClock(target);
}

/** The targets in one folder of locks that have a lock folder now (one listing): only those can be held. */
export function lockedTargetsIn(folder: string): Set<string> {
  const targets = new Set<string>();
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return targets;
  }
  for (const name of names) {
    const target = path.join(folder, name.slice(0, -LOCK_SUFFIX.length));
    if (name.endsWith(LOCK_SUFFIX) && lockDir(target) === path.join(folder, name)) targets.add(target);
  }
  return targets;
}

function ensureLocksFolder(target: string): void {
  try {
    makeDirs(path.dirname(target));
  } catch (err) {
    throw storeErrorFrom(err, 'taking the lock for this key');
  }
}

/**
 * One attempt at the lock: the held lock, or null when another process has
 * it. The owner file is written under a temporary name first and renamed into
 * place once the lock folder is ours, so a taker killed in between is still
 * named (see judgeHolder).
 */
async function lockOnce(target: string): Promise<HeldLock | null> {
  // A static specifier, so the CLI's bundle takes proper-lockfile in (covered by its code cache, see
  // scripts/build-cli.mjs); the library imports the package.
  const lockfile = await import('proper-lockfile');
  const me = currentOwner();
  const temp = tempOwnerFile(target);
  try {
    writeFileSync(temp, JSON.stringify(me));
  } catch (err) {
    rmSync(temp, { force: true });
    throw storeErrorFrom(err, 'taking the lock for this key');
  }
  let compromised = false;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, {
      realpath: false,
      lockfilePath: lockDir(target),
      // Staleness is judged here (judgeHolder, HeartbeatWatch), never by proper-lockfile
      // comparing the holder's mtime with our clock.
      stale: Number.POSITIVE_INFINITY,
      update: UPDATE_MS,
      retries: 0,
      onCompromised: () => {
        compromised = true;
      },
    });
  } catch (err) {
    rmSync(temp, { force: true });
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw storeErrorFrom(err, 'taking the lock for this key');
    return null;
  }
  try {
    renameSync(temp, ownerFile(target));
  } catch (err) {
    // A full or read-only disk: do not keep a lock nobody can identify.
    rmSync(temp, { force: true });
    await release().catch(() => undefined);
    throw storeErrorFrom(err, 'taking the lock for this key');
  }
  return {
    get compromised() {
      return compromised;
    },
    release: async () => {
      // The owner file goes back to its temporary name until the lock folder is gone, so the
      // lock is never without a name; one that another process took over is not ours to touch.
      if (!compromised && sameOwner(readOwner(target), me)) {
        try {
          renameSync(ownerFile(target), temp);
        } catch {
          /* removed by a breaker meanwhile */
        }
      }
      await release().catch(() => undefined);
      rmSync(temp, { force: true });
    },
  };
}
