import { closeSync, fsync, fsyncSync, openSync } from 'node:fs';

/** fsync errors that mean "this file system does not flush this kind of file", not a failed flush. */
function refusedFlush(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  // Some file systems (and directories on some platforms) refuse fsync; the rename still orders writes in practice.
  return code === 'EINVAL' || code === 'EISDIR';
}

/** Flushes a file or directory to disk so a rename after it survives power loss. */
export function fsyncPath(target: string): void {
  const fd = openSync(target, 'r');
  try {
    fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncPath for a descriptor already open (the caller closes it). */
export function fsyncFd(fd: number): void {
  try {
    fsyncSync(fd);
  } catch (err) {
    if (!refusedFlush(err)) throw err;
  }
}

/** fsyncs in flight at once: one at a time cost 3.2 s on 10 000 files, 16 at once 1.3 s (issue 14). */
const IN_FLIGHT = 16;

/**
 * Flushes many files with a bounded number of fsyncs in flight, on libuv's
 * threads, while the caller goes on (hashing the next output). The caller
 * hands over an open descriptor, which is closed once flushed; `done()`
 * resolves when every fsync has completed and throws the first failure, so
 * the entry is committed (renamed into place) only after all its files are
 * on disk — the same order as one fsync after another.
 */
export class Flusher {
  private inFlight = 0;
  private failure: unknown = null;
  private wake: (() => void) | null = null;

  /** Starts flushing `fd` (taken over: always closed); waits first while IN_FLIGHT are running. */
  async add(fd: number): Promise<void> {
    while (this.inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => (this.wake = resolve));
    this.inFlight++;
    fsync(fd, (err) => {
      try {
        closeSync(fd);
      } catch (closeErr) {
        this.failure ??= closeErr;
      }
      if (err && !refusedFlush(err)) this.failure ??= err;
      this.inFlight--;
      const wake = this.wake;
      this.wake = null;
      wake?.();
    });
  }

  /** Opens `target` read-only and flushes it (folders too: their entries are what a rename relies on). */
  addPath(target: string): Promise<void> {
    return this.add(openSync(target, 'r'));
  }

  async done(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure) throw this.failure;
  }
}
