import { existsSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { isLockHeld } from '../../lock/key-lock.js';
import { ENTRY_FILES, assertRef, type EntryRef, type Layout } from '../layout.js';
import { TRASH_PREFIX } from './staging.js';
import { recordRecovery } from './recovery.js';
import { checkMeta } from '../meta.js';

/**
 * A --force replace moves the old entry to tmp/trash-<key12>-… and then
 * renames the new one in (Node has no RENAME_EXCHANGE). Between the two
 * renames the key has no folder in cache/: these helpers let readers see the
 * moved-aside entry then, and put it back at once when the run that moved it
 * died there.
 */
export interface SwappedOut {
  ref: EntryRef;
  dir: string;
}

/** The entry a staged or swapped-out folder belongs to, from its meta.yaml; null when unreadable. */
export function refFromMeta(dir: string): EntryRef | null {
  let text: string;
  try {
    text = readFileSync(path.join(dir, ENTRY_FILES.meta), 'utf8');
  } catch {
    return null;
  }
  // The one checked reader: a swapped-out folder whose meta.yaml was altered is not put back.
  const read = checkMeta(text);
  if (!('meta' in read)) return null;
  const ref = { module: read.meta.module, task: read.meta.task, key: read.meta.key };
  try {
    assertRef(ref);
    return ref;
  } catch {
    return null;
  }
}

const sameRef = (a: EntryRef, b: EntryRef): boolean => a.key === b.key && a.task === b.task && a.module === b.module;

/** Moved-aside entries whose key has no entry in cache/ right now (optionally of one ref only). */
export function swappedOut(layout: Layout, only?: EntryRef): SwappedOut[] {
  let names: string[];
  try {
    names = readdirSync(layout.tmp);
  } catch {
    return [];
  }
  const prefix = only ? `${TRASH_PREFIX}${only.key.slice(0, 12)}-` : TRASH_PREFIX;
  const found: SwappedOut[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const dir = path.join(layout.tmp, name);
    const ref = refFromMeta(dir);
    if (!ref || (only && !sameRef(ref, only))) continue;
    if (!existsSync(layout.entryDir(ref))) found.push({ ref, dir });
  }
  return found;
}

/** Renames a swapped-out folder back into cache/ unless its key has an entry again; false when it did not. */
export function putBack(layout: Layout, aside: SwappedOut): boolean {
  try {
    const target = layout.entryDir(aside.ref);
    if (existsSync(target)) return false;
    renameSync(aside.dir, target);
    return true;
  } catch {
    return false; // a read-only store, or another reader put it back first
  }
}

/**
 * Puts back every swapped-out entry whose run is gone: its key's lock is not
 * held by a live process (judged by the owner, as for staging folders). A
 * live run is between its two renames for microseconds and finishes itself.
 * `locked`: the caller holds that key's lock (so no run can be mid-replace).
 * Returns whether it put any entry back.
 */
export function restoreAbandoned(layout: Layout, only?: EntryRef, locked = false): boolean {
  if (only && existsSync(layout.entryDir(only))) return false; // the usual case: one stat
  let restored = false;
  for (const aside of swappedOut(layout, only)) {
    if ((locked || !isLockHeld(layout.lockTarget(aside.ref))) && putBack(layout, aside)) {
      recordRecovery(layout, 'entry-restored', aside.ref);
      restored = true;
    }
  }
  return restored;
}
