import { chmodSync, copyFileSync, lstatSync, readlinkSync, renameSync } from 'node:fs';
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

/**
 * Seals a staged output folder: records each file's size, mode and digest,
 * makes files read-only (edits through a hard link would corrupt the entry),
 * breaks hard links that point at files outside the entry, refuses symlinks
 * that escape and special files, and fsyncs everything.
 */
export function sealOutputs(outDir: string): { outputs: OutputRecord[]; stamps: Record<string, string> } {
  const outputs: OutputRecord[] = [];
  const stamps: Record<string, string> = {};
  for (const item of walkTree(outDir)) {
    const { rel, full } = item;
    let st = item.st;
    if (st.isSymbolicLink()) {
      const target = readlinkSync(full);
      if (!symlinkStaysInside(rel, target))
        throw new OutputRefused(`output symlink ${rel} points outside the output folder (${target})`);
      outputs.push({ path: rel, type: 'symlink', size: 0, mode: 0o777, target });
      continue;
    }
    if (st.isDirectory()) {
      outputs.push({ path: rel, type: 'dir', size: 0, mode: st.mode & 0o7777 });
      continue;
    }
    if (!st.isFile()) throw new OutputRefused(`output ${rel} is not a regular file, folder or symlink`);
    if (st.nlink > 1) {
      // A hard link shares its bytes with a file outside the entry: store a private copy.
      const copy = `${full}.cachex-unlink`;
      copyFileSync(full, copy);
      renameSync(copy, full);
    }
    chmodSync(full, st.mode & 0o7555);
    fsyncPath(full);
    st = lstatSync(full);
    outputs.push({
      path: rel,
      type: 'file',
      size: st.size,
      mode: st.mode & 0o7777,
      digest: sha256File(full),
      mtimeMs: Math.floor(st.mtimeMs),
    });
    stamps[rel] = stampOf(full);
  }
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
    let st;
    try {
      st = lstatSync(full);
    } catch {
      return { problem: { file: `out/${o.path}`, reason: 'missing output' } };
    }
    const type = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    if (type !== o.type)
      return { problem: { file: `out/${o.path}`, reason: `output is a ${type}, expected a ${o.type}` } };
    if (o.type === 'symlink') {
      if (readlinkSync(full) !== o.target)
        return { problem: { file: `out/${o.path}`, reason: 'symlink target changed' } };
      continue;
    }
    if (o.type !== 'file') continue;
    if (st.size !== o.size)
      return {
        problem: {
          file: `out/${o.path}`,
          reason: `output size ${st.size} differs from the recorded ${o.size} (truncated or grown)`,
        },
      };
    const stamp = stampOf(full);
    if (stamps[o.path] !== stamp) {
      if (sha256File(full) !== o.digest)
        return { problem: { file: `out/${o.path}`, reason: 'output digest mismatch' } };
      changed = true;
    }
    fresh[o.path] = stamp;
  }
  let extra: string | null = null;
  try {
    for (const { rel } of walkTree(outDir)) {
      if (expected.has(rel)) continue;
      extra = rel;
      break;
    }
  } catch {
    return { problem: { file: 'out', reason: 'output folder missing' } };
  }
  if (extra) return { problem: { file: `out/${extra}`, reason: 'unexpected file not in the manifest' } };
  return { stamps: fresh, changed };
}
