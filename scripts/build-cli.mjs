#!/usr/bin/env node
// The CLI's bundles (after tsc has written dist/):
//   dist/cli/full-cli.cjs every command (src/cli/main.ts), one CommonJS file, loaded through
//                         dist/cli/load-full.cjs (its code cache) by the entry and
//                         bin/cachex.js. CommonJS because an ES-module bundle hoists every
//                         import of a builtin to its top, so each command loaded http, https,
//                         tls, zlib and stream for the remote tier and the result codecs; as
//                         CommonJS each require() stays inside the lazily run module that needs
//                         it, and what a run never reaches (the remote tier, report, completion)
//                         is parsed but never run.
//   dist/cli/cachex.cjs   the entry (src/cli/entry.ts): the hit path only, as CommonJS (no
//                         ES-module loader to start). What a hit never runs — a miss's runner and
//                         lock, the remote tier, --explain — is reached by dynamic imports, which
//                         stay imports of tsc's per-file output in dist/ instead of being bundled,
//                         so a hit parses none of it.
import { readFileSync, writeFileSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { dependencies, version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
// Facts of the build the bundles would otherwise look up at every start (src/version.ts, src/package-root.ts).
const builtFacts = { __CACHEX_BUILT_VERSION__: JSON.stringify(version), __CACHEX_BUNDLE_IN_DIST_CLI__: 'true' };
const SRC = path.join(ROOT, 'src');
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
};

/** `import('./x.js')` in src/a/b.ts becomes `import('../a/x.js')` from dist/cli/cachex.cjs: tsc's copy. */
const lazyFromDist = {
  name: 'lazy-from-dist',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\//, namespace: 'file' }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const target = path.resolve(args.resolveDir, args.path);
      if (!target.startsWith(SRC + path.sep)) return undefined;
      let rel = path.relative(path.join(SRC, 'cli'), target).split(path.sep).join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return { path: rel, external: true };
    });
  },
};

/**
 * node:module in the hit bundle, whose sources take only createRequire from it: bin/cachex.js hands
 * its own (Module.createRequire, reached through its module object), so a hit does not load the
 * public node:module (0.15 ms). Under a plain require, the real one.
 */
const hitNodeModule = {
  name: 'hit-node-module',
  setup(b) {
    b.onResolve({ filter: /^node:module$/ }, () => ({ path: 'node:module', namespace: 'hit-node-module' }));
    b.onLoad({ filter: /.*/, namespace: 'hit-node-module' }, () => ({
      contents:
        'export const createRequire = typeof __cachexLoader !== "undefined" && __cachexLoader.createRequire ? __cachexLoader.createRequire : require("module").createRequire;',
      loader: 'js',
    }));
  },
};

/**
 * commander requires node:child_process at its top, for executable subcommands (which cachex has none of):
 * loading it (with net, dgram and their streams) cost every `ls`, `inspect` or `prune` some 3-4 ms. Here it is
 * required when commander would first spawn. A commander whose source no longer reads so fails the build.
 */
const lazyChildProcessInCommander = {
  name: 'lazy-child-process-in-commander',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!text.includes(eager)) throw new Error(`build-cli: ${args.path} no longer has ${eager}`);
      const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: text.replace(eager, lazy), loader: 'js' };
    });
  },
};

