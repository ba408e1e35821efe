import { LocalStore } from './local/local-store.js';

/**
 * The store of one data folder. Today that is the local store; a remote
 * tier (store/remote/) will be put in front of it here, as a tiered store
 * implementing the same EntryStore interface, so no caller changes.
 */
export function openStore(dataFolder: string): LocalStore {
  return new LocalStore(dataFolder);
}

export type { LocalStore };
export type { Leftover } from './local/sweep.js';
export type { PruneReason, PruneResult, PruneSelectors } from './local/prune.js';

export type { VerifyReport } from './local/verify.js';
export type { ChunkedValue } from './local/chunked.js';
export { hasSelector } from './local/prune.js';
