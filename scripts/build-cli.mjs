#!/usr/bin/env node
// The CLI's bundles (after tsc has written dist/):
//   dist/cli/full-cli.cjs every command (src/cli/main.ts), one CommonJS file; dist/cli/full.mjs
//                         is a two-line ES module handing it on (the name the entry and
//                         bin/cachex.js load). CommonJS because an ES-module bundle hoists every
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
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { dependencies } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
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

/** The sources are ES modules: in a CommonJS bundle import.meta.url means the bundle's file. */
const asCommonJs = {
  format: 'cjs',
  define: { 'import.meta.url': '__cachexModuleUrl' },
  banner: { js: 'const __cachexModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
};

const full = path.join(ROOT, 'dist/cli/full-cli.cjs');
await build({
  ...common,
  ...asCommonJs,
  entryPoints: [path.join(SRC, 'cli', 'main.ts')],
  outfile: full,
  // commander is bundled too, so the code cache covers it (the hit bundle never loads it).
  packages: undefined,
  external: Object.keys(dependencies).filter((name) => name !== 'commander'),
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
// require(), not import(): importing CommonJS from an ES module makes Node scan all of it for export names.
writeFileSync(
  path.join(ROOT, 'dist/cli/full.mjs'),
  `// The full CLI (full-cli.cjs through load-full.cjs, see scripts/build-cli.mjs).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const { main } = require('./load-full.cjs').loadFullCli(require.resolve('./full-cli.cjs'));
`,
);
await build({
  ...common,
  ...asCommonJs,
  entryPoints: [path.join(SRC, 'cli', 'entry.ts')],
  outfile: path.join(ROOT, 'dist/cli/cachex.cjs'),
  plugins: [lazyFromDist],
});
