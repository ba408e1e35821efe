import { mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { storeErrorFrom } from '../errors.js';
import { currentOwner, isAlive, isDeadLocal, isLocal, type Owner } from './owner.js';
import { makeDirs } from '../store/make-dirs.js';

/** Heartbeat and staleness for holders on other machines (wireit's 10 s / 2 s recipe). */
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
}

const lockDir = (target: string) => `${target}.lock`;
const ownerFile = (target: string) => `${target}.owner.json`;
const breakerDir = (target: string) => `${target}.break`;

export function readOwner(target: string): Partial<Owner> | null {
  try {
    return JSON.parse(readFileSync(ownerFile(target), 'utf8')) as Partial<Owner>;
  } catch {
    return null;
  }
}

/**
 * Removes the lock of a holder that died on this machine. A second mkdir lock
 * (the breaker) serialises breakers, and the owner is re-read under it, so a
 * breaker can never remove a lock that a live process took meanwhile.
 */
function breakDeadLock(target: string, seen: Partial<Owner>): void {
  const breaker = breakerDir(target);
  try {
    mkdirSync(breaker);
  } catch {
    // Another process is breaking it; a breaker left by a crash is itself stale after a few seconds.
    try {
      if (Date.now() - statSync(breaker).mtimeMs > 5_000) rmdirSync(breaker);
    } catch {
      /* gone already */
    }
    return;
  }
  try {
    const now = readOwner(target);
    if (now && now.pid === seen.pid && now.start === seen.start && now.host === seen.host && isDeadLocal(now)) {
      rmSync(ownerFile(target), { force: true });
      rmSync(lockDir(target), { recursive: true, force: true });
    }
  } finally {
    rmdirSync(breaker);
  }
}

/**
 * Takes the per-key lock, waiting while another live process holds it. Locks
 * are mkdir-based (proper-lockfile), safe on network file systems, refreshed
 * by a heartbeat, broken at once when the holder died on this machine and
 * after STALE_MS without heartbeat when it was on another one.
 */
export async function acquireKeyLock(target: string, options: AcquireOptions = {}): Promise<HeldLock> {
  ensureLocksFolder(target);
  let announced = false;
  for (;;) {
    const held = await lockOnce(target);
    if (held) return held;
    const owner = readOwner(target);
    if (owner && isDeadLocal(owner)) {
      breakDeadLock(target, owner);
      continue;
    }
    if (!announced) {
      announced = true;
      options.onWait?.(owner);
    }
    await sleep(POLL_MS + Math.floor(Math.random() * POLL_MS));
  }
}

/**
 * Takes the per-key lock only if it is free (or its holder died here); null
 * when a live process holds it. For prune and verify, which skip busy entries
 * rather than wait for them.
 */
export async function tryAcquireKeyLock(target: string): Promise<HeldLock | null> {
  ensureLocksFolder(target);
  const held = await lockOnce(target);
  if (held) return held;
  const owner = readOwner(target);
  if (!owner || !isDeadLocal(owner)) return null;
  breakDeadLock(target, owner);
  return lockOnce(target);
}

function ensureLocksFolder(target: string): void {
  try {
    makeDirs(path.dirname(target));
  } catch (err) {
    throw storeErrorFrom(err, 'creating the locks folder');
  }
}

/** One attempt at the lock: the held lock, or null when another process has it. */
async function lockOnce(target: string): Promise<HeldLock | null> {
  const lockfile = await import('proper-lockfile');
  let compromised = false;
  // A holder alive on this machine is never stale, however long its heartbeat
  // stalls (a stopped process, a long synchronous hash of big outputs): only
  // holders elsewhere are judged by the age of their heartbeat.
  const owner = readOwner(target);
  const stale = owner && isLocal(owner) && isAlive(owner) ? Infinity : STALE_MS;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, {
      realpath: false,
      lockfilePath: lockDir(target),
      stale,
      update: UPDATE_MS,
      retries: 0,
      onCompromised: () => {
        compromised = true;
      },
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ELOCKED') throw storeErrorFrom(err, 'taking the lock for this key');
    return null;
  }
  try {
    writeOwner(target);
  } catch (err) {
    // A full or read-only disk: do not keep a lock nobody can identify.
    await release().catch(() => undefined);
    throw storeErrorFrom(err, 'taking the lock for this key');
  }
  return {
    get compromised() {
      return compromised;
    },
    release: async () => {
      rmSync(ownerFile(target), { force: true });
      await release().catch(() => undefined);
    },
  };
}

function writeOwner(target: string): void {
  const temp = `${ownerFile(target)}.${process.pid}`;
  try {
    writeFileSync(temp, JSON.stringify(currentOwner()));
    renameSync(temp, ownerFile(target));
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** True when some live process holds the lock (used by prune and verify). */
export function isLockHeld(target: string): boolean {
  let st;
  try {
    st = statSync(lockDir(target));
  } catch {
    return false;
  }
  const owner = readOwner(target);
  if (owner && isLocal(owner)) return isAlive(owner);
  return Date.now() - st.mtimeMs < STALE_MS;
}
