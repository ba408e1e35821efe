#!/usr/bin/env node
// What the last complete build was built from, so `npm test` rebuilds only when that changed:
//   build-stamp.mjs write   (the last step of `npm run build`) records a digest of the inputs in dist/
//   build-stamp.mjs fresh   exits 0 when dist/ holds a complete build of the inputs as they are now
// A clean clone's `npm ci` (prepare) and CI's own `npm run build` already build; rebuilding again before
// the tests cost 10-20 s of the suite's time on two cores. The digest is of contents, not times, so a
// checkout or a touch never fools it; the build empties dist/ first, so a failed build leaves no stamp.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const STAMP = path.join(ROOT, 'dist', '.build-inputs');
// Everything the build reads: the sources, its scripts and configs, and the installed packages it bundles.
const FILES = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'scripts/build-cli.mjs',
  'scripts/clean-dist.mjs',
  'scripts/build-stamp.mjs',
  'node_modules/.package-lock.json',
];

function* tree(rel) {
  for (const entry of readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
    const child = `${rel}/${entry.name}`;
    if (entry.isDirectory()) yield* tree(child);
    else yield child;
  }
}

function digest() {
  const hash = createHash('sha256');
  for (const rel of [...FILES, ...[...tree('src')].sort()]) {
    let bytes;
    try {
      bytes = readFileSync(path.join(ROOT, rel));
    } catch {
      bytes = Buffer.from('(absent)');
    }
    hash.update(`${rel}\0${bytes.length}\0`).update(bytes);
  }
  return hash.digest('hex');
}

const mode = process.argv[2];
if (mode === 'write') writeFileSync(STAMP, `${digest()}\n`);
else if (mode === 'fresh') {
  let recorded = '';
  try {
    recorded = readFileSync(STAMP, 'utf8').trim();
  } catch {}
  process.exit(recorded === digest() ? 0 : 1);
} else {
  console.error('usage: build-stamp.mjs write | fresh');
  process.exit(2);
}
