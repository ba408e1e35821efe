import { linkSync, renameSync, rmSync } from 'node:fs';

/**
 * Puts a finished temporary file in place as `file`, atomically (a reader sees the whole file or
 * none), for the caches beside the store (transpiled configs, the full CLI's code cache). By
 * link(2) rather than rename(2): the crash tests kill cachex at a counted rename of the store
 * (test/helpers/faults.ts), and a cache written by one run and not the next must not shift
 * that count. An existing file is replaced (it was found wanting); best effort throughout.
 */
export function publishFile(temp: string, file: string): void {
  try {
    linkSync(temp, file);
  } catch (err) {
    try {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') renameSync(temp, file);
      else {
        rmSync(file, { force: true });
        linkSync(temp, file);
      }
    } catch {
      // Another writer won, or the folder does not take links: the next run tries again.
    }
  } finally {
    rmSync(temp, { force: true });
  }
}
