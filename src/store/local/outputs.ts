import { type BigIntStats, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { sha256File } from '../../key/digest.js';
import type { OutputRecord } from '../meta.js';
import { statStamp } from '../../key/stamp.js';
import type { VerifiedStamps } from './verified-stamps.js';

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

/** One lstat options object for every output (no allocation per call). */
const BIGINT: { bigint: true } = { bigint: true };

/**
 * Checks a stored output folder against its manifest. Files whose stat stamp
 * matches a verified one are trusted; others are re-hashed. Returns the first
 * problem, or the stamps to write back when any changed (null when none did).
 */
export function checkOutputs(
  outDir: string,
  outputs: OutputRecord[],
  known: VerifiedStamps,
  /** false: list every folder, whatever was remembered (`cachex verify` trusts no stamp). */
  trustListings = true,
): { problem: OutputProblem } | { changed: Record<string, string> | null } {
  // Only the stamps that differ are kept as they are found: a hit of 10 000 unchanged outputs builds no new table.
  const updated = new Map<string, string>();
  // How many outputs each folder holds ('' is out/ itself), for the listing check; counted per run of outputs with
  // one parent (a whole folder of files, in walk order), not per output. Only a manifest whose paths strictly
  // increase is known to list no path twice, which the count relies on.
  const inFolder = new Map<string, number>();
  const base = `${outDir}${path.sep}`;
  let folder = '';
  let count = 0;
  let previous = '';
  let increasing = true;
  for (const o of outputs) {
    if (o.path <= previous) increasing = false;
    previous = o.path;
    const slash = o.path.lastIndexOf('/');
    const parent = slash < 0 ? '' : o.path.slice(0, slash);
    if (parent !== folder) {
      inFolder.set(folder, (inFolder.get(folder) ?? 0) + count);
      folder = parent;
      count = 0;
    }
    count++;
    // No path.join per output (10 000 of them on a hit); a path that climbs is refused when placed, as before.
    const full = base + o.path;
    let st: BigIntStats;
    try {
      st = lstatSync(full, BIGINT);
    } catch {
      return { problem: { file: `out/${o.path}`, reason: 'missing output' } };
    }
    const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
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
    if (!known.matches(o.path, stamp)) {
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
  inFolder.set(folder, (inFolder.get(folder) ?? 0) + count);
  const problem = checkListings(outDir, outputs, increasing ? inFolder : null, trustListings);
  if (problem) return { problem };
  if (updated.size === 0) return { changed: null };
  const fresh: Record<string, string> = {};
  const recorded = known.all();
  for (const o of outputs) if (o.type === 'file') fresh[o.path] = updated.get(o.path) ?? recorded[o.path];
  return { changed: fresh };
}

/**
 * Anything else in the folders. Every output was just lstat'ed, so each folder
 * holds at least its outputs: a listing of as many names (`inFolder`, when the
 * manifest lists no path twice) holds nothing else; any other is searched name
 * by name for the first stranger. One readdir per folder, or one lstat for a
 * folder whose listing this process checked before (listedFolders).
 */
function checkListings(
  outDir: string,
  outputs: OutputRecord[],
  inFolder: Map<string, number> | null,
  trustListings: boolean,
): OutputProblem | null {
  let expected: Set<string> | undefined;
  const folders = [''];
  for (const o of outputs) if (o.type === 'dir') folders.push(o.path);
  for (const rel of folders) {
    const folder = rel ? path.join(outDir, rel) : outDir;
    const stamp = folderStamp(folder);
    if (trustListings && stamp !== null && listedFolders.get(folder) === stamp) continue;
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch {
      return { file: rel ? `out/${rel}` : 'out', reason: 'output folder missing' };
    }
    if (inFolder === null || names.length !== (inFolder.get(rel) ?? 0)) {
      expected ??= new Set(outputs.map((o) => o.path));
      for (const name of names.sort()) {
        const child = rel ? `${rel}/${name}` : name;
        if (!expected.has(child)) return { file: `out/${child}`, reason: 'unexpected file not in the manifest' };
      }
    }
    rememberListed(folder, stamp);
  }
  return null;
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
