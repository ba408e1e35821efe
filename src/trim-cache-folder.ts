import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

export interface TrimOptions {
  /** Which names are ours to remove (the folder may hold other tools' files). */
  owns: (name: string) => boolean;
  keep: number;
  unusedMs: number;
}

export const CACHE_FOLDER_LIMITS = { keep: 64, unusedMs: 30 * 24 * 3600_000 };

/**
 * Keeps a folder of derived caches (the V8 code caches in the temp folder, the transpiled
 * configs beside jiti's cache) from growing without end. Each install path, Node version and
 * edit of a config adds a file there and nothing else ever removes one: a CI runner that checks
 * out into a new folder per job gained half a megabyte per job. Run after a new file is
 * written (rare: once per new bundle, path or config source), never on a read.
 *
 * A file counts as used when it was last read or written (the later of atime and mtime; with
 * `relatime`, Linux's default, a read moves atime at most once a day, which is enough here).
 * Files unused for `unusedMs` go, then the least recently used beyond `keep`. Removing one that
 * is in use costs its next reader one plain compile or transform, never a wrong result: every
 * reader checks what it reads. Temporary files a crashed writer left go after `unusedMs` too.
 *
 * `written` is the file just written: its mtime is the time now. Not Date.now(), which a config
 * load's trace takes for a side effect of the config (a transform runs inside the load).
 */
export function trimCacheFolder(written: string, options: TrimOptions): void {
  const dir = path.dirname(written);
  const now = statSync(written, { throwIfNoEntry: false })?.mtimeMs;
  if (now === undefined) return;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const used: { file: string; at: number }[] = [];
  for (const name of names) {
    if (!options.owns(name)) continue;
    const file = path.join(dir, name);
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    used.push({ file, at: Math.max(st.atimeMs, st.mtimeMs) });
  }
  used.sort((a, b) => b.at - a.at);
  used.forEach(({ file, at }, i) => {
    if (i < options.keep && now - at < options.unusedMs) return;
    try {
      rmSync(file, { force: true });
    } catch {
      // Someone else's to remove (another user's folder would not have been trusted anyway).
    }
  });
}
