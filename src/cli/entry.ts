import { fastHit } from './fast-hit.js';

/**
 * The CLI's entry (dist/cli/cachex.cjs, CommonJS): a small bundle that
 * answers a plain hit itself and otherwise loads the full CLI — commander,
 * jiti, every command — from its own bundle (dist/cli/full.mjs, from main.ts).
 * bin/cachex.js runs it with V8's code cache (__cachexLoader, see there); the
 * build routes the bundle's dynamic imports through __cachexImport.
 */
declare const __cachexLoader: { answered(): void } | undefined;

const FULL_CLI: string = './full.mjs';

const argv = process.argv.slice(2);
void fastHit(argv).then(async (code) => {
  if (code !== null && typeof __cachexLoader !== 'undefined') __cachexLoader.answered();
  process.exitCode = code ?? (await ((await import(FULL_CLI)) as typeof import('./main.js')).main(argv));
});
