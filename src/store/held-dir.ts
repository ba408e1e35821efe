import { closeSync, constants, existsSync, lstatSync, openSync, statSync } from 'node:fs';
import path from 'node:path';

/** A child folder opened without following a symlink in its place. */
const CHILD_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

let procFd: boolean | null = null;
/** Linux names an open descriptor /proc/self/fd/N: paths through it resolve against the held folder, like openat(2). */
function haveProcFd(): boolean {
  procFd ??= existsSync('/proc/self/fd');
  return procFd;
}

export type Missing = { absent: 'missing' | 'symlink' | 'other' };

/**
 * A folder held open by descriptor. Names inside it resolve against the
 * folder itself, whatever its path points at by then, and a child is opened
 * with O_NOFOLLOW: a symlink planted in the tree cannot redirect a later
 * write or rename (Node has no openat(2); /proc/self/fd/N plays its part).
 * Without /proc it falls back to check-then-use on plain paths.
 */
export class HeldDir {
  private constructor(
    /** A path to the held folder: /proc/self/fd/N, or the plain path without /proc. */
    readonly path: string,
    private fd: number | null,
  ) {}

  /** The target folder itself (a symlink there is the caller's own choice, so it is followed); null when absent. */
  static open(dir: string): HeldDir | null | 'not-a-folder' {
    if (!haveProcFd()) {
      try {
        return statSync(dir).isDirectory() ? new HeldDir(dir, null) : 'not-a-folder';
      } catch {
        return null;
      }
    }
    try {
      const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
      return new HeldDir(`/proc/self/fd/${fd}`, fd);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      if (code === 'ENOTDIR') return 'not-a-folder';
      throw err;
    }
  }

  at(name: string): string {
    return path.join(this.path, name);
  }

  /** A child folder, or why there is none to enter (absent, a symlink, something else). */
  child(name: string): HeldDir | Missing {
    const full = this.at(name);
    if (!haveProcFd()) {
      try {
        const st = lstatSync(full);
        if (st.isDirectory()) return new HeldDir(full, null);
        return { absent: st.isSymbolicLink() ? 'symlink' : 'other' };
      } catch {
        return { absent: 'missing' };
      }
    }
    try {
      const fd = openSync(full, CHILD_FLAGS);
      return new HeldDir(`/proc/self/fd/${fd}`, fd);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { absent: 'missing' };
      if (code !== 'ELOOP' && code !== 'ENOTDIR') throw err;
      try {
        return { absent: lstatSync(full).isSymbolicLink() ? 'symlink' : 'other' };
      } catch {
        return { absent: 'missing' };
      }
    }
  }

  close(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
    this.fd = null;
  }
}
