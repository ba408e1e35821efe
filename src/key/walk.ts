import { type Dirent, lstatSync, readdirSync, type Stats } from 'node:fs';
import path from 'node:path';

export interface TreeItem {
  /** Path below the root, with "/" separators. */
  rel: string;
  full: string;
  /** lstat of the item: symlinks are reported, never followed. */
  st: Stats;
}

export interface WalkOptions {
  /** Whether to go into a folder (default: every folder). */
  descend?: (item: TreeItem) => boolean;
  /** An unreadable folder: throw (keys must not silently skip inputs) or skip it (listings, sizes). */
  onError?: 'throw' | 'skip';
}

/**
 * The one tree walker: every item under `root`, depth-first in sorted name
 * order, so digests and manifests come out the same on every machine.
 */
export function* walkTree(root: string, options: WalkOptions = {}, rel = ''): Generator<TreeItem> {
  let names: string[];
  try {
    names = readdirSync(rel ? path.join(root, rel) : root).sort();
  } catch (err) {
    if (options.onError === 'skip') return;
    throw err;
  }
  for (const name of names) {
    const itemRel = rel ? `${rel}/${name}` : name;
    const full = path.join(root, itemRel);
    let st: Stats;
    try {
      st = lstatSync(full);
    } catch (err) {
      if (options.onError === 'skip') continue;
      throw err;
    }
    const item = { rel: itemRel, full, st };
    yield item;
    if (st.isDirectory() && (options.descend?.(item) ?? true)) yield* walkTree(root, options, itemRel);
  }
}

export interface NamedItem {
  /** Path below the root, with "/" separators. */
  rel: string;
  full: string;
  /** Its type as the folder listing gives it (symlinks are symlinks, never followed). */
  entry: Dirent;
}

/**
 * walkTree's items in walkTree's order, typed by the folder listing instead of
 * an lstat each: for a second pass over a tree whose first pass (walkTree)
 * checked it, at a readdir per folder (sealing 10 000 outputs walks them twice).
 */
export function* walkNames(root: string, rel = ''): Generator<NamedItem> {
  const entries = readdirSync(rel ? path.join(root, rel) : root, { withFileTypes: true });
  // The order of walkTree's sort(): by UTF-16 code units.
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const itemRel = rel ? `${rel}/${entry.name}` : entry.name;
    yield { rel: itemRel, full: path.join(root, itemRel), entry };
    if (entry.isDirectory()) yield* walkNames(root, itemRel);
  }
}
