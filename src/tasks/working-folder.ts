import { existsSync, readlinkSync } from 'node:fs';
import { escapeName } from './name-bytes.js';

const procCwd = () => `/proc/${process.pid}/cwd`;

/**
 * The folder relative paths on the command line resolve against. Node decodes
 * the working folder's name as UTF-8, so a name holding other bytes (Latin-1
 * from an old archive, say) arrives with U+FFFD in it and names no folder;
 * /proc/<pid>/cwd still leads to the real one (for this process, its worker
 * threads and the commands it starts, as long as cachex runs).
 */
export function workingFolder(cwd: string): string {
  if (process.platform !== 'linux' || !cwd.includes('\uFFFD') || cwd !== process.cwd() || existsSync(cwd)) return cwd;
  return procCwd();
}

/**
 * The working folder's real name, bytes kept (escaped as in name-bytes.ts):
 * what keys, meta.yaml and commands get instead of the /proc/<pid>/cwd alias,
 * which changes with every process.
 */
export function realWorkingFolder(cwd: string): string {
  if (workingFolder(cwd) === cwd) return cwd;
  try {
    return escapeName(readlinkSync(procCwd(), { encoding: 'buffer' }));
  } catch {
    return cwd;
  }
}

/** `p` with a leading /proc/<pid>/cwd alias replaced by the working folder's real name. */
export function withoutCwdAlias(p: string, cwd: string): string {
  const alias = procCwd();
  if (p !== alias && !p.startsWith(`${alias}/`)) return p;
  return realWorkingFolder(cwd) + p.slice(alias.length);
}
