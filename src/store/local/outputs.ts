import {
  type BigIntStats,
  closeSync,
  copyFileSync,
  fchmodSync,
  fstatSync,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  renameSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import { sha256Fd, sha256File } from '../../key/digest.js';
import type { OutputRecord } from '../meta.js';
import { Flusher } from './fsync.js';
import { SYNCFS_FROM_FILES, syncFileSystem, syncfsFlushes } from './syncfs.js';
import { statStamp } from '../../key/stamp.js';
import { walkTree } from '../../key/walk.js';

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

/** Visits every output in the one tree walker's order (sorted, depth-first, symlinks not followed). */
function walk(root: string, visit: (rel: string, full: string) => void): void {
  for (const { rel, full } of walkTree(root)) visit(rel, full);
}

/** What a special file is called in the sentence that refuses it. */
function specialKind(st: Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device file';
  return 'not a regular file';
}

/**
 * Seals a staged output folder: records each file's size, the mode the task
 * gave it and its digest, makes files read-only (edits through a hard link
 * would corrupt the entry), keeps outputs that are hard links of each other
 * as one file (recorded with `linkOf`), breaks hard links to files outside
 * the entry, refuses symlinks that escape and special files (FIFOs, sockets,
 * devices), and fsyncs everything (bounded in flight, overlapping the hashing:
 * see Flusher) before it returns. Memory grows with the manifest only: files
 * are hashed one at a time through one reused buffer.
 */
export async function sealOutputs(
  outDir: string,
): Promise<{ outputs: OutputRecord[]; stamps: Record<string, string> }> {
  // What the second pass needs of each item, no more (10 000 outputs: no Stats objects or full paths kept).
  const items: Array<{ rel: string; kind: 'file' | 'dir' | 'symlink'; mode: number; target?: string }> = [];
  // Hard links among the outputs: one inode, all of whose names are outputs, is stored once.
  const byInode = new Map<string, string[]>();
  walk(outDir, (rel, full) => {
    const st = lstatSync(full);
    let target: string | undefined;
    if (st.isSymbolicLink()) {
      target = readlinkSync(full);
      if (!symlinkStaysInside(rel, target))
        throw new OutputRefused(`output symlink ${rel} points outside the output folder (${target})`);
    } else if (!st.isDirectory() && !st.isFile()) {
      throw new OutputRefused(`the output ${rel} is ${specialKind(st)}, which cannot be stored`);
    }
    items.push({
      rel,
      kind: target !== undefined ? 'symlink' : st.isDirectory() ? 'dir' : 'file',
      mode: st.mode,
      target,
    });
    if (st.isFile() && st.nlink >= 2) {
      const id = `${st.dev}:${st.ino}`;
      const names = byInode.get(id);
      if (names) names.push(rel);
      else byInode.set(id, [rel]);
    }
  });
  const firstOf = new Map<string, string>();
  const firsts = new Set<string>();
  for (const names of byInode.values()) {
    const full = (rel: string) => path.join(outDir, rel);
    const nlink = lstatSync(full(names[0])).nlink;
    if (nlink > names.length) {
      // Some name of this file lies outside the entry: the entry gets a private copy, its own names linked to it.
      const copy = `${full(names[0])}.cachex-unlink`;
      copyFileSync(full(names[0]), copy);
      renameSync(copy, full(names[0]));
      for (const rel of names.slice(1)) {
        const link = `${full(rel)}.cachex-link`;
        linkSync(full(names[0]), link);
        renameSync(link, full(rel));
      }
    }
    for (const rel of names.slice(1)) firstOf.set(rel, names[0]);
    firsts.add(names[0]);
  }
  byInode.clear();
  const outputs: OutputRecord[] = [];
  const stamps: Record<string, string> = {};
  const sealed = new Map<string, { digest: string; mode: number }>();
  const flusher = new Flusher();
  // Many files on a file system whose syncfs flushes them all: one syncfs after hashing instead of a fsync each.
  let files = 0;
  for (const item of items) if (item.kind === 'file') files++;
  const deferred = files >= SYNCFS_FROM_FILES && syncfsFlushes(outDir);
  try {
    for (const { rel, kind, mode, target } of items) {
      if (kind === 'symlink') {
        outputs.push({ path: rel, type: 'symlink', size: 0, mode: 0o777, target });
        continue;
      }
      if (kind === 'dir') {
        outputs.push({ path: rel, type: 'dir', size: 0, mode: mode & 0o7777 });
        continue;
      }
      const full = path.join(outDir, rel);
      const linkOf = firstOf.get(rel);
      const first = linkOf ? sealed.get(linkOf) : undefined;
      const fd = openSync(full, 'r');
      let st: BigIntStats;
      let digest: string;
      let produced: number;
      try {
        // The mode as the task left it (a private copy made above kept it), read from the file now open.
        const before = fstatSync(fd);
        produced = first ? first.mode : before.mode & 0o7777;
        if (!linkOf) fchmodSync(fd, before.mode & 0o7555);
        digest = first?.digest ?? sha256Fd(fd, full);
        st = fstatSync(fd, { bigint: true });
      } catch (err) {
        closeSync(fd);
        throw err;
      }
      if (firsts.has(rel)) sealed.set(rel, { digest, mode: produced });
      outputs.push({
        path: rel,
        type: 'file',
        size: Number(st.size),
        mode: produced,
        ...(linkOf ? { linkOf } : {}),
        digest,
        mtimeMs: Number(st.mtimeMs),
      });
      stamps[rel] = statStamp(st, 'stored');
      if (linkOf || deferred) closeSync(fd);
      else await flusher.add(fd);
    }
    // syncfs returns once every dirty page and the journal (folders' entries included) are on disk: the commit's
    // rename comes after it as after the fsyncs. If it cannot run or fails, each file is fsynced after all.
    if (deferred && syncFileSystem(outDir)) return { outputs, stamps };
    if (deferred)
      for (const o of outputs) if (o.type === 'file' && !o.linkOf) await flusher.addPath(path.join(outDir, o.path));
    // Folders last: their entries (the names of the files just flushed) are what the commit's rename relies on.
    for (const o of outputs) if (o.type === 'dir') await flusher.addPath(path.join(outDir, o.path));
    await flusher.addPath(outDir);
  } finally {
    await flusher.done();
  }
  return { outputs, stamps };
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
