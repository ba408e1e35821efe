/**
 * What identifies the program a command task runs, beyond its argv:
 * - by default the executable's content and that of the shared libraries it loads from its
 *   own folders (DT_RUNPATH/DT_RPATH entries that start at `$ORIGIN`): the libraries shipped
 *   with the tool, not the system's;
 * - `tool.inputs`: more files (plugins, data the tool reads), relative to the config's folder;
 * - `tool.versionCommand`: the output of `<executable> <args…>` instead of any content
 *   (ccache's compiler_check).
 * Recorded paths are relative (to the executable's folder, to the config's folder), so the
 * same tool under another path gives the same key.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ToolSpec } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { type DigestCache, sha256 } from './digest.js';
import { type DynamicInfo, readDynamicInfo } from './elf.js';
import { childProcess } from '../lazy-builtins.js';

export interface ToolFile {
  path: string;
  digest: string;
}

export interface ToolInputs {
  /** libraries loaded from the executable's own folders; paths relative to the executable's folder */
  libraries?: ToolFile[];
  /** `tool.inputs`; paths relative to the config's folder */
  inputs?: ToolFile[];
  /** `tool.versionCommand`: its arguments, the first line of its output (shown), the digest of all of it */
  version?: { args: string[]; output: string; digest: string };
}

export interface ToolIdentity {
  /** the executable; without a digest when the version command's output stands for it */
  executable: { path: string; digest?: string };
  /** absent when there is nothing beyond the executable (a script, a static or system-linked binary) */
  tool?: ToolInputs;
}

export interface ToolContext {
  digests: DigestCache;
  /** where the version command runs */
  cwd: string;
  /** the config's folder: `tool.inputs` are relative to it */
  configDir: string;
  task: string;
}

const VERSION_TIMEOUT_MS = 30_000;
/** The note key/digest.ts keeps beside an executable's digest when bundledLibraries() found it has no $ORIGIN paths. */
export const NO_ORIGIN_LIBRARIES = 'elf: no $ORIGIN library paths';

