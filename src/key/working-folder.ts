import path from 'node:path';
import { realWorkingFolder } from '../tasks/working-folder.js';

/**
 * The working folder as it enters the key of command tasks and `exec`: a
 * command's relative paths (`pwd`, `cat input.txt`, `--output dist`) mean
 * different files in different folders, so the same argv in packages/a and
 * packages/b is different work.
 *
 * - Relative to the project root, with "/" separators ("." at the root,
 *   "packages/a" below it), so two checkouts of one project at different
 *   absolute paths (CI machines) share entries.
 * - A working folder outside the root (a --config from another tree) climbs
 *   out with "..": still the same on every machine with the same layout.
 * - Absolute only as the last resort: when there is no project root
 *   (`exec` with no config, .git or package.json above it), or no relative
 *   path exists (another drive on Windows).
 *
 * A folder name that is not UTF-8 enters by its bytes (escaped as in
 * tasks/name-bytes.ts), never as the /proc/<pid>/cwd alias cachex runs it through.
 */
export function keyWorkingFolder(cwd: string, root: string | null): string {
  const real = realWorkingFolder(cwd);
  if (root === null) return toPosix(real);
  const rel = path.relative(root, cwd);
  if (path.isAbsolute(rel)) return toPosix(real);
  if (rel === '') return '.';
  const parts = rel.split(path.sep);
  if (real === cwd) return parts.join('/');
  // Node decoded the folder's name lossily: keep the climb, take the folder names below it from the real name.
  const ups = parts.filter((p) => p === '..').length;
  const below = parts.length - ups;
  const realParts = real.split(path.sep).filter(Boolean);
  return [...parts.slice(0, ups), ...(below ? realParts.slice(-below) : [])].join('/');
}

function toPosix(p: string): string {
  return path.sep === '/' ? p : p.split(path.sep).join('/');
}
