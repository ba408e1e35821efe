import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..', '..');
let scratch: string | undefined;
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('npm run build starts from an empty dist/', () => {
  it('the build script empties dist/ before tsc writes it', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    expect(scripts.build.split(' && ')[0]).toBe('node scripts/clean-dist.mjs');
  });

  it('clean-dist removes a module left from an earlier build, nested folders included', () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'cachex-clean-dist-'));
    const dist = path.join(scratch, 'dist');
    mkdirSync(path.join(dist, 'cli'), { recursive: true });
    writeFileSync(path.join(dist, 'cli', 'removed-module.js'), 'export {};\n');
    const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'clean-dist.mjs'), dist], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(dist)).toBe(false);
    // A second run on a missing folder is not an error (a fresh clone has no dist/).
    expect(spawnSync(process.execPath, [path.join(REPO, 'scripts', 'clean-dist.mjs'), dist]).status).toBe(0);
  });
});
