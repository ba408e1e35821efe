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
import { publishFile } from '../publish-file.js';

/**
 * Loads the full CLI (dist/cli/full-cli.cjs) with a V8 code cache: compiling its 480 KB, and the
 * functions a command then compiles as it runs, costs every non-hit command about 15 ms of CPU;
 * a cached compile costs a fraction (Node 20 has no module.enableCompileCache). Built as
 * dist/cli/load-full.cjs; anything odd about the cache means a plain require().
 *
 * The cache file is trusted only when it is ours (a folder only this user can enter), whole
 * (a digest of the data) and for this very bundle and Node (a stamp of the bundle file: V8
 * itself checks only the source's length). The bundle holds no dynamic import(): Node 20 loses
 * a script's import() callback when it comes from a code cache (see scripts/build-cli.mjs).
 */
export interface FullCli {
  main(argv: string[]): Promise<number>;
}

const FORMAT = 'cachex-v8-1';

interface Cache {
  file: string;
  /** What the cache must say it was made for. */
  identity: string;
  data: Buffer | null;
}

/** The bundle's source and, when a code cache can be used, where and what for. */
function readBundle(file: string): { source: string; cache: Cache | null } {
  const fd = openSync(file, 'r');
  let st: Stats;
  let source: string;
  try {
    st = fstatSync(fd);
    source = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const uid = process.getuid?.();
  if (uid === undefined) return { source, cache: null };
  const dir = path.join(tmpdir(), `cachex-v8-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // Exists already: checked below.
  }
  const d = lstatSync(dir);
  // Someone else's folder, or one others can write into: no cache.
  if (!d.isDirectory() || d.uid !== uid || (d.mode & 0o077) !== 0) return { source, cache: null };
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
  return { source, cache: { file: cacheFile, identity, data: readCache(cacheFile, identity) } };
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
  const temp = `${cache.file}.${process.pid}.tmp`;
  try {
    const digest = createHash('sha256').update(data).digest('hex');
    writeFileSync(temp, Buffer.concat([Buffer.from(`${cache.identity}\n${digest}\n`), data]), { mode: 0o600 });
  } catch {
    rmSync(temp, { force: true });
    return;
  }
  publishFile(temp, cache.file);
}

/** Runs the bundle as Node's CommonJS loader would, compiled from the code cache when there is one. */
export function loadFullCli(file: string): FullCli {
  let bundle: ReturnType<typeof readBundle>;
  try {
    bundle = readBundle(file);
  } catch {
    return createRequire(file)(file) as FullCli;
  }
  const { source, cache } = bundle;
  const script = new Script(Module.wrap(source), { filename: file, cachedData: cache?.data ?? undefined });
  const mod = new Module(file);
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  const cli = mod.exports as FullCli;
  if (!cache || (cache.data && !script.cachedDataRejected)) return cli;
  return {
    // Made after the command has run, so it holds the functions the command compiled too.
    main: async (argv) => {
      try {
        return await cli.main(argv);
      } finally {
        writeCache(cache, script.createCachedData());
      }
    },
  };
}
