import { fastHit } from './fast-hit.js';

/**
 * The CLI's entry (dist/cli/cachex.cjs, CommonJS): a small bundle that
 * answers a plain hit itself and otherwise loads the full CLI — commander,
 * jiti, every command — from its own bundle (dist/cli/full.mjs, from main.ts).
 */
const FULL_CLI: string = './full.mjs';

const argv = process.argv.slice(2);
void fastHit(argv).then(async (code) => {
  process.exitCode = code ?? (await ((await import(FULL_CLI)) as typeof import('./main.js')).main(argv));
});
