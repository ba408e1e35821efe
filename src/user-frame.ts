import { PACKAGE_ROOT } from './package-root.js';

/** `    at fn (/path/file.ts:8:37)` or `    at /path/file.ts:8:37` → the location part. */
const FRAME = /^\s+at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/;

/**
 * The first stack frame in the user's own code: not Node's internals, not a
 * dependency under node_modules, not cachex itself. That is the line to show
 * for an error a task or a config file threw; the rest is noise without --debug.
 */
export function userFrame(stack: string | undefined): string | null {
  for (const line of (stack ?? '').split('\n')) {
    const match = FRAME.exec(line);
    if (!match) continue;
    const file = match[1].replace(/^file:\/\//, '');
    if (file.startsWith('node:') || file === '<anonymous>' || file.includes('/node_modules/')) continue;
    if (file.startsWith(`${PACKAGE_ROOT}/dist/`)) continue;
    return line.trim();
  }
  return null;
}

/** The error's own lines of a stack (`Error: message`, possibly several lines), without the frames. */
export function stackHeader(err: Error): string {
  const stack = err.stack ?? '';
  const at = stack.search(/\n\s+at /);
  return at >= 0 ? stack.slice(0, at) : stack || `${err.name}: ${err.message}`;
}
