import { crypto } from '../lazy-builtins.js';
import { lstatSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { storeErrorFrom } from '../errors.js';
import { isSegment, Layout } from './layout.js';
import { materialise, type PlaceReport } from './materialise.js';
import type { OutputRecord } from './meta.js';
import { type LinkMode, PlacementRefused } from './placement-problem.js';

export {
  LINK_MODES,
  type LinkMode,
  type PlacementProblem,
  PlacementRefused,
  safeRelative,
} from './placement-problem.js';
export { materialise, type PlaceReport, SourceVanished } from './materialise.js';

/** Outputs of an unstored run, listed straight from its staging folder. */
export function listOutputs(outDir: string, rel = ''): OutputRecord[] {
  const records: OutputRecord[] = [];
  let names: string[];
  try {
    names = readdirSync(path.join(outDir, rel)).sort();
  } catch {
    return records;
  }
  for (const name of names) {
    const relPath = rel ? `${rel}/${name}` : name;
    const st = lstatSync(path.join(outDir, relPath));
    if (st.isSymbolicLink())
      records.push({
        path: relPath,
        type: 'symlink',
        size: 0,
        mode: 0o777,
        target: readlinkSync(path.join(outDir, relPath)),
      });
    else if (st.isDirectory()) {
      records.push({ path: relPath, type: 'dir', size: 0, mode: st.mode & 0o7777 });
      records.push(...listOutputs(outDir, relPath));
    } else if (st.isFile())
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

/**
 * Publishes outputs as DATA_FOLDER/static/NAME: a fresh folder of hard links
 * (or copies) beside it, then an atomic swap of the NAME symlink. It never
 * points into cache/, so pruning the entry leaves the publish intact.
 */
export function publish(staticDir: string, name: string, sourceOut: string, outputs: OutputRecord[]): string {
  const previous = checkPublishTarget(staticDir, name);
  const version = `.${name}.${Date.now().toString(36)}-${crypto().randomBytes(4).toString('hex')}`;
  const versionDir = path.join(staticDir, version);
  const link = path.join(staticDir, name);
  materialise(sourceOut, outputs, versionDir, 'hardlink');
  try {
    const temp = path.join(staticDir, `.${name}.link-${crypto().randomBytes(4).toString('hex')}`);
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
  /** What placing into an existing --out folder replaced and left alone (null without --out). */
  outReport: PlaceReport | null;
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
  if (placement.restoreTo && source.hit) restoreOutputs(source.outDir, source.outputs, placement.restoreTo);
  const outReport = placement.out
    ? materialise(source.outDir, source.outputs, placement.out, placement.link ?? 'auto')
    : null;
  let published: string | null = null;
  if (placement.publish && source.stored)
    published = publish(new Layout(dataFolder).static, placement.publish, source.outDir, source.outputs);
  const hasOutputs = source.outputs.length > 0;
  return {
    // Where the user should look: their --out folder, else the published name (it outlives the entry), else the entry.
    outDir: hasOutputs && source.stored ? (placement.out ?? published ?? source.outDir) : null,
    published,
    publishSkipped: placement.publish && !source.stored ? placement.publish : null,
    outReport,
  };
}

/** Puts stored outputs back where a command wrote them, as private copies with the modes it gave them. */
export function restoreOutputs(outDir: string, outputs: OutputRecord[], cwd: string): void {
  materialise(outDir, outputs, cwd, 'copy');
}
