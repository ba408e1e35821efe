import { lstatSync, readdirSync, type Stats } from 'node:fs';
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
