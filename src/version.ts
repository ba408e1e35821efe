import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';

/** Set by the build in the CLI's bundles (scripts/build-cli.mjs): a start then reads no package.json. */
declare const __CACHEX_BUILT_VERSION__: string | undefined;

/** The package version, read once from package.json (kept out of the key on purpose: see KEY_FORMAT). */
export const CACHEX_VERSION: string =
  typeof __CACHEX_BUILT_VERSION__ === 'string'
    ? __CACHEX_BUILT_VERSION__
    : JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;
