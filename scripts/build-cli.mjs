#!/usr/bin/env node
// The CLI's two bundles (after tsc has written dist/):
//   dist/cli/full.mjs   every command (src/cli/main.ts), one file;
//   dist/cli/cachex.cjs the entry (src/cli/entry.ts): the hit path only, as CommonJS (no
//                       ES-module loader to start). What a hit never runs — a miss's runner and
//                       lock, the remote tier, --explain — is reached by dynamic imports, which
//                       stay imports of tsc's per-file output in dist/ instead of being bundled,
//                       so a hit parses none of it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
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

await build({
  ...common,
  entryPoints: [path.join(SRC, 'cli', 'main.ts')],
  outfile: path.join(ROOT, 'dist/cli/full.mjs'),
});
await build({
  ...common,
  format: 'cjs',
  entryPoints: [path.join(SRC, 'cli', 'entry.ts')],
  outfile: path.join(ROOT, 'dist/cli/cachex.cjs'),
  plugins: [lazyFromDist],
  // The sources are ES modules: import.meta.url means this file.
  define: { 'import.meta.url': '__cachexModuleUrl' },
  banner: { js: 'const __cachexModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
});
