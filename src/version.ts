import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (kept out of the key on purpose: see KEY_FORMAT). */
export const CACHEX_VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
