import { statfsSync } from 'node:fs';
import { childProcess, os } from '../../lazy-builtins.js';

/** From this many files a sealed entry is flushed with one syncfs instead of one fsync per file (issue 14). */
export const SYNCFS_FROM_FILES = 64;

/**
 * File systems (statfs f_type) whose syncfs writes back every dirty page and
 * commits the journal (directory entries included) before it returns, as
 * fsync of each file and folder would: ext2/3/4, xfs, btrfs; tmpfs holds
 * everything in memory, where fsync does nothing either. Others (network
 * file systems, FUSE, overlayfs on old kernels…) keep the per-file fsyncs.
 */
const FLUSHING_TYPES = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994]);

/**
 * syncfs reports write-back errors (EIO on a page written back earlier, not
 * yet seen by anyone) only since Linux 5.8; before, it returned 0 whatever
 * happened, and only fsync of each file was a guarantee.
 */
function kernelReportsErrors(): boolean {
  const [major, minor] = os().release().split('.').map(Number);
  return major > 5 || (major === 5 && minor >= 8);
}

/** True when one syncfs of the file system holding `dir` flushes as much as fsync of everything in it would. */
export function syncfsFlushes(dir: string): boolean {
  if (process.platform !== 'linux' || !kernelReportsErrors()) return false;
  try {
    return FLUSHING_TYPES.has(statfsSync(dir).type);
  } catch {
    return false;
  }
}

/**
 * Flushes the whole file system holding `dir` (where syncfsFlushes) with one
 * syncfs(2) — Node has no binding for it; coreutils' `sync -f` is one. True
 * when it did (exit 0: every dirty page of that file system, the entry's
 * included, is on disk, and no write-back error unseen by anyone was
 * pending); false when `sync` is missing, fails or is killed: that is not
 * taken as a flush, the caller then fsyncs each file, which reports any real
 * error. Why: 10 000 fsyncs cost 1–2 s of journal commits on ext4, one syncfs
 * one commit; it also writes back other processes' dirty pages on that file
 * system, which is why few files keep the bounded fsyncs.
 */
export function syncFileSystem(dir: string): boolean {
  const r = childProcess().spawnSync('sync', ['-f', dir], { stdio: 'ignore' });
  return r.status === 0;
}

/**
 * syncFileSystem started now and answered later, so that the disk writes the
 * task's pages back while the caller hashes them (reads from the page cache do
 * not wait for write-back). It flushes what was dirty when it began: pages
 * dirtied after (the seal's chmods, its manifest) need one more syncFileSystem,
 * then cheap. False as syncFileSystem's false; never rejects.
 */
export function startSyncFileSystem(dir: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = childProcess().spawn('sync', ['-f', dir], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}
