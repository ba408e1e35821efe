import { createRequire } from 'node:module';
import { fastHit } from './fast-hit.js';

/**
 * The CLI's entry (dist/cli/cachex.cjs, CommonJS): a small bundle that
 * answers a plain hit itself and otherwise loads the full CLI — commander,
 * jiti, every command — from its own bundle (dist/cli/full-cli.cjs, from main.ts,
 * through load-full.cjs). By require(), not import(): the full CLI is CommonJS,
 * and an import() would start the ES-module loader for it (some 5 ms of a miss).
 * bin/cachex.js runs it with V8's code cache (__cachexLoader, see there); the
 * build routes the bundle's dynamic imports through __cachexImport.
 */
declare const __cachexLoader: { answered(): void } | undefined;

// Variables, so the build leaves them to Node: they are files beside the bundle.
const FULL_CLI_LOADER: string = './load-full.cjs';
const FULL_CLI: string = './full-cli.cjs';

const argv = process.argv.slice(2);
void fastHit(argv).then(async (code) => {
  if (code !== null) {
    if (typeof __cachexLoader !== 'undefined') __cachexLoader.answered();
    process.exitCode = code;
    return;
  }
  const require = createRequire(import.meta.filename);
  const { loadFullCli } = require(FULL_CLI_LOADER) as typeof import('./load-full.js');
  process.exitCode = await loadFullCli(require.resolve(FULL_CLI)).main(argv);
});
