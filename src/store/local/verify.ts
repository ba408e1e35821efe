import { isLockHeld, tryAcquireKeyLock } from '../../lock/key-lock.js';
import { diskUsage, entryRefs } from './catalog.js';
import type { EntryRef, Layout } from '../layout.js';
import { loadEntry } from './load.js';
import { removeEntry } from './remove.js';
import { findLeftovers, removeLeftovers, type Leftover } from './sweep.js';
import { restoreAbandoned, swappedOut } from './swapped-out.js';
import { countTakeOver, recordRecovery } from './recovery.js';

export interface CorruptEntry {
  ref: EntryRef;
  /** The first file that failed its check, relative to the entry folder. */
  file: string;
  reason: string;
  bytes: number;
  /** Set aside by --fix. False when a run took the key meanwhile (and may be replacing the entry). */
  removed: boolean;
}

export interface VerifyReport {
  /** Entries whose every file was re-hashed. */
  checked: number;
  corrupt: CorruptEntry[];
  /** Entries whose key lock a live run holds: a --force may be swapping them, so they are left alone. */
  inUse: EntryRef[];
  /** Staging folders of crashed runs, swapped-out entries, stale locks. */
  leftovers: Leftover[];
  fixed: boolean;
}

export interface VerifyOptions {
  /** Remove corrupt entries and leftovers. */
  fix?: boolean;
}

/**
 * Re-hashes every entry's result, logs and outputs against its meta.yaml (as
 * cacache's verify does for its content) and finds what crashed runs left.
 * With `fix`, leftovers go first, so a swapped-out entry put back by the
 * sweep is checked with the rest.
 */
export async function verifyStore(layout: Layout, options: VerifyOptions = {}): Promise<VerifyReport> {
  const fix = Boolean(options.fix);
  // An entry a killed --force left moved aside is the store's committed state: put it back before looking.
  restoreAbandoned(layout);
  const leftovers = findLeftovers(layout);
  if (fix) removeLeftovers(layout, leftovers);
  const report: VerifyReport = { checked: 0, corrupt: [], inUse: [], leftovers, fixed: fix };
  for (const ref of entryRefs(layout)) {
    if (isLockHeld(layout.lockTarget(ref))) {
      report.inUse.push(ref);
      continue;
    }
    const outcome = await loadEntry(layout, ref, undefined, { rehashOutputs: true });
    if (outcome.status === 'miss') continue; // removed since the listing
    if (outcome.status === 'hit') {
      report.checked++;
      continue;
    }
    // A run that took the key while we read may have been swapping the entry: what we saw proves nothing.
    if (isLockHeld(layout.lockTarget(ref))) {
      report.inUse.push(ref);
      continue;
    }
    report.checked++;
    recordRecovery(layout, 'corrupt-found', ref, { reason: `${outcome.file}: ${outcome.reason}` });
    const problem: CorruptEntry = {
      ref,
      file: outcome.file,
      reason: outcome.reason,
      bytes: diskUsage(layout.entryDir(ref)),
      removed: false,
    };
    if (fix) {
      const fate = await removeCorrupt(layout, ref);
      if (fate === 'healthy') continue; // replaced by a fresh entry since it was found
      problem.removed = fate === 'removed';
    }
    report.corrupt.push(problem);
  }
  // Moved aside by a --force that is storing its new entry right now: in use, like any key being replaced.
  for (const aside of swappedOut(layout)) if (isLockHeld(layout.lockTarget(aside.ref))) report.inUse.push(aside.ref);
  return report;
}

/**
 * Sets a corrupt entry aside under its key's lock, so it never races a run
 * that is storing a fresh entry for the same key; re-checked under the lock,
 * because such a run may have replaced it since it was found corrupt.
 */
async function removeCorrupt(layout: Layout, ref: EntryRef): Promise<'removed' | 'healthy' | 'in use'> {
  // Never wait for a running task: skip the key, as prune does.
  const lock = await tryAcquireKeyLock(layout.lockTarget(ref), countTakeOver(layout, ref));
  if (!lock) return 'in use';
  try {
    const again = await loadEntry(layout, ref, undefined, { rehashOutputs: true });
    if (again.status === 'hit') return 'healthy';
    if (again.status === 'corrupt' && removeEntry(layout, ref, 'corrupt') === 'removed')
      recordRecovery(layout, 'set-aside', ref);
    return 'removed'; // a miss: someone else removed it meanwhile
  } finally {
    await lock.release();
  }
}
