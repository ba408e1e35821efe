import { closeSync, fsyncSync, openSync } from 'node:fs';

/** Flushes a file or directory to disk so a rename after it survives power loss. */
export function fsyncPath(target: string): void {
  const fd = openSync(target, 'r');
  try {
    fsyncSync(fd);
  } catch (err) {
    // Some file systems (and directories on some platforms) refuse fsync; the rename still orders writes in practice.
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL' && (err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
  } finally {
    closeSync(fd);
  }
}
