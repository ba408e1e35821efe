import { setTimeout as sleep } from 'node:timers/promises';
import { CachexError } from '../errors.js';
import type { RunIo } from '../runner/types.js';

/**
 * Ctrl-C or SIGTERM during a miss: runTask catches the signal to clean up,
 * but a function running in this process cannot be stopped. So the call gives
 * up on it — rejects at once — and runTask drops the staging folder, releases
 * the lock and lets the signal end the process (or, when the program handles
 * the signal itself, the caller gets this error). The abandoned function's
 * eventual result is ignored.
 */
export class Interrupted extends CachexError {}

export function untilInterrupted<T>(work: Promise<T>, interrupt: RunIo['interrupt'], name: string): Promise<T> {
  if (!interrupt) return work;
  let stop: (() => unknown) | undefined;
  const cancelled = new Promise<never>((_resolve, reject) => {
    stop = interrupt.onCancel((signal) =>
      reject(new Interrupted(`${name} was interrupted by ${signal}; nothing was stored.`)),
    );
  });
  return Promise.race([work, cancelled]).finally(() => stop?.());
}

/**
 * When interrupted, runTask re-sends the signal to end the process once it has
 * cleaned up; the signal is handled on a later turn of the event loop, while
 * the rejection would reach the caller at once (and end the program with an
 * "unhandled rejection" instead of the signal). So the rejection waits a
 * moment: the process ends by the signal, or, when the program handles the
 * signal itself and goes on, the caller gets the error.
 */
export async function settledAfterSignal<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof Interrupted) await sleep(200);
    throw err;
  }
}
