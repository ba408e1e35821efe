import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Turns any text into one store path segment: letters, digits, ".", "_", "-", starting with a letter or digit. */
export function sanitiseSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]+/, '');
}

/**
 * The file that called `below` (a function on the current stack), read from
 * V8's structured stack trace: the Python design used the caller's module
 * name, and a file's base name is the closest thing. Null in a REPL or eval.
 */
export function callerFile(below: (...args: never[]) => unknown): string | null {
  const original = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    Error.stackTraceLimit = 20;
    Error.prepareStackTrace = (_err, sites) => sites;
    Error.captureStackTrace(holder, below);
    const sites = holder.stack as NodeJS.CallSite[] | undefined;
    for (const site of sites ?? []) {
      const file = site.getFileName();
      if (!file || file.startsWith('node:')) continue;
      return file.startsWith('file:') ? fileURLToPath(file) : file;
    }
    return null;
  } finally {
    Error.prepareStackTrace = original;
    Error.stackTraceLimit = limit;
  }
}

/** The default `module` of a cached function: its caller's file name without extension. */
export function callerModule(below: (...args: never[]) => unknown): string {
  const file = callerFile(below);
  const base = file ? path.basename(file).replace(/\.[^.]*$/, '') : '';
  return sanitiseSegment(base) || 'main';
}
