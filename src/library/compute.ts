import { runTask, type RunOutcome, type RunRequest } from '../core/run-task.js';
import { runIfFreshHit } from '../core/hit.js';
import type { ResolvedOptions } from './options.js';
import type { PreparedCall } from './prepare.js';
import type { CachableFunction } from './types.js';
import { settledAfterSignal, untilInterrupted } from './interrupted.js';
import { storageWords } from '../output/not-stored.js';
import { formatBytes } from '../output/format.js';
import { storeCaps } from '../config/caps.js';

export interface Computed {
  outcome: RunOutcome;
  /** The function's own return value (misses), or a large result read as a stream (hits). */
  live: unknown;
  /** The serialised value: the stored result (hits) or the one just serialised (misses, when it could be). */
  bytes: Buffer | null;
}

function warn(message: string, code: string): void {
  process.emitWarning(message, { type: 'CachexWarning', code });
}

/** A stale hit was returned; its refresh runs on (a failure is a warning, never an unhandled rejection). */
function refreshInBackground(refresh: () => Promise<RunOutcome>, name: string): void {
  refresh().catch((err: unknown) =>
    warn(`Refreshing the stale entry of ${name} failed: ${(err as Error)?.message ?? String(err)}`, 'CACHEX_REFRESH'),
  );
}

/**
 * Runs one call through the same path as `cachex run`: look up, take the
 * key's lock, look again, run the function in this process into a staging
 * area, store. If the function throws, runTask releases the lock and drops
 * the staging area, and the error reaches the caller.
 */
export async function compute(
  fn: CachableFunction,
  options: ResolvedOptions,
  call: PreparedCall,
  force: boolean,
  onStart: () => void,
): Promise<Computed> {
  const { task } = options;
  const req: RunRequest = {
    store: call.store,
    task,
    params: call.recorded,
    key: call.key,
    inputs: call.inputs,
    force,
    door: {
      kind: 'library',
      fn,
      args: call.args,
      streamThreshold: options.streamThreshold,
      guard: (work, io) => untilInterrupted(work, io.interrupt, task.name),
    },
    live: { stdout: null, stderr: null },
    lifetime: options.lifetime,
    events: {
      onStart,
      onCorrupt: (file, reason) =>
        warn(
          `The stored entry of ${task.name} ${call.key.slice(0, 12)} is corrupt (${file}: ${reason}); recomputing.`,
          'CACHEX_CORRUPT',
        ),
    },
  };
  // A fresh hit is checked, recorded and counted as runTask would, without its lock, caps and signal handling
  // (null: anything else — a miss, a corrupt, stale or expired entry — and runTask decides, from the start).
  const hit = force ? null : await runIfFreshHit(req);
  if (hit) return { outcome: hit, live: hit.liveValue, bytes: hit.result };
  const outcome = await settledAfterSignal(
    runTask({
      ...req,
      caps: storeCaps(options.caps, call.store, process.env, (left, cap) =>
        warn(
          `The store takes ${formatBytes(left)}, over maxSize ${formatBytes(cap)}, but what is left is in use (held by a run or used in the last minute); it is pruned again after a later store.`,
          'CACHEX_OVER_MAX_SIZE',
        ),
      ),
    }),
  );
  if (outcome.refresh) refreshInBackground(outcome.refresh, task.name);
  if (outcome.status === 'hit') return { outcome, live: outcome.liveValue, bytes: outcome.result };
  const storage = outcome.storage;
  if (storage?.kind === 'store-failed') {
    warn(`${task.name} was computed but could not be stored: ${storage.error.message}`, 'CACHEX_STORE_ERROR');
  } else if (storage?.kind === 'not-stored') {
    warn(
      `${task.name} was computed and returned but not stored, because ${storageWords(storage)}.`,
      'CACHEX_NOT_STORED',
    );
  }
  return { outcome, live: outcome.liveValue, bytes: outcome.result };
}
