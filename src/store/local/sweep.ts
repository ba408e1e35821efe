import { readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { isLockHeld, readOwner } from '../../lock/key-lock.js';
import { isDeadLocal, isLocal, isAlive, type Owner } from '../../lock/owner.js';
import { findStaleTempOwners, isSweptLockFile, removeStaleTempOwner } from '../../lock/temp-owners.js';
import { diskUsage } from './catalog.js';
import { assertRef, type EntryRef, type Layout } from '../layout.js';
import { INIT_PREFIX, STAGING_OWNER, TRASH_PREFIX } from './staging.js';
import { ASIDE_PREFIXES } from './remove.js';
import { putBack, refFromMeta } from './swapped-out.js';
import { recordRecovery } from './recovery.js';

/** Leftovers older than this with no owner to ask are considered abandoned (clocks jump: keep it long). */
const ORPHAN_AGE_MS = 60 * 60 * 1000;

export interface Leftover {
  kind: 'staging' | 'trash' | 'corrupt' | 'lock';
  path: string;
  bytes: number;
  reason: string;
}

function ageMs(target: string): number {
  try {
    return Date.now() - statSync(target).mtimeMs;
  } catch {
    return 0;
  }
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/**
 * Whether a staging folder still belongs to a live run. A run stages only
 * while it holds its key's lock, so a held lock (or a live local owner) means
 * "in use"; a folder with no readable owner is judged by age alone.
 */
function stagingInUse(layout: Layout, dir: string, heldKeys: () => string[]): { inUse: boolean; reason: string } {
  const owner = readJson<Partial<Owner> & { ref?: EntryRef }>(path.join(dir, STAGING_OWNER));
  if (!owner) {
    // meta.yaml present and owner gone: the run was between its last write and the
    // rename, which it does holding its key's lock; with the lock free, it died there.
    const ref = refFromMeta(dir);
    if (ref && !isLockHeld(layout.lockTarget(ref))) return { inUse: false, reason: 'its run died while storing it' };
    // No owner yet (killed between creating the folder and writing its owner file): the
    // folder name starts with the key, and a run stages only while it holds that key's lock.
    const key12 = /^([0-9a-f]{12})-\d+-/.exec(path.basename(dir))?.[1];
    if (!ref && key12 && !heldKeys().some((key) => key.startsWith(key12)))
      return { inUse: false, reason: 'its run died as it began' };
    const old = ageMs(dir) > ORPHAN_AGE_MS;
    return { inUse: !old, reason: old ? 'staging folder without owner, older than an hour' : 'recent staging folder' };
  }
  if (isLocal(owner))
    return isAlive(owner)
      ? { inUse: true, reason: 'owner alive' }
      : { inUse: false, reason: `its run (pid ${owner.pid}) died` };
  try {
    if (owner.ref) {
      assertRef(owner.ref);
      if (isLockHeld(layout.lockTarget(owner.ref))) return { inUse: true, reason: 'its key is locked by a live run' };
    }
  } catch {
    /* malformed owner: fall through to age */
  }
  const old = ageMs(dir) > ORPHAN_AGE_MS;
  return { inUse: !old, reason: old ? 'its run on another machine stopped' : 'recent run on another machine' };
}

/** The prefix of a folder on its way out of cache/ (trash of a replace, a corrupt or pruned entry), or null. */
function outgoingPrefix(name: string): string | null {
  return [TRASH_PREFIX, ...Object.values(ASIDE_PREFIXES)].find((prefix) => name.startsWith(prefix)) ?? null;
}

/**
 * `rest` is `<key12>-<random>`: the folder is in use while some run holds a
 * lock on a key starting with key12 (a shared prefix only keeps it one sweep
 * longer). A name without a key is judged by age, as before.
 */
function outgoingInUse(dir: string, rest: string, heldKeys: () => string[]): boolean {
  const key12 = /^([0-9a-f]{12})-/.exec(rest)?.[1];
  if (!key12) return ageMs(dir) <= 60_000;
  return heldKeys().some((key) => key.startsWith(key12));
}

/** Finds what crashed runs left behind: staging folders, swapped-out entries, stale locks. */
export function findLeftovers(layout: Layout): Leftover[] {
  const found: Leftover[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(layout.tmp);
  } catch {
    /* no tmp yet */
  }
  let held: string[] | null = null;
  const heldKeys = (): string[] => (held ??= heldLockKeys(layout));
  for (const name of names) {
    const full = path.join(layout.tmp, name);
    if (name.startsWith(INIT_PREFIX)) {
      // Judged by the key lock like the rest: a run creates it (for microseconds, see Staging.create)
      // only while it holds its key's lock, so with the lock free it is a killed run's leftover.
      if (!outgoingInUse(full, name.slice(INIT_PREFIX.length), heldKeys))
        found.push({
          kind: 'staging',
          path: full,
          bytes: diskUsage(full),
          reason: 'a run was killed while creating it',
        });
      continue;
    }
    const outgoing = outgoingPrefix(name);
    if (outgoing) {
      // Judged like staging, by the key lock: only a run holding it creates these and deletes them before it lets go.
      if (!outgoingInUse(full, name.slice(outgoing.length), heldKeys))
        found.push({
          kind: outgoing === TRASH_PREFIX ? 'trash' : 'corrupt',
          path: full,
          bytes: diskUsage(full),
          reason: 'left by an interrupted run',
        });
      continue;
    }
    const { inUse, reason } = stagingInUse(layout, full, heldKeys);
    if (!inUse) found.push({ kind: 'staging', path: full, bytes: diskUsage(full), reason });
  }
  for (const lock of findLockTargets(layout.locks)) {
    const lockDir = `${lock}.lock`;
    const owner = readOwner(lock);
    const held = existsSync(lockDir) && isLockHeld(lock);
    if (held) continue;
    if (existsSync(lockDir) || existsSync(`${lock}.owner.json`)) {
      found.push({
        kind: 'lock',
        path: lockDir,
        bytes: 0,
        reason: owner && isDeadLocal(owner) ? `holder (pid ${owner.pid}) died` : 'no heartbeat',
      });
    }
  }
  for (const temp of findStaleTempOwners(layout.locks))
    found.push({ kind: 'lock', path: temp.file, bytes: 0, reason: temp.reason });
  return found;
}

/** Keys whose lock a live run holds now. */
function heldLockKeys(layout: Layout): string[] {
  return findLockTargets(layout.locks)
    .filter((target) => isLockHeld(target))
    .map((target) => path.basename(target));
}

function findLockTargets(dir: string): string[] {
  const targets = new Set<string>();
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.name.endsWith('.lock') && e.isDirectory()) targets.add(full.slice(0, -5));
      else if (e.name.endsWith('.owner.json')) targets.add(full.slice(0, -11));
      else if (e.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return [...targets];
}

/**
 * Removes leftovers. A swapped-out entry (trash) whose key has no entry any
 * more is put back instead: a crash between the two renames of a --force
 * replace must not lose the old entry.
 */
export function removeLeftovers(layout: Layout, leftovers: Leftover[]): void {
  let held: string[] | null = null;
  const heldKeys = (): string[] => (held ??= heldLockKeys(layout));
  // Only what is really gone is counted (statistics: leftovers swept, entries put back).
  const swept = (leftover: Leftover): void => {
    if (!existsSync(leftover.path))
      recordRecovery(layout, 'leftover-swept', null, { reason: leftover.kind, bytes: leftover.bytes });
  };
  for (const leftover of leftovers) {
    if (leftover.kind === 'lock' && isSweptLockFile(leftover.path)) {
      removeStaleTempOwner(leftover.path);
      swept(leftover);
      continue;
    }
    if (leftover.kind === 'lock') {
      const target = leftover.path.slice(0, -5);
      if (isLockHeld(target)) continue; // taken again since we looked
      rmSync(`${target}.owner.json`, { force: true });
      rmSync(leftover.path, { recursive: true, force: true });
      swept(leftover);
      continue;
    }
    if (leftover.kind === 'trash' || leftover.kind === 'corrupt') {
      // A run of that key may have started since we looked (it would own a trash folder of its own by now).
      const name = path.basename(leftover.path);
      const prefix = outgoingPrefix(name);
      if (prefix && outgoingInUse(leftover.path, name.slice(prefix.length), heldKeys)) continue;
    }
    if (leftover.kind === 'trash') {
      const ref = refFromMeta(leftover.path);
      if (ref && putBack(layout, { ref, dir: leftover.path })) {
        recordRecovery(layout, 'entry-restored', ref);
        continue;
      }
    }
    if (!existsSync(leftover.path)) continue; // put back or removed by another reader meanwhile
    removeTree(leftover.path);
    swept(leftover);
  }
}

/**
 * The orphaned child of a killed run may still be writing into its staging
 * folder; deleting then races it (ENOTEMPTY). Retry a little, and otherwise
 * leave the rest to the next sweep rather than fail the whole prune or verify.
 */
function removeTree(target: string): void {
  try {
    rmSync(target, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
  } catch {
    /* swept next time */
  }
}
