import fs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { os } from '../lazy-builtins.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What loading the config looked at: the facts a saved copy of it stays valid for. */
export interface LoadTrace {
  /** Every path read, stat'ed, listed or checked for existence (absolute), in first-use order. */
  files: string[];
  /** Folders listed (their names are part of what the load saw). */
  listed: string[];
  /** Environment variables read; 'all' when the load enumerated the environment. */
  env: string[] | 'all';
  /** Whether the load asked for the current folder. */
  cwd: boolean;
  /**
   * The load changed the environment or the current folder, or asked something no stamp can
   * vouch for (started a process, fetched, read the clock or a random number): only running
   * it again gives its answer again.
   */
  sideEffects: boolean;
}

/** Path-taking fs functions whose answer a config (or jiti, or Node's loader) can act on. */
const SYNC = ['readFileSync', 'existsSync', 'statSync', 'lstatSync', 'accessSync', 'openSync'] as const;
const CALLBACK = ['readFile', 'stat', 'lstat', 'access', 'exists', 'open'] as const;
const PROMISES = ['readFile', 'stat', 'lstat', 'access', 'open'] as const;

/**
 * jiti's transpile cache, a file in it or the folder (listed when a new transform trims it): derived from the
 * sources it hashes, never an input itself.
 */
function isJitiCache(file: string): boolean {
  const folder = `${path.sep}.cache${path.sep}jiti`;
  return (
    file.includes(`${folder}${path.sep}`) || file.endsWith(folder) || file.startsWith(path.join(os().tmpdir(), 'jiti'))
  );
}

function pathOf(arg: unknown, cwd: string): string | null {
  if (typeof arg === 'string') return path.resolve(cwd, arg);
  if (arg instanceof URL) return arg.protocol === 'file:' ? fileURLToPath(arg) : null;
  if (Buffer.isBuffer(arg)) return path.resolve(cwd, arg.toString());
  return null;
}

/**
 * Runs `load` while recording what it reads: files through `fs` (which jiti,
 * Node's CommonJS loader and a config's own reads all go through), variables
 * through a Proxy on process.env, and process.cwd(). Everything is put back
 * afterwards, also when `load` throws.
 */
export async function traceLoad<T>(load: () => Promise<T>): Promise<{ value: T; trace: LoadTrace }> {
  const realCwd = process.cwd;
  const cwd = realCwd.call(process);
  const files = new Set<string>();
  const listed = new Set<string>();
  const env = new Set<string>();
  let allEnv = false;
  let cwdRead = false;
  let sideEffects = false;
  const note = (arg: unknown, set = files) => {
    const file = pathOf(arg, cwd);
    if (file && !isJitiCache(file)) set.add(file);
  };

  const restore: (() => void)[] = [];
  const patch = (target: Record<string, any>, name: string, wrap: (real: any) => any) => {
    const real = target[name];
    if (typeof real !== 'function') return;
    target[name] = wrap(real);
    restore.push(() => {
      target[name] = real;
    });
  };
  const fsAny = fs as unknown as Record<string, any>;
  for (const name of [...SYNC, ...CALLBACK])
    patch(fsAny, name, (real) =>
      Object.assign(function (this: unknown, first: unknown, ...rest: unknown[]) {
        note(first);
        return real.call(this, first, ...rest);
      }, real),
    );
  patch(fsAny, 'readdirSync', (real) => (dir: unknown, ...rest: unknown[]) => {
    note(dir, listed);
    return real(dir, ...rest);
  });
  const promises = fs.promises as unknown as Record<string, any>;
  for (const name of PROMISES)
    patch(promises, name, (real) => (first: unknown, ...rest: unknown[]) => {
      note(first);
      return real(first, ...rest);
    });
  patch(promises, 'readdir', (real) => (dir: unknown, ...rest: unknown[]) => {
    note(dir, listed);
    return real(dir, ...rest);
  });
  const marksUnsavable = (real: any) =>
    Object.assign(function (this: unknown, ...args: unknown[]) {
      sideEffects = true;
      return real.apply(this, args);
    }, real);
  const childProcess = createRequire(import.meta.url)('node:child_process') as Record<string, any>;
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'])
    patch(childProcess, name, marksUnsavable);
  patch(globalThis as unknown as Record<string, any>, 'fetch', marksUnsavable);
  patch(Date as unknown as Record<string, any>, 'now', marksUnsavable);
  patch(Math as unknown as Record<string, any>, 'random', marksUnsavable);
  syncBuiltinESMExports();

  const realEnv = process.env;
  process.env = new Proxy(realEnv, {
    get(target, name) {
      if (typeof name === 'string') env.add(name);
      return Reflect.get(target, name);
    },
    has(target, name) {
      if (typeof name === 'string') env.add(name);
      return Reflect.has(target, name);
    },
    getOwnPropertyDescriptor(target, name) {
      if (typeof name === 'string') env.add(name);
      return Reflect.getOwnPropertyDescriptor(target, name);
    },
    ownKeys(target) {
      allEnv = true;
      return Reflect.ownKeys(target);
    },
    set(target, name, value) {
      sideEffects = true;
      return Reflect.set(target, name, value);
    },
    deleteProperty(target, name) {
      sideEffects = true;
      return Reflect.deleteProperty(target, name);
    },
    defineProperty(target, name, descriptor) {
      sideEffects = true;
      return Reflect.defineProperty(target, name, descriptor);
    },
  });
  const realChdir = process.chdir;
  process.chdir = (dir: string) => {
    sideEffects = true;
    realChdir.call(process, dir);
  };
  process.cwd = () => {
    cwdRead = true;
    return realCwd.call(process);
  };

  try {
    const value = await load();
    return {
      value,
      trace: {
        files: [...files],
        listed: [...listed],
        env: allEnv ? 'all' : [...env].sort(),
        cwd: cwdRead,
        sideEffects,
      },
    };
  } finally {
    process.cwd = realCwd;
    process.chdir = realChdir;
    process.env = realEnv;
    for (const undo of restore.reverse()) undo();
    syncBuiltinESMExports();
  }
}
