import { formatBytes } from './format.js';
import type { NotStoredReason, Storage } from '../store/entry-store.js';

/** Why a run was not stored, in words that name no CLI flag (both doors show them). */
export function notStoredWords(reason: NotStoredReason): string {
  switch (reason.kind) {
    case 'interrupted':
      return `the run was interrupted by ${reason.signal}`;
    case 'killed':
      return `the run was killed by ${reason.signal}`;
    case 'failed':
      return `the run exited with code ${reason.exitCode} (failures are not cached unless the task sets cacheFailures)`;
    case 'unserialisable':
      return `the result cannot be serialised (${reason.detail})`;
    case 'input-changed':
      return 'an input file changed while the task ran';
    case 'output-missing':
      return `the declared output ${reason.path} was not produced`;
    case 'output-refused':
      return reason.detail;
    case 'no-space':
      return `storing it would leave ${formatBytes(reason.freeBytes)} free on the data folder's disk, less than the ${formatBytes(reason.minFreeBytes)} to keep free (minFreeSpace, CACHEX_MIN_FREE_SPACE), even after pruning the least recently used entries not in use`;
  }
}

/** The "not stored" explanation of a storage outcome, or null when it was stored. */
export function storageWords(storage: Storage | null): string | null {
  if (!storage) return null;
  switch (storage.kind) {
    case 'stored':
      return null;
    case 'kept-existing':
      return 'another run stored this key first; its entry was kept';
    case 'not-stored':
      return notStoredWords(storage.reason);
    case 'store-failed':
      return storage.error.message;
  }
}
