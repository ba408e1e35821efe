import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { publishFile } from '../publish-file.js';
import { CACHE_FOLDER_LIMITS, trimCacheFolder } from '../trim-cache-folder.js';
import { readWhole } from '../read-whole.js';

/** What jiti passes its `transform` option (see `transform()` in jiti's dist/jiti.cjs). */
export interface TransformOptions {
  source: string;
  filename?: string;
  [option: string]: unknown;
}
export interface TransformResult {
  code: string;
  error?: unknown;
}
export type Transform = (opts: TransformOptions) => TransformResult;

/** Bump when what a cache file holds or how its name is made changes. */
const FORMAT = 1;
const HEADER = '// cachex transpile ';

/**
 * The cache file for one transform: its name digests the source and every option babel sees, so
 * an edited file (or another jiti, or other options) gets another name and is never served a
 * stale result. The path is left out — jiti's own cache is keyed by it, which is why a copy of
 * the same config in another folder (a CI job's checkout, a worktree) paid babel again — except
 * when the source may mention `import.meta`, which jiti's babel plugin replaces by the file's
 * path as a literal. The extension stays in (it decides TSX).
 */
export function transpileCacheName(opts: TransformOptions, jitiVersion: string): string | null {
  const { source, filename = '', ...rest } = opts;
  let unkeyable = false;
  const options = JSON.stringify(rest, (_key, value) => {
    // A function (a babel plugin, say) has no stable text to key on: do not cache.
    if (typeof value === 'function' || typeof value === 'symbol') unkeyable = true;
    return value;
  });
  if (unkeyable) return null;
  const described = JSON.stringify({
    format: FORMAT,
    jiti: jitiVersion,
    options,
    ext: path.extname(filename),
    path: source.includes('meta') ? filename : null,
  });
  return `cachex-transpiled-${createHash('sha256').update(described).update('\0').update(source).digest('hex').slice(0, 40)}.js`;
}

const digest = (code: string) => createHash('sha256').update(code).digest('hex');

/** The cached code, or null when there is none or it cannot be trusted (damaged, someone else's). */
export function readTranspiled(file: string): string | null {
  // The folder may be shared (the system's temp folder): run only code this user wrote.
  const uid = process.getuid?.();
  const read = readWhole(file, { accept: (st) => uid === undefined || st.uid === uid });
  if (read === null) return null;
  const text = read.bytes.toString('utf8');
  const end = text.indexOf('\n');
  if (end < 0 || !text.startsWith(HEADER)) return null;
  const code = text.slice(end + 1);
  return text.slice(HEADER.length, end) === digest(code) ? code : null;
}

let writes = 0;
/** Best effort, and atomic: a reader sees the whole file or none (a torn one fails its digest anyway). */
export function writeTranspiled(file: string, code: string): void {
  // Not Math.random() or Date.now(): the config load's trace takes those for side effects.
  const temp = `${file}.${process.pid}-${++writes}.tmp`;
  try {
    writeFileSync(temp, `${HEADER}${digest(code)}\n${code}`, { mode: 0o644 });
  } catch {
    rmSync(temp, { force: true });
    return;
  }
  publishFile(temp, file);
  trimCacheFolder(file, { ...CACHE_FOLDER_LIMITS, owns: (name) => name.startsWith('cachex-transpiled-') });
}

/**
 * Wraps jiti's babel transform with a cache keyed by content (see transpileCacheName), in the
 * folder `folder()` names when asked (at each transform; false: no cache, the folder cannot be
 * written). It is the only file cache of the config load: jiti's own is off (import.ts). `load` is
 * called only on a cache miss, so a hit never loads babel (1.5 MB).
 */
export function cachedTransform(load: () => Transform, jitiVersion: string, folder: () => string | false): Transform {
  return (opts) => {
    const dir = folder();
    const name = dir ? transpileCacheName(opts, jitiVersion) : null;
    const file = dir && name ? path.join(dir, name) : null;
    const cached = file ? readTranspiled(file) : null;
    if (cached !== null) return { code: cached };
    const result = load()(opts);
    // A failed transform's code carries the error's place: jiti never caches it, nor do we.
    if (file && !result.error && !result.code.includes('__JITI_ERROR__')) writeTranspiled(file, result.code);
    return result;
  };
}
