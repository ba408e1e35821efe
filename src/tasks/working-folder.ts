import { existsSync } from 'node:fs';

/**
 * The folder relative paths on the command line resolve against. Node decodes
 * the working folder's name as UTF-8, so a name holding other bytes (Latin-1
 * from an old archive, say) arrives with U+FFFD in it and names no folder;
 * /proc/<pid>/cwd still leads to the real one (for this process, its worker
 * threads and the commands it starts, as long as cachex runs).
 */
export function workingFolder(cwd: string): string {
  if (process.platform !== 'linux' || !cwd.includes('\uFFFD') || cwd !== process.cwd() || existsSync(cwd)) return cwd;
  return `/proc/${process.pid}/cwd`;
}
