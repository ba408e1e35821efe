import {
  type BigIntStats,
  chmodSync,
  copyFileSync,
  linkSync,
  lstatSync,
  readlinkSync,
  renameSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import { sha256File } from '../../key/digest.js';
import type { OutputRecord } from '../meta.js';
import { fsyncPath } from './fsync.js';
import { statStamp } from '../../key/stamp.js';
import { walkTree } from '../../key/walk.js';

/** Why a run's outputs cannot be stored (the run itself still succeeded). */
export class OutputRefused extends Error {}

/** When an output's stamp is unchanged since it was verified, its bytes are unchanged. */
export function stampOf(file: string): string {
  return statStamp(lstatSync(file, { bigint: true }), 'content');
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
 * devices), and fsyncs everything.
 */
export function sealOutputs(outDir: string): { outputs: OutputRecord[]; stamps: Record<string, string> } {
  const outputs: OutputRecord[] = [];
  const stamps: Record<string, string> = {};
  const files: Array<{ rel: string; full: string; st: Stats }> = [];
  walk(outDir, (rel, full) => {
    const st = lstatSync(full);
    if (st.isSymbolicLink()) {
      const target = readlinkSync(full);
      if (!symlinkStaysInside(rel, target))
        throw new OutputRefused(`output symlink ${rel} points outside the output folder (${target})`);
    } else if (!st.isDirectory() && !st.isFile()) {
      throw new OutputRefused(`the output ${rel} is ${specialKind(st)}, which cannot be stored`);
    }
    if (st.isFile()) files.push({ rel, full, st });
  });
  // Hard links among the outputs: one inode, all of whose names are outputs, is stored once.
  const byInode = new Map<string, string[]>();
  for (const f of files) {
    if (f.st.nlink < 2) continue;
    const id = `${f.st.dev}:${f.st.ino}`;
    byInode.set(id, [...(byInode.get(id) ?? []), f.rel]);
  }
  const firstOf = new Map<string, string>();
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
  }
  const digests = new Map<string, string>();
  walk(outDir, (rel, full) => {
    const before = lstatSync(full);
    if (before.isSymbolicLink()) {
      outputs.push({ path: rel, type: 'symlink', size: 0, mode: 0o777, target: readlinkSync(full) });
      return;
    }
    if (before.isDirectory()) {
      outputs.push({ path: rel, type: 'dir', size: 0, mode: before.mode & 0o7777 });
      return;
    }
    const linkOf = firstOf.get(rel);
    const produced = linkOf ? outputs.find((o) => o.path === linkOf)!.mode : before.mode & 0o7777;
    if (!linkOf) {
      chmodSync(full, before.mode & 0o7555);
      fsyncPath(full);
    }
    const st = lstatSync(full);
    const digest = (linkOf && digests.get(linkOf)) || sha256File(full);
    digests.set(rel, digest);
    outputs.push({
      path: rel,
      type: 'file',
      size: st.size,
      mode: produced,
      ...(linkOf ? { linkOf } : {}),
      digest,
      mtimeMs: Math.floor(st.mtimeMs),
    });
    stamps[rel] = stampOf(full);
  });
  for (const o of outputs) if (o.type === 'dir') fsyncPath(path.join(outDir, o.path));
  fsyncPath(outDir);
  return { outputs, stamps };
}

export type OutputProblem = { file: string; reason: string };

/**
 * Checks a stored output folder against its manifest. Files whose stat stamp
 * matches a verified one are trusted; others are re-hashed. Returns the first
 * problem, or the updated stamps.
 */
export function checkOutputs(
  outDir: string,
  outputs: OutputRecord[],
  stamps: Record<string, string>,
): { problem: OutputProblem } | { stamps: Record<string, string>; changed: boolean } {
  const fresh: Record<string, string> = {};
  let changed = false;
  const expected = new Set(outputs.map((o) => o.path));
  for (const o of outputs) {
    const full = path.join(outDir, o.path);
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
    const stamp = statStamp(st, 'content');
    if (stamps[o.path] !== stamp) {
      let digest: string;
      try {
        digest = sha256File(full);
      } catch {
        return { problem: { file: `out/${o.path}`, reason: 'missing output' } };
      }
      if (digest !== o.digest) return { problem: { file: `out/${o.path}`, reason: 'output digest mismatch' } };
      changed = true;
    }
    fresh[o.path] = stamp;
  }
  let extra: string | null = null;
  try {
    walk(outDir, (rel) => {
      if (!extra && !expected.has(rel)) extra = rel;
    });
  } catch {
    return { problem: { file: 'out', reason: 'output folder missing' } };
  }
  if (extra) return { problem: { file: `out/${extra}`, reason: 'unexpected file not in the manifest' } };
  return { stamps: fresh, changed };
}
