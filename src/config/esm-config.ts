import fs from 'node:fs';
import Module, { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { distFile } from '../package-root.js';

/**
 * Loads a config that Node itself treats as an ES module (`.mjs`, or `.js` under a package.json
 * with `"type": "module"`) by plain import(), without jiti. What the load tracer (load-trace.ts)
 * sees through `fs` is not enough here: Node's ES-module loader reads modules and package.json
 * files through its internals. So the load goes through module hooks (esm-hooks.ts) that note
 * every module resolved (and CommonJS modules it requires show up in require.cache), and this
 * module then looks, through `fs` and so under the tracer, at
 * what decided each resolution: the module's file, the package.json files that give its scope
 * (its format, its `imports`), and the node_modules folders a bare specifier was looked for in.
 * Registering the hooks starts Node's module-hooks thread (about 25 ms, once per process; a hit
 * never loads a config, and jiti costs more).
 */

/** The specifier that takes the hooks' notes (esm-hooks.ts). */
const TAKE = 'cachex-esm-trace:take';
let hooked = false;
let takes = 0;

/** Whether Node would load `file` as an ES module (the package.json lookup goes through `fs`: traced). */
export function isEsmConfig(file: string): boolean {
  // module.register() came with Node 20.6: before it, jiti loads these too.
  if (typeof Module.register !== 'function') return false;
  if (file.endsWith('.mjs')) return true;
  if (!file.endsWith('.js')) return false;
  const scope = packageScope(path.dirname(file));
  if (!scope) return false;
  try {
    return (JSON.parse(fs.readFileSync(scope, 'utf8')) as { type?: unknown }).type === 'module';
  } catch {
    return false; // Node would fail on it too; jiti's message says why.
  }
}

/** The nearest package.json at or above `dir` (Node's package scope), every absence on the way looked at. */
function packageScope(dir: string): string | null {
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir || path.basename(dir) === 'node_modules') return null;
    dir = parent;
  }
}

/** import() from a real CommonJS file: the CLI's bundles turn import() into require() (scripts/build-cli.mjs). */
function importUrl(url: string): Promise<Record<string, unknown>> {
  const load = createRequire(import.meta.url)(distFile('cli', 'import-url.cjs')) as typeof importUrl;
  return load(url);
}

async function take(): Promise<[string, string, string][]> {
  return (await importUrl(`${TAKE}?${++takes}`)).default as [string, string, string][];
}

/** Imports the config and its default export; run under traceLoad, which then knows every file it depended on. */
export async function importEsmConfig(file: string): Promise<unknown> {
  if (!hooked) {
    const entry = pathToFileURL(distFile('config-entry.js')).href;
    Module.register(pathToFileURL(distFile('config', 'esm-hooks.js')).href, { data: { entry, take: TAKE } });
    hooked = true;
  }
  await take(); // what resolved before this load is not part of it
  // CommonJS modules it reaches are loaded by Node's CommonJS loader, unseen by both the hooks and the
  // tracer (Node 20 reads them through its internals here): they are the new entries of require.cache.
  const cjs = createRequire(import.meta.url).cache;
  const cached = new Set(Object.keys(cjs));
  let loaded: Record<string, unknown> | undefined;
  let failure: unknown;
  try {
    loaded = await importUrl(pathToFileURL(file).href);
  } catch (err) {
    failure = err;
  }
  // Also after a failure: the manifest is not saved then, but a partial record costs nothing.
  for (const [specifier, parent, url] of await take()) noteResolution(specifier, parent, url);
  for (const file of Object.keys(cjs)) if (!cached.has(file)) noteResolution(file, '', pathToFileURL(file).href);
  if (failure !== undefined) throw failure;
  return loaded!.default;
}

/** Looks at (through the traced `fs`) everything one resolution depended on. */
function noteResolution(specifier: string, parent: string, url: string): void {
  if (!url.startsWith('file:')) return; // node:, data:
  const file = fileURLToPath(url);
  fs.existsSync(file);
  packageScope(path.dirname(file));
  // 'cachex' is the hooks' alias, not looked for in node_modules.
  if (specifier === 'cachex' || !parent.startsWith('file:') || !isBareSpecifier(specifier)) return;
  // Node looks for node_modules/<name> from the importer's folder up and takes the first found.
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  let dir = path.dirname(fileURLToPath(parent));
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    fs.existsSync(path.join(candidate, 'package.json'));
    if (fs.existsSync(candidate)) return;
    const up = path.dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

function isBareSpecifier(specifier: string): boolean {
  return !/^(\.{0,2}\/|#|[a-z][a-z0-9+.-]*:)/i.test(specifier) && !isBuiltin(specifier);
}