/** The sources are ES modules: in a CommonJS bundle import.meta.url means the bundle's file. */
const asCommonJs = {
  format: 'cjs',
  define: { 'import.meta.url': '__cachexModuleUrl', 'import.meta.filename': '__filename', ...builtFacts },
  banner: { js: 'const __cachexModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
};

const full = path.join(ROOT, 'dist/cli/full-cli.cjs');
const BUNDLED_IN_FULL_CLI = ['commander', 'proper-lockfile'];
await build({
  ...common,
  ...asCommonJs,
  entryPoints: [path.join(SRC, 'cli', 'main.ts')],
  outfile: full,
  // commander and proper-lockfile (with graceful-fs and retry) are bundled too, so the code cache
  // covers them (the hit bundle never loads them): loading the lock's 13 files cost a miss some 10 ms.
  packages: undefined,
  external: Object.keys(dependencies).filter((name) => !BUNDLED_IN_FULL_CLI.includes(name)),
  plugins: [lazyChildProcessInCommander],
  // import() becomes require(): src/cli/load-full.ts compiles the bundle from a V8 code cache,
  // and Node 20 loses a script's import() callback when it comes from one.
  supported: { 'dynamic-import': false },
});
if (/(?<![\w.$])import\(/.test(readFileSync(full, 'utf8').replace(/(["'`])(?:\\.|(?!\1).)*\1/g, '""')))
  throw new Error(
    'build-cli: dist/cli/full-cli.cjs has an import() call; it would fail when loaded from the code cache',
  );
await build({
  ...common,
  ...asCommonJs,
  entryPoints: [path.join(SRC, 'cli', 'load-full.ts')],
  outfile: path.join(ROOT, 'dist/cli/load-full.cjs'),
});
// The task worker (src/runner/function-worker.ts) as one CommonJS file: from tsc's per-file output a
// worker started the ES-module loader and resolved a dozen files, a fifth of a function task's miss.
await build({
  ...common,
  ...asCommonJs,
  entryPoints: [path.join(SRC, 'runner', 'function-worker.ts')],
  outfile: path.join(ROOT, 'dist/cli/function-worker.cjs'),
});
// A real import() for the full CLI's bundle, which has none (src/config/esm-config.ts loads ES-module configs with it).
writeFileSync(
  path.join(ROOT, 'dist/cli/import-url.cjs'),
  '// import() from a file Node compiles itself (see scripts/build-cli.mjs, src/config/esm-config.ts).\nmodule.exports = (url) => import(url);\n',
);
const hitBundle = path.join(ROOT, 'dist/cli/cachex.cjs');
const BANNER = [
  // import.meta.url, made on first use (pathToFileURL costs a start half a millisecond).
  'const __cachexMeta = { get url() { const url = require("node:url").pathToFileURL(__filename).href; Object.defineProperty(this, "url", { value: url }); return url; } };',
  // bin/cachex.js runs this bundle as vm-compiled code (for V8's code cache), where import() needs an
  // experimental option: it passes its own import as __cachexLoader.import. Under a plain require, import().
  'const __cachexImport = typeof __cachexLoader !== "undefined" ? __cachexLoader.import : (s) => import(s);',
  // esbuild's __toESM copies every export of a module into a new object (getters) at each
  // `import x from 'node:fs'` — 37 of them, a millisecond of a hit: once per module is enough (the
  // copies are alike; node: builtins are never __esModule, so the mode cannot tell them apart).
  'const __toESMDone = [new WeakMap(), new WeakMap()];',
  'const __toESM = (mod, isNodeMode) => {',
  '  if (mod == null || (typeof mod !== "object" && typeof mod !== "function")) return __toESMEach(mod, isNodeMode);',
  '  const done = __toESMDone[isNodeMode ? 1 : 0];',
  '  let ns = done.get(mod);',
  '  if (!ns) done.set(mod, (ns = __toESMEach(mod, isNodeMode)));',
  '  return ns;',
  '};',
  '',
].join('\n');
const built = await build({
  ...common,
  ...asCommonJs,
  // The hit bundle makes import.meta.url lazily itself (BANNER).
  banner: undefined,
  format: 'cjs',
  entryPoints: [path.join(SRC, 'cli', 'entry.ts')],
  outfile: hitBundle,
  write: false,
  metafile: true,
  // Without the indentation: a fifth less to read and to check against V8's code cache on every hit
  // (names stay, so a --debug stack still names its functions).
  minifyWhitespace: true,
  plugins: [lazyFromDist, hitNodeModule],
  // The sources are ES modules: import.meta.url means this file.
  define: { 'import.meta.url': '__cachexMeta.url', 'import.meta.filename': '__filename', ...builtFacts },
});
const dynamic = Object.values(built.metafile.outputs)[0].imports.filter((i) => i.kind === 'dynamic-import').length;
let text = built.outputFiles[0].text;
// Every dynamic import esbuild left (`import("x")`, `import(name)`); never a method such as jiti.import(.
const DYNAMIC_IMPORT = /(?<![\w$.])import\((?=["'\w])/g;
const found = text.match(DYNAMIC_IMPORT)?.length ?? 0;
// One per external dynamic import the metafile names (entry.ts hands over to the full CLI by require()).
if (found !== dynamic) throw new Error(`build-cli: ${found} dynamic imports in the hit bundle, expected ${dynamic}`);
text = text.replace(DYNAMIC_IMPORT, '__cachexImport(');
// esbuild's own __toESM becomes __toESMEach, called once per module by the banner's __toESM.
const TO_ESM = /\bvar __toESM ?= ?\(/g;
if (text.match(TO_ESM)?.length !== 1) throw new Error("build-cli: esbuild's __toESM helper was not found once");
text = BANNER + text.replace(TO_ESM, 'var __toESMEach=(');
await writeFile(hitBundle, text);
// A code cache left by an earlier bundle is stale (bin/cachex.js would see so from its stamp): remove it.
for (const name of await readdir(path.dirname(hitBundle)))
  if (name.startsWith('cachex.cjs.') && name.includes('.v8cache'))
    await rm(path.join(path.dirname(hitBundle), name), { force: true });
