#!/usr/bin/env node
// Empties dist/ (or the folder given) before a build: tsc and esbuild only write, so a module
// deleted or renamed in src/ would otherwise survive in dist/ and keep working there (and in a
// packed tarball) by accident.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
rmSync(process.argv[2] ?? path.join(ROOT, 'dist'), { recursive: true, force: true });
