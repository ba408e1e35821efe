import { createHash } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  type Stats,
  writeFileSync,
} from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Script } from 'node:vm';
import { publishFile } from './publish-file.js';
import { CACHE_FOLDER_LIMITS, trimCacheFolder } from './trim-cache-folder.js';

/**
 * Requires a CommonJS file compiled with a V8 code cache: the full CLI's bundle (cli/load-full.ts)
 * and jiti's (config/import.ts), which every miss loads. Node 20 has no module.enableCompileCache.
 *
 * The cache file is trusted only when it is ours (a folder only this user can enter), whole (a
 * digest of the data) and for this very file and Node (a stamp of the file: V8 itself checks only
 * the source's length). Anything odd about the cache means a plain compile. A file compiled this
 * way must hold no dynamic import(): Node 20 loses a script's import() callback when it comes
 * from a code cache (see scripts/build-cli.mjs).
 */
export interface CompiledModule {
  exports: unknown;
  /**
   * Writes the cache when there was none or V8 refused it. Called once the module's work has
   * run, so that it holds the functions that work compiled too; later calls do nothing.
   */
  save(): void;
}

const FORMAT = 'cachex-v8-1';

interface Cache {
  file: string;
  /** What the cache must say it was made for. */
  identity: string;
  data: Buffer | null;
}

/** Node's require cache (require.cache), which a vm-compiled module joins by hand. */
const requireCache = (Module as unknown as { _cache: Record<string, Module | undefined> })._cache;

export function requireCompiled(file: string): CompiledModule {
  const known = requireCache[file];
  if (known) return { exports: known.exports, save() {} };
  let source: { text: string; cache: Cache | null };
  try {
    source = readSource(file);
  } catch {
    return { exports: createRequire(file)(file), save() {} };
  }
  const { text, cache } = source;
  const script = new Script(Module.wrap(text), { filename: file, cachedData: cache?.data ?? undefined });
  const mod = new Module(file);
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  // In require's cache, so that a plain require() of the same file (jiti's own entry requires its
  // bundle) gets this module.
  requireCache[file] = mod;
  try {
    script.runInThisContext()(mod.exports, createRequire(file), mod, file, path.dirname(file));
  } catch (err) {
    delete requireCache[file];
    throw err;
  }
  mod.loaded = true;
  let pending = cache !== null && (cache.data === null || script.cachedDataRejected === true);
  return {
    exports: mod.exports,
    save() {
      if (!pending || !cache) return;
      pending = false;
      writeCache(cache, script.createCachedData());
    },
  };
}

/** The file's source and, when a code cache can be used, where and what for. */
function readSource(file: string): { text: string; cache: Cache | null } {
  const fd = openSync(file, 'r');
  let st: Stats;
  let text: string;
  try {
    st = fstatSync(fd);
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const uid = process.getuid?.();
  if (uid === undefined) return { text, cache: null };
  const dir = path.join(tmpdir(), `cachex-v8-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // Exists already: checked below.
  }
  const d = lstatSync(dir);
  // Someone else's folder, or one others can write into: no cache.
  if (!d.isDirectory() || d.uid !== uid || (d.mode & 0o077) !== 0) return { text, cache: null };
  const identity = JSON.stringify([
    FORMAT,
    process.version,
    process.arch,
    file,
    st.dev,
    st.ino,
    st.size,
    st.mtimeMs,
    st.ctimeMs,
  ]);
  const name = createHash('sha256').update(`${process.version}\0${process.arch}\0${file}`).digest('hex').slice(0, 32);
  const cacheFile = path.join(dir, `${name}.bin`);
  return { text, cache: { file: cacheFile, identity, data: readCache(cacheFile, identity) } };
}

/** Layout: identity, newline, hex sha256 of the data, newline, the data. */
function readCache(file: string, identity: string): Buffer | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return null;
  }
  const first = bytes.indexOf(10);
  const second = first < 0 ? -1 : bytes.indexOf(10, first + 1);
  if (second < 0 || bytes.toString('utf8', 0, first) !== identity) return null;
  const data = bytes.subarray(second + 1);
  const digest = createHash('sha256').update(data).digest('hex');
  return bytes.toString('latin1', first + 1, second) === digest ? data : null;
}

function writeCache(cache: Cache, data: Buffer): void {
  // Not the pid alone: the task worker may write the same cache as its main thread. Not
  // Math.random() or Date.now() either: the config load's trace takes those for side effects.
  const temp = `${cache.file}.${process.pid}-${process.hrtime.bigint()}.tmp`;
  try {
    const digest = createHash('sha256').update(data).digest('hex');
    writeFileSync(temp, Buffer.concat([Buffer.from(`${cache.identity}\n${digest}\n`), data]), { mode: 0o600 });
  } catch {
    rmSync(temp, { force: true });
    return;
  }
  publishFile(temp, cache.file);
  trimCacheFolder(cache.file, {
    ...CACHE_FOLDER_LIMITS,
    owns: (name) => name.endsWith('.bin') || name.endsWith('.tmp'),
  });
}
