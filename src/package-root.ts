import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Set by the build in the CLI's bundles, which live in dist/cli/: the root is two folders up, no walk. */
declare const __CACHEX_BUNDLE_IN_DIST_CLI__: boolean | undefined;

/**
 * The folder holding cachex's package.json. Found by walking up rather than by
 * a fixed `..`, because the CLI runs from bundles (dist/cli/cachex.cjs, full-cli.cjs) while
 * the library and the task worker run from tsc's per-file output.
 */
function findRoot(): string {
  if (typeof __CACHEX_BUNDLE_IN_DIST_CLI__ === 'boolean') return path.resolve(__dirname, '..', '..');
  // import.meta.filename (Node 20.11+; __filename in the CommonJS hit bundle) spares the URL parse.
  let dir = path.dirname(import.meta.filename ?? fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cachex: cannot find its own package.json');
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findRoot();

/** A file of the built package, e.g. distFile('cli', 'function-worker.cjs'). */
export function distFile(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, 'dist', ...parts);
}
