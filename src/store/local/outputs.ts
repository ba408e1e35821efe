import { type BigIntStats, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { sha256File } from '../../key/digest.js';
import type { OutputRecord } from '../meta.js';
import { statStamp } from '../../key/stamp.js';

/** Why a run's outputs cannot be stored (the run itself still succeeded). */
export class OutputRefused extends Error {}

/** When a stored output's stamp is unchanged since it was verified, its bytes are unchanged (see statStamp 'stored'). */
export function stampOf(file: string): string {
  return statStamp(lstatSync(file, { bigint: true }), 'stored');
}

/** True when `target` of a symlink at `linkRel` stays inside the output folder. */
export function symlinkStaysInside(linkRel: string, target: string): boolean {
  if (path.isAbsolute(target)) return false;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(linkRel), target));
  return resolved !== '..' && !resolved.startsWith('../') && resolved !== '.';
}

export type OutputProblem = { file: string; reason: string };

/**
 * Checks a stored output folder against its manifest. Files whose stat stamp
 * matches a verified one are trusted; others are re-hashed. Returns the first
 * problem, or the updated stamps (the given ones when none changed).
 */
export function checkOutputs(
  outDir: string,
  outputs: OutputRecord[],
  stamps: Record<string, string>,
  /** false: list every folder, whatever was remembered (`cachex verify` trusts no stamp). */
  trustListings = true,
): { problem: OutputProblem } | { stamps: Record<string, string>; changed: boolean } {
  // Only the stamps that differ are kept as they are found: a hit of 10 000 unchanged outputs builds no new table.
  const updated = new Map<string, string>();
  const expected = new Set(outputs.map((o) => o.path));
  const base = `${outDir}${path.sep}`;
  for (const o of outputs) {
    // No path.join per output (10 000 of them on a hit); a path that climbs is refused when placed, as before.
    const full = base + o.path;
    let st: BigIntStats;
    try {
      st = lstatSync(full, { bigint: true });
    } catch {
      return { problem: { file: `out/${o.path}`, reason: 'missing output' } };
    }
    const type = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    if (type !== o.type)
      return { problem: { file: `out/${o.path}`, reason: `output is a ${type}, expected a ${o.type}` } };
    if (o.type === 'symlink') {
      let target: string | null = null;
      try {
        target = readlinkSync(full);
      } catch {
        return { problem: { file: `out/${o.path}`, reason: 'missing output' } };
      }
      if (target !== o.target) return { problem: { file: `out/${o.path}`, reason: 'symlink target changed' } };
      continue;
    }
    if (o.type !== 'file') continue;
    if (Number(st.size) !== o.size)
      return {
        problem: {
          file: `out/${o.path}`,
          reason: `output size ${st.size} differs from the recorded ${o.size} (truncated or grown)`,
        },
      };
    // The stamp comes from the same lstat: a file removed after it (prune racing this hit) is missing, not an error.
    const stamp = statStamp(st, 'stored');
    if (stamps[o.path] !== stamp) {
      let digest: string;
      try {
        digest = sha256File(full);
      } catch {
        return { problem: { file: `out/${o.path}`, reason: 'missing output' } };
      }
      if (digest !== o.digest) return { problem: { file: `out/${o.path}`, reason: 'output digest mismatch' } };
      updated.set(o.path, stamp);
    }
  }
  // Anything else in the folders: their names are enough (every listed output was lstat'ed above), so one readdir
  // per folder, or one lstat for a folder whose listing this process checked before (listedFolders).
  const folders = [''];
  for (const o of outputs) if (o.type === 'dir') folders.push(o.path);
  for (const rel of folders) {
    const folder = rel ? path.join(outDir, rel) : outDir;
    const stamp = folderStamp(folder);
    if (trustListings && stamp !== null && listedFolders.get(folder) === stamp) continue;
    let names: string[];
    try {
      names = readdirSync(folder).sort();
    } catch {
      return { problem: { file: rel ? `out/${rel}` : 'out', reason: 'output folder missing' } };
    }
    for (const name of names) {
      const child = rel ? `${rel}/${name}` : name;
      if (!expected.has(child))
        return { problem: { file: `out/${child}`, reason: 'unexpected file not in the manifest' } };
    }
    rememberListed(folder, stamp);
  }
  if (updated.size === 0) return { stamps, changed: false };
  const fresh: Record<string, string> = {};
  for (const o of outputs) if (o.type === 'file') fresh[o.path] = updated.get(o.path) ?? stamps[o.path];
  return { stamps: fresh, changed: true };
}

/**
 * Output folders whose listing a hit checked in this process, by path, with
 * the folder's stamp taken just before that readdir: dev, inode, size, mtime
 * and ctime. Creating, removing or renaming a name in a folder sets its mtime
 * and ctime, and nothing but the kernel sets ctime, so the same stamp means
 * the same names — one lstat instead of a readdir (five system calls) for a
 * library disk hit. In memory only: every process lists each folder once.
 */
const listedFolders = new Map<string, string>();
const LISTED_FOLDERS = 4096;
/** A folder changed this recently is not remembered: a second change within the clock's granularity could keep its stamp. */
const RACY_MS = 1000;

function folderStamp(folder: string): string | null {
  try {
    const st = lstatSync(folder, { throwIfNoEntry: false });
    if (!st?.isDirectory() || Date.now() - Math.max(st.mtimeMs, st.ctimeMs) <= RACY_MS) return null;
    return `${st.dev} ${st.ino} ${st.size} ${st.mtimeMs} ${st.ctimeMs}`;
  } catch {
    return null;
  }
}

function rememberListed(folder: string, stamp: string | null): void {
  if (stamp === null) {
    listedFolders.delete(folder);
    return;
  }
  if (listedFolders.size >= LISTED_FOLDERS) listedFolders.clear();
  listedFolders.set(folder, stamp);
}
