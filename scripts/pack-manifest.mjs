#!/usr/bin/env node
// The package.json that goes into a packed tarball: without the `prepare` build
// step (and the pack hooks themselves). `prepare` is for a clone and a git URL
// install, which build from source; a tarball ships dist/ already built, and npm
// would warn about (and block) a dependency's `prepare` script.
//   node scripts/pack-manifest.mjs strip     (prepack: keeps the original aside)
//   node scripts/pack-manifest.mjs restore   (postpack)
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const manifest = join(root, 'package.json');
const original = join(root, '.package.json.prepack');
const STRIPPED = ['prepare', 'prepack', 'postpack'];

const mode = process.argv[2];
if (mode === 'strip') {
  // A pack that failed after prepack left the stripped copy in place: start from the original.
  if (existsSync(original)) renameSync(original, manifest);
  const text = readFileSync(manifest, 'utf8');
  writeFileSync(original, text);
  const pkg = JSON.parse(text);
  for (const name of STRIPPED) delete pkg.scripts?.[name];
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (mode === 'restore') {
  if (existsSync(original)) renameSync(original, manifest);
} else {
  console.error('usage: node scripts/pack-manifest.mjs strip|restore');
  process.exit(2);
}
