import type { BigIntStats, Stats } from 'node:fs';

/**
 * The one stat stamp. Which fields go in depends on the question:
 * - 'content' ("may its bytes have changed?", trusted instead of re-hashing):
 *   dev and ino (another file renamed into place), size, mtime (a write) and
 *   ctime (an edit whose mtime was set back, which `touch -d` can do and
 *   nothing but the kernel can do to ctime).
 * - 'file' ("is this still the same stored file?", a memory layer's check):
 *   dev, ino, size, mtime; no ctime, which a hit's own bookkeeping may touch.
 * - 'folder' ("is this still the same entry folder?"): dev and ino only,
 *   since a folder's size and mtime change whenever a file in it is added.
 * - 'stored' ("may a stored output's bytes have changed?", trusted by a hit
 *   instead of re-hashing): dev, ino, size, mtime and mode, no ctime. A hard-link
 *   restore (link, and later the user's unlink) changes the stored file's ctime
 *   and nothing else, so with ctime every hit after one re-hashed all outputs.
 *   Leaving it out is safe for these files: they are read-only (0444) in a folder
 *   only cachex writes; a write sets the mtime (and usually the size), replacing
 *   the file changes the inode, making it writable changes the mode. What is left
 *   is an in-place write as root that then sets the mtime back to the nanosecond
 *   — tampering, which `cachex verify` still catches: it re-hashes every byte.
 */
export function statStamp(st: BigIntStats, kind: 'content' | 'file' | 'folder' | 'stored'): string {
  if (kind === 'folder') return `${st.dev} ${st.ino}`;
  if (kind === 'stored') return `${st.dev} ${st.ino} ${st.size} ${st.mtimeNs} ${st.mode}`;
  if (kind === 'file') return `${st.dev} ${st.ino} ${st.size} ${st.mtimeNs}`;
  return `${st.dev} ${st.ino} ${st.size} ${st.mtimeNs} ${st.ctimeNs}`;
}

/**
 * The 'file' and 'content' questions from a plain stat, for checks made on every call or for every entry (a library
 * memory hit, a disk hit's meta.yaml, the 10 000 meta.yaml stamps of a listing through its summary): a bigint stat
 * costs a fifth more, and 5 % of a 10 000-entry `ls`. Its numbers are doubles, so an inode above 2^53 or two times
 * within a quarter of a microsecond could read alike. With dev, size and mtime beside the inode, a replaced file (a
 * new file written at another time) still reads differently; and the listing summary keeps a 'content' stamp only of
 * a file unchanged for 50 ms before it was read (summary.ts settledMetaStamp), so any later change, which sets its
 * ctime to the time of the change, moves it by more than that.
 */
export function plainStamp(st: Stats, kind: 'content' | 'file'): string {
  const file = `${st.dev} ${st.ino} ${st.size} ${st.mtimeMs}`;
  return kind === 'file' ? file : `${file} ${st.ctimeMs}`;
}
