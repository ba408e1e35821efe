import { openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { escapeName, hasRawBytes, nameBytes } from './name-bytes.js';
import { rememberRealName } from './real-names.js';
import { realWorkingFolder, workingFolder } from './working-folder.js';

/**
 * Node decodes argv as UTF-8, so a file name holding other bytes (Latin-1 from
 * an old archive, say) arrives with U+FFFD in it and cannot be opened by that
 * name. Linux keeps the raw bytes in /proc/self/cmdline: when an argument
 * decodes to `raw` and its bytes name an existing file, this opens it and
 * returns /proc/<pid>/fd/<n>, a path that the task (worker thread or child
 * process) can open for as long as cachex runs, and remembers the real name
 * behind it (real-names.ts). A name that arrives escaped (name-bytes.ts: a
 * stored param given back by `rebuild`) is opened by its bytes the same way.
 * Null when there is none.
 */
export function openRawPath(raw: string, cwd: string): string | null {
  if (process.platform !== 'linux') return null;
  const candidates = hasRawBytes(raw) ? [nameBytes(raw)] : raw.includes('\uFFFD') ? argvBytes(raw) : [];
  for (const arg of candidates) {
    const full = arg[0] === 0x2f ? arg : Buffer.concat([Buffer.from(`${workingFolder(cwd)}/`), arg]);
    try {
      const alias = `/proc/${process.pid}/fd/${openSync(full, 'r')}`;
      rememberRealName(alias, path.resolve(realWorkingFolder(cwd), escapeName(arg)));
      return alias;
    } catch {
      /* not this one */
    }
  }
  return null;
}

/** This process's command line as bytes, one Buffer per argument; null without /proc. */
function cmdlineArgs(): Buffer[] | null {
  let cmdline: Buffer;
  try {
    cmdline = readFileSync('/proc/self/cmdline');
  } catch {
    return null;
  }
  const args: Buffer[] = [];
  for (let start = 0; start < cmdline.length; ) {
    const end = cmdline.indexOf(0, start);
    args.push(cmdline.subarray(start, end < 0 ? cmdline.length : end));
    start = end < 0 ? cmdline.length : end + 1;
  }
  return args;
}

/** The arguments (and `--flag=` values) of this process whose bytes decode to `raw`. */
export function argvBytes(raw: string): Buffer[] {
  const args: Buffer[] = [];
  for (const arg of cmdlineArgs() ?? []) {
    args.push(arg);
    const eq = arg.indexOf(0x3d); // --file=<bytes>
    if (eq > 0) args.push(arg.subarray(eq + 1));
  }
  return args.filter((arg) => arg.toString('utf8') === raw);
}

/**
 * The last arguments of this process's command line (`exec`'s command after
 * `--`) with their real bytes (escaped, see name-bytes.ts) where Node decoded
 * them lossily (they hold U+FFFD), so that the command gets them byte for byte.
 */
export function recoverTail(args: string[]): string[] {
  if (process.platform !== 'linux' || !args.some((a) => a.includes('\uFFFD'))) return args;
  const all = cmdlineArgs();
  if (!all || all.length < args.length) return args;
  const tail = all.slice(all.length - args.length);
  return args.map((a, i) => (a.includes('\uFFFD') && tail[i].toString('utf8') === a ? escapeName(tail[i]) : a));
}

/**
 * An argument as its real bytes (escaped) when Node decoded it lossily and
 * /proc/self/cmdline has an argument whose bytes decode to it (the first such
 * one); else the argument as given.
 */
export function recoverArg(arg: string): string {
  if (process.platform !== 'linux' || !arg.includes('\uFFFD')) return arg;
  const [bytes] = argvBytes(arg);
  return bytes ? escapeName(bytes) : arg;
}
