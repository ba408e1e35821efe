import { serialize } from 'node:v8';
import { runTask, type RunOutcome } from '../core/run-task.js';
import { runFunctionInProcess } from '../runner/function.js';
import type { RunResult } from '../runner/types.js';
import type { TaskContext } from '../config/types.js';
import type { ResolvedOptions } from './options.js';
import type { PreparedCall } from './prepare.js';
import type { CachableFunction } from './types.js';
import { settledAfterSignal, untilInterrupted } from './interrupted.js';
import { largeViewBytes, splitLargeViews } from '../store/chunked.js';

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

/**
 * Runs one call through the same path as `cachex run`: look up, take the
 * key's lock, look again, run the function in this process into a staging
 * folder, commit. If the function throws, runTask releases the lock and
 * drops the staging folder, and the error reaches the caller.
 */
export async function compute(
  fn: CachableFunction,
  options: ResolvedOptions,
  call: PreparedCall,
  force: boolean,
  onStart: () => void,
): Promise<Computed> {
  const { task } = options;
  let bytes: Buffer | null = null;
  const outcome = await settledAfterSignal(
    runTask({
      layout: call.layout,
      task,
      params: call.recorded,
      key: call.key,
      inputs: call.inputs,
      force,
      live: { stdout: null, stderr: null },
      events: {
        onStart,
        onCorrupt: (file, reason) =>
          warn(
            `The stored entry of ${task.name} ${call.key.slice(0, 12)} is corrupt (${file}: ${reason}); recomputing.`,
            'CACHEX_CORRUPT',
          ),
      },
      execute: async (io, ctx: TaskContext): Promise<RunResult & { unserialisable?: string }> => {
        const run = await untilInterrupted(runFunctionInProcess(fn, call.args, ctx), io.interrupt, task.name);
        try {
          // Big typed arrays past streamThreshold are written from their own memory, with no serialised copy.
          if (largeViewBytes(run.liveValue) >= options.streamThreshold) {
            const chunked = splitLargeViews(run.liveValue);
            serialize(chunked.skeleton); // fails here, as for any result, when something in it cannot be stored
            return { ...run, chunked };
          }
          bytes = serialize(run.liveValue);
        } catch (err) {
          return { ...run, unserialisable: (err as Error).message.replace(/\.$/, '') };
        }
        // Skipping compression of a huge result avoids a second full-size copy on store and on load.
        return { ...run, value: bytes, compress: bytes.length <= options.streamThreshold };
      },
    }),
  );
  if (outcome.status === 'hit') return { outcome, live: outcome.liveValue, bytes: outcome.result };
  if (outcome.storeError) {
    warn(`${task.name} was computed but could not be stored: ${outcome.storeError.message}`, 'CACHEX_STORE_ERROR');
  } else if (outcome.notStored && !outcome.entryDir) {
    // (With an entryDir, another process stored the same key first: nothing to warn about.)
    warn(`${task.name} was computed and returned but not stored, because ${outcome.notStored}.`, 'CACHEX_NOT_STORED');
  }
  return { outcome, live: outcome.liveValue, bytes };
}
