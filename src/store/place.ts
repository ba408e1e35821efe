import {
  chmodSync,
  constants,
  copyFileSync,
  linkSync,
  lstatSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { UsageError, storeErrorFrom } from '../errors.js';

/** Why outputs were not placed where asked: a closed set, put into words by output/placement.ts for each door. */
export type PlacementProblem =
  | { kind: 'symlink-in-target'; path: string }
  | { kind: 'escaping-path'; path: string }
  | { kind: 'escaping-symlink'; path: string }
  | { kind: 'bad-publish-name'; name: string }
  | { kind: 'publish-taken'; path: string };

/** A refused placement (exit 2): the target, not the store, is at fault. */
export class PlacementRefused extends UsageError {
  constructor(readonly problem: PlacementProblem) {
    super(`Refused to place outputs (${problem.kind}: ${'path' in problem ? problem.path : problem.name}).`);
  }
}
import { isSegment, Layout } from './layout.js';
import type { OutputRecord } from './meta.js';
import { symlinkStaysInside } from './local/outputs.js';
import { walkTree } from '../key/walk.js';
import { makeDirs } from './make-dirs.js';

export type LinkMode = 'auto' | 'copy' | 'hardlink' | 'symlink';
export const LINK_MODES: readonly LinkMode[] = ['auto', 'copy', 'hardlink', 'symlink'];

/** A manifest path is safe when it is relative and never climbs (`..`) or carries NUL. */
export function safeRelative(rel: string): boolean {
  if (!rel || rel.includes('\0') || path.isAbsolute(rel) || rel.includes('\\')) return false;
  return rel.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** Refuses a target whose existing parents include a symlink: a planted link could redirect writes. */
function assertNoSymlinkParents(root: string, rel: string): void {
  let current = root;
  for (const part of rel.split('/').slice(0, -1)) {
    current = path.join(current, part);
    try {
      if (lstatSync(current).isSymbolicLink()) throw new PlacementRefused({ kind: 'symlink-in-target', path: current });
    } catch (err) {
      if (err instanceof PlacementRefused) throw err;
      return; // does not exist yet: nothing below it can exist either
    }
  }
}

function placeFile(source: string, dest: string, mode: LinkMode, record: OutputRecord): void {
  const temp = `${dest}.cachex-${randomBytes(4).toString('hex')}`;
  const copy = (flags = 0) => {
    copyFileSync(source, temp, flags);
    if (record.mtimeMs) utimesSync(temp, new Date(record.mtimeMs), new Date(record.mtimeMs));
  };
  if (mode === 'copy') copy();
  else if (mode === 'symlink') symlinkSync(source, temp);
  else if (mode === 'hardlink') {
    try {
      linkSync(source, temp);
    } catch (err) {
      // Across devices (or at the link limit) a copy is the only option.
      if (!['EXDEV', 'EMLINK', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      copy();
    }
  } else {
    try {
      copy(constants.COPYFILE_FICLONE_FORCE);
    } catch {
      try {
        linkSync(source, temp);
      } catch {
        copy();
      }
    }
  }
  renameSync(temp, dest);
}

/**
 * Places an entry's outputs into `target`, file by file (each appears
 * atomically by rename). Other files in `target` are left alone. Paths that
 * climb out, symlinks that escape and writes through planted symlinks are refused.
 */
export function materialise(sourceOut: string, outputs: OutputRecord[], target: string, mode: LinkMode): void {
  for (const o of outputs) {
    if (!safeRelative(o.path)) throw new PlacementRefused({ kind: 'escaping-path', path: o.path });
    if (o.type === 'symlink' && !symlinkStaysInside(o.path, o.target ?? '')) {
      throw new PlacementRefused({ kind: 'escaping-symlink', path: o.path });
    }
  }
  try {
    makeDirs(target);
    for (const o of outputs) {
      assertNoSymlinkParents(target, o.path);
      const dest = path.join(target, o.path);
      const source = path.join(sourceOut, o.path);
      if (o.type === 'dir') {
        makeDirs(dest);
        continue;
      }
      makeDirs(path.dirname(dest));
      if (o.type === 'symlink') {
        const temp = `${dest}.cachex-${randomBytes(4).toString('hex')}`;
        symlinkSync(o.target!, temp);
        renameSync(temp, dest);
      } else {
        placeFile(source, dest, mode, o);
      }
    }
  } catch (err) {
    if (err instanceof PlacementRefused) throw err;
    throw storeErrorFrom(err, `materialising outputs into ${target}`);
  }
}

/** Outputs of an unstored run, listed straight from its staging folder. */
export function listOutputs(outDir: string): OutputRecord[] {
  const records: OutputRecord[] = [];
  for (const { rel: relPath, full, st } of walkTree(outDir, { onError: 'skip' })) {
    if (st.isSymbolicLink())
      records.push({
        path: relPath,
        type: 'symlink',
        size: 0,
        mode: 0o777,
        target: readlinkSync(full),
      });
    else if (st.isDirectory()) records.push({ path: relPath, type: 'dir', size: 0, mode: st.mode & 0o7777 });
    else if (st.isFile())
      records.push({
        path: relPath,
        type: 'file',
        size: st.size,
        mode: st.mode & 0o7777,
        mtimeMs: Math.floor(st.mtimeMs),
      });
  }
  return records;
}

/**
 * Publishes outputs as DATA_FOLDER/static/NAME: a fresh folder of hard links
 * (or copies) beside it, then an atomic swap of the NAME symlink. It never
 * points into cache/, so pruning the entry leaves the publish intact.
 */
/**
 * Checks a publish target before any work runs: a valid name, and a
 * static/NAME that is absent or an earlier publish. Returns the earlier
 * publish's folder, if any.
 */
export function checkPublishTarget(staticDir: string, name: string): string | null {
  if (!isSegment(name)) {
    throw new PlacementRefused({ kind: 'bad-publish-name', name });
  }
  const link = path.join(staticDir, name);
  try {
    const st = lstatSync(link);
    if (st.isSymbolicLink()) return path.join(staticDir, readlinkSync(link));
  } catch {
    return null;
  }
  throw new PlacementRefused({ kind: 'publish-taken', path: link });
}

export function publish(staticDir: string, name: string, sourceOut: string, outputs: OutputRecord[]): string {
  const previous = checkPublishTarget(staticDir, name);
  const version = `.${name}.${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const versionDir = path.join(staticDir, version);
  const link = path.join(staticDir, name);
  materialise(sourceOut, outputs, versionDir, 'hardlink');
  try {
    const temp = path.join(staticDir, `.${name}.link-${randomBytes(4).toString('hex')}`);
    symlinkSync(version, temp);
    renameSync(temp, link);
  } catch (err) {
    rmSync(versionDir, { recursive: true, force: true });
    throw storeErrorFrom(err, `publishing ${name}`);
  }
  if (previous && path.dirname(previous) === staticDir) rmSync(previous, { recursive: true, force: true });
  return link;
}

/** Where a run's outputs go besides the entry, given as data by the caller (CLI flags, exec). */
export interface Placement {
  /** Materialise into this folder (absolute). */
  out?: string;
  link?: LinkMode;
  /** Publish as DATA_FOLDER/static/<name>; only a stored entry (or a hit) is published. */
  publish?: string;
  /** Put the outputs back at their paths under this folder on a hit (exec: where the command wrote them). */
  restoreTo?: string;
}

export interface PlacementResult {
  /** Where the user finds the outputs: the --out folder, else the entry's out/; null without outputs. */
  outDir: string | null;
  published: string | null;
  /** The publish name asked for when the run was not stored, so nothing was published. */
  publishSkipped: string | null;
}

export interface PlacementSource {
  outDir: string;
  outputs: OutputRecord[];
  /** A stored entry or a hit (publishable); false for an unstored run's staging folder. */
  stored: boolean;
  /** restoreTo applies to hits only: on a miss the command wrote its outputs in place already. */
  hit: boolean;
}

/** Places outputs as asked; throws UsageError for refused targets, StoreError for disk failures. */
export function placeOutputs(source: PlacementSource, placement: Placement, dataFolder: string): PlacementResult {
  const staticDir = new Layout(dataFolder).static;
  if (placement.restoreTo && source.hit) restoreOutputs(source.outDir, source.outputs, placement.restoreTo);
  if (placement.out) materialise(source.outDir, source.outputs, placement.out, placement.link ?? 'auto');
  let published: string | null = null;
  if (placement.publish && source.stored)
    published = publish(staticDir, placement.publish, source.outDir, source.outputs);
  const hasOutputs = source.outputs.length > 0;
  return {
    outDir: hasOutputs && source.stored ? (placement.out ?? source.outDir) : null,
    published,
    publishSkipped: placement.publish && !source.stored ? placement.publish : null,
  };
}

/**
 * Puts stored outputs back where a command wrote them, as private copies.
 * Stored files are read-only; the restored ones are made writable by their
 * owner again, as the command had left them.
 */
export function restoreOutputs(outDir: string, outputs: OutputRecord[], cwd: string): void {
  materialise(outDir, outputs, cwd, 'copy');
  for (const o of outputs) {
    if (o.type !== 'file') continue;
    try {
      chmodSync(path.join(cwd, o.path), o.mode | 0o200);
    } catch {
      /* the file is there; its mode is cosmetic */
    }
  }
}
