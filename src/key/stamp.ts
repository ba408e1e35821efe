import type { BigIntStats } from 'node:fs';

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
 */
export function statStamp(st: BigIntStats, kind: 'content' | 'file' | 'folder'): string {
  if (kind === 'folder') return `${st.dev} ${st.ino}`;
  if (kind === 'file') return `${st.dev} ${st.ino} ${st.size} ${st.mtimeNs}`;
  return `${st.dev} ${st.ino} ${st.size} ${st.mtimeNs} ${st.ctimeNs}`;
}
