import {
  type BigIntStats,
  closeSync,
  copyFileSync,
  fchmodSync,
  fstatSync,
  linkSync,
  lstatSync,
  openSync,
  readlinkSync,
  renameSync,
} from 'node:fs';
import path from 'node:path';
import { sha256Fd } from '../../key/digest.js';
import { statStamp } from '../../key/stamp.js';
import { walkNames, walkTree } from '../../key/walk.js';
import { manifestLine, type OutputRecord } from '../meta.js';
import { Flusher } from './fsync.js';
import { LineWriter } from './line-writer.js';
import { OutputRefused, symlinkStaysInside } from './outputs.js';
import { SYNCFS_FROM_FILES, startSyncFileSystem, syncFileSystem, syncfsFlushes } from './syncfs.js';

/** A sealed output folder: its manifest is on disk in the staging folder, not in memory. */
export interface SealedOutputs {
  /** How many outputs the manifest records. */
  count: number;
  /** The manifest, one `manifestLine` per output in walk order: what meta.yaml writes under `outputs:`. */
  manifest: string;
}

/** What a special file is called in the sentence that refuses it (from an lstat or a folder listing). */
function specialKind(st: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
}): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device file';
  return 'not a regular file';
}

/** The target of the symlink at `rel`, refused when it leads outside the output folder. */
function checkedTarget(rel: string, full: string): string {
  const target = readlinkSync(full);
  if (!symlinkStaysInside(rel, target))
    throw new OutputRefused(`output symlink ${rel} points outside the output folder (${target})`);
  return target;
}

/**
 * The first pass: refuses what cannot be stored before anything is changed,
 * counts the files, and groups the outputs that are hard links of each other
 * (one inode, several names). Only those are kept: nothing per output.
 */
function survey(outDir: string): { files: number; byInode: Map<string, string[]> } {
  const byInode = new Map<string, string[]>();
  let files = 0;
  for (const { rel, full, st } of walkTree(outDir)) {
    if (st.isSymbolicLink()) checkedTarget(rel, full);
    else if (!st.isDirectory() && !st.isFile())
      throw new OutputRefused(`the output ${rel} is ${specialKind(st)}, which cannot be stored`);
    if (!st.isFile()) continue;
    files++;
    if (st.nlink < 2) continue;
    const id = `${st.dev}:${st.ino}`;
    const names = byInode.get(id);
    if (names) names.push(rel);
    else byInode.set(id, [rel]);
  }
  return { files, byInode };
}

/**
 * Hard-linked outputs are stored as one file: later names record `linkOf` the
 * first (in walk order). A file with a name outside the entry gets a private
 * copy first, its names inside linked to it, so sealing never touches the outside file.
 */
function unshareLinks(
  outDir: string,
  byInode: Map<string, string[]>,
): { firstOf: Map<string, string>; firsts: Set<string> } {
  const firstOf = new Map<string, string>();
  const firsts = new Set<string>();
  const full = (rel: string) => path.join(outDir, rel);
  for (const names of byInode.values()) {
    const nlink = lstatSync(full(names[0])).nlink;
    if (nlink > names.length) {
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
  return { firstOf, firsts };
}

/**
 * Seals a staged output folder: records each file's size, the mode the task
 * gave it and its digest, makes files read-only (edits through a hard link
 * would corrupt the entry), keeps outputs that are hard links of each other
 * as one file (recorded with `linkOf`), breaks hard links to files outside
 * the entry, refuses symlinks that escape and special files (FIFOs, sockets,
 * devices), and flushes everything to disk (a syncfs overlapping the hashing
 * and one after it, or bounded fsyncs overlapping the hashing: see Flusher)
 * before it returns.
 *
 * Memory stays flat in the number of outputs (issue 14): each record goes
 * to `manifest` and each stamp to `verified` as its file is hashed (through
 * one reused buffer), and the tree is walked again rather than remembered;
 * only hard-linked outputs are held, by name.
 */
export async function sealOutputs(outDir: string, manifest: string, verified: string): Promise<SealedOutputs> {
  const { files, byInode } = survey(outDir);
  const { firstOf, firsts } = unshareLinks(outDir, byInode);
  byInode.clear();
  const sealed = new Map<string, { digest: string; mode: number }>();
  // Many files on a file system whose syncfs flushes them all: a syncfs instead of a fsync each, started before
  // hashing so the disk writes the task's pages back meanwhile, and a second one after for what sealing dirtied.
  const deferred = files >= SYNCFS_FROM_FILES && syncfsFlushes(outDir);
  const early = deferred ? startSyncFileSystem(outDir) : undefined;
  const records = new LineWriter(manifest);
  const stamps = new LineWriter(verified);
  const flusher = new Flusher();
  let count = 0;
  let stamped = 0;
  let complete = false;
  try {
    const record = (r: OutputRecord) => {
      records.write(manifestLine(r));
      count++;
    };
    stamps.write('{');
    for (const { rel, full, entry } of walkNames(outDir)) {
      if (entry.isSymbolicLink()) {
        // Checked again: the task's leftovers may have changed it since the first pass.
        record({ path: rel, type: 'symlink', size: 0, mode: 0o777, target: checkedTarget(rel, full) });
        continue;
      }
      if (entry.isDirectory()) {
        record({ path: rel, type: 'dir', size: 0, mode: lstatSync(full).mode & 0o7777 });
        continue;
      }
      if (!entry.isFile())
        throw new OutputRefused(`the output ${rel} is ${specialKind(entry)}, which cannot be stored`);
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
      record({
        path: rel,
        type: 'file',
        size: Number(st.size),
        mode: produced,
        ...(linkOf ? { linkOf } : {}),
        digest,
        mtimeMs: Number(st.mtimeMs),
      });
      stamps.write(`${stamped++ === 0 ? '' : ','}${JSON.stringify(rel)}:${JSON.stringify(statStamp(st, 'stored'))}`);
      if (linkOf || deferred) closeSync(fd);
      else await flusher.add(fd);
    }
    stamps.write('}');
    complete = true;
  } finally {
    records.close(complete);
    stamps.close(complete);
    if (!complete) await flusher.done().catch(() => {});
  }
  try {
    // syncfs returns once every dirty page and the journal (folders' entries included) are on disk: the commit's
    // rename comes after the second as after the fsyncs. Both must succeed: a write-back error is reported to the
    // one syncfs running when it happens. If either cannot run or fails, each file is fsynced after all.
    if (deferred && (await early) && syncFileSystem(outDir)) return { count, manifest };
    if (deferred)
      for (const { rel, full, entry } of walkNames(outDir))
        if (entry.isFile() && !firstOf.has(rel)) await flusher.addPath(full);
    // Folders last: their entries (the names of the files just flushed) are what the commit's rename relies on.
    for (const { full, entry } of walkNames(outDir)) if (entry.isDirectory()) await flusher.addPath(full);
    await flusher.addPath(outDir);
  } finally {
    await flusher.done();
  }
  return { count, manifest };
}