export function toolIdentity(executable: string, spec: ToolSpec | undefined, ctx: ToolContext): ToolIdentity {
  const tool: ToolInputs = {};
  let digest: string | undefined;
  if (spec?.versionCommand) {
    tool.version = versionOutput(executable, spec.versionCommand, ctx);
  } else {
    digest = ctx.digests.digest(executable);
    // An executable without $ORIGIN paths loads no library of its own: noted beside its digest, not parsed on every hit.
    const none = ctx.digests.hasNote(executable, NO_ORIGIN_LIBRARIES);
    const found = none ? [] : bundledLibraries(executable, () => ctx.digests.addNote(executable, NO_ORIGIN_LIBRARIES));
    const libraries = found.map((file) => ({
      path: path.relative(path.dirname(executable), file).split(path.sep).join('/'),
      digest: ctx.digests.digest(file),
    }));
    if (libraries.length) tool.libraries = libraries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  if (spec?.inputs?.length) tool.inputs = toolInputFiles(spec.inputs, ctx);
  return {
    executable: digest === undefined ? { path: executable } : { path: executable, digest },
    ...(Object.keys(tool).length ? { tool } : {}),
  };
}

/** RUNPATH/RPATH entries relative to the object itself ($ORIGIN), resolved; others are the system's. */
function originDirs(entries: string[] | null, origin: string): string[] {
  return (entries ?? [])
    .filter((e) => /\$(ORIGIN\b|\{ORIGIN\})/.test(e) && !/\$(\{?)(LIB|PLATFORM)\b/.test(e))
    .map((e) => path.resolve(e.replace(/\$\{ORIGIN\}|\$ORIGIN/g, origin)));
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The shared libraries the dynamic loader would take from the tool's own folders, found the
 * way ld.so looks for them: an object's DT_RUNPATH if it has one, else its DT_RPATH and the
 * executable's, each entry tried in order; dependencies of those libraries too. Libraries
 * found elsewhere (the system's) are left out, as are LD_LIBRARY_PATH and dlopen()ed plugins
 * (list those in `tool.inputs`).
 */
export function bundledLibraries(executable: string, noOriginPaths?: () => void): string[] {
  const top = readDynamicInfo(executable);
  if (!top) {
    noOriginPaths?.();
    return [];
  }
  const inherited = top.runpath ? [] : originDirs(top.rpath, path.dirname(executable));
  // Without $ORIGIN entries the executable's own search finds nothing, so no library below it is looked at.
  if (originDirs(top.runpath ?? top.rpath, path.dirname(executable)).length === 0) {
    noOriginPaths?.();
    return [];
  }
  const found = new Map<string, string>();
  const queue: { file: string; info: DynamicInfo }[] = [{ file: executable, info: top }];
  while (queue.length && found.size < 1000) {
    const { file, info } = queue.shift()!;
    const origin = path.dirname(file);
    const dirs = info.runpath
      ? originDirs(info.runpath, origin)
      : [...originDirs(info.rpath, origin), ...(file === executable ? [] : inherited)];
    for (const name of info.needed) {
      if (found.has(name) || name.includes('/')) continue;
      const hit = dirs.map((d) => path.join(d, name)).find(isFile);
      if (!hit) continue;
      found.set(name, hit);
      const libInfo = readDynamicInfo(hit);
      if (libInfo) queue.push({ file: hit, info: libInfo });
    }
  }
  return [...found.values()];
}

function versionOutput(
  executable: string,
  args: readonly string[],
  ctx: ToolContext,
): NonNullable<ToolInputs['version']> {
  const shown = [executable, ...args].join(' ');
  const r = childProcess().spawnSync(executable, args, {
    cwd: ctx.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: VERSION_TIMEOUT_MS,
    maxBuffer: 16 << 20,
  });
  const problem = r.error
    ? (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT'
      ? `did not finish within ${VERSION_TIMEOUT_MS / 1000} s`
      : `could not start (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`
    : r.status !== 0
      ? r.signal
        ? `was killed by ${r.signal}`
        : `exited with code ${r.status}`
      : null;
  if (problem) {
    throw new ConfigError(
      `Task "${ctx.task}": its tool.versionCommand (${shown}) ${problem}; fix the arguments or remove versionCommand.`,
    );
  }
  const stdout = r.stdout.toString('utf8');
  const stderr = r.stderr.toString('utf8');
  const first = `${stdout}\n${stderr}`.split('\n').find((l) => l.trim() !== '') ?? '';
  return {
    args: [...args],
    output: first.trim().slice(0, 200),
    digest: sha256(`${stdout}\0${stderr}`),
  };
}

const GLOB = /[*?[\]{}!]/;

function toolInputFiles(patterns: readonly string[], ctx: ToolContext): ToolFile[] {
  const files = new Map<string, string>();
  for (const pattern of patterns) {
    if (GLOB.test(pattern)) {
      // only configs that use globs pay for loading the matcher
      const { globSync } = createRequire(import.meta.url)('tinyglobby') as typeof import('tinyglobby');
      const matches = globSync(pattern, { cwd: ctx.configDir, onlyFiles: true, dot: true, expandDirectories: false });
      if (!matches.length) {
        throw new ConfigError(
          `Task "${ctx.task}": tool.inputs pattern "${pattern}" matches no file in ${ctx.configDir}; fix the pattern or remove it.`,
        );
      }
      for (const m of matches) files.set(path.resolve(ctx.configDir, m), 'file');
      continue;
    }
    const absolute = path.resolve(ctx.configDir, pattern);
    let kind: string;
    try {
      kind = statSync(absolute).isDirectory() ? 'dir' : 'file';
    } catch {
      throw new ConfigError(
        `Task "${ctx.task}": tool.inputs names ${pattern}, which does not exist in ${ctx.configDir}; fix the path or remove it.`,
      );
    }
    files.set(absolute, kind);
  }
  return [...files]
    .map(([file, kind]) => {
      const rel = path.relative(ctx.configDir, file);
      const shown = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
      return { path: shown, digest: kind === 'dir' ? ctx.digests.treeDigest(file) : ctx.digests.digest(file) };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
