import {
  constants,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { UsageError, storeErrorFrom } from '../errors.js';
import type { OutputRecord } from './meta.js';
import { symlinkStaysInside } from './outputs.js';

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
      if (lstatSync(current).isSymbolicLink())
        throw new UsageError(
          `Refusing to write through the symlink ${current}; remove it or choose another --out folder.`,
        );
    } catch (err) {
      if (err instanceof UsageError) throw err;
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
    if (!safeRelative(o.path))
      throw new UsageError(
        `Refusing to restore the output path ${JSON.stringify(o.path)}, which leaves the target folder.`,
      );
    if (o.type === 'symlink' && !symlinkStaysInside(o.path, o.target ?? '')) {
      throw new UsageError(`Refusing to restore the symlink ${o.path}, which points outside the target folder.`);
    }
  }
  try {
    mkdirSync(target, { recursive: true });
    for (const o of outputs) {
      assertNoSymlinkParents(target, o.path);
      const dest = path.join(target, o.path);
      const source = path.join(sourceOut, o.path);
      if (o.type === 'dir') {
        mkdirSync(dest, { recursive: true });
        continue;
      }
      mkdirSync(path.dirname(dest), { recursive: true });
      if (o.type === 'symlink') {
        const temp = `${dest}.cachex-${randomBytes(4).toString('hex')}`;
        symlinkSync(o.target!, temp);
        renameSync(temp, dest);
      } else {
        placeFile(source, dest, mode, o);
      }
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw storeErrorFrom(err, `materialising outputs into ${target}`);
  }
}

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
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new UsageError(
      `--publish ${JSON.stringify(name)} is not a valid name; use letters, digits, ".", "_" and "-" (no slashes or "..").`,
    );
  }
  const link = path.join(staticDir, name);
  try {
    const st = lstatSync(link);
    if (st.isSymbolicLink()) return path.join(staticDir, readlinkSync(link));
  } catch {
    return null;
  }
  throw new UsageError(`${link} exists and was not made by --publish; move it away first.`);
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
