import { fastHit } from './fast-hit.js';

/**
 * The CLI's entry (dist/cli/cachex.mjs): a small bundle that answers a plain
 * hit itself and otherwise loads the full CLI — commander, jiti, every
 * command — from its own bundle (dist/cli/full.mjs, built from main.ts).
 */
const FULL_CLI = './full.mjs';

const argv = process.argv.slice(2);
process.exitCode = (await fastHit(argv)) ?? (await ((await import(FULL_CLI)) as typeof import('./main.js')).main(argv));
