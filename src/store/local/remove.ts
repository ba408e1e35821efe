import { crypto } from '../../lazy-builtins.js';
import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { EntryRef, Layout } from '../layout.js';
import { makeDirs } from '../make-dirs.js';

/**
 * Why an entry left cache/: the prefix of its folder in tmp/ while it is deleted.
 * A crash mid-delete leaves such a folder, which the sweep recognises by name.
 */
export const ASIDE_PREFIXES = { corrupt: 'corrupt-', pruned: 'pruned-' } as const;

/**
 * Takes an entry out of cache/ in one rename (readers see all of it or
 * nothing), then deletes it from tmp/. Throws when the rename fails.
 */
export function moveAside(layout: Layout, ref: EntryRef, why: keyof typeof ASIDE_PREFIXES): void {
  const aside = path.join(
    layout.tmp,
    `${ASIDE_PREFIXES[why]}${ref.key.slice(0, 12)}-${crypto().randomBytes(4).toString('hex')}`,
  );
  makeDirs(layout.tmp);
  renameSync(layout.entryDir(ref), aside);
  rmSync(aside, { recursive: true, force: true });
}

/**
 * The one removal path: moved aside in one rename; 'gone' when there was
 * nothing. A corrupt entry that cannot be moved is deleted in place (half of
 * it is still a miss); a healthy one is not, so readers never see half of it.
 */
export function removeEntry(layout: Layout, ref: EntryRef, why: keyof typeof ASIDE_PREFIXES): 'removed' | 'gone' {
  try {
    moveAside(layout, ref, why);
    return 'removed';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    if (why !== 'corrupt') throw err;
    rmSync(layout.entryDir(ref), { recursive: true, force: true });
    return 'removed';
  }
}
