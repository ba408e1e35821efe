import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..', '..');
let scratch: string | undefined;
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A project folder with the stamp script and a small src/, as the script sees its own repository. */
function project(): string {
  scratch = mkdtempSync(path.join(tmpdir(), 'cachex-build-stamp-'));
  mkdirSync(path.join(scratch, 'scripts'));
  mkdirSync(path.join(scratch, 'src', 'cli'), { recursive: true });
  mkdirSync(path.join(scratch, 'dist'));
  copyFileSync(path.join(REPO, 'scripts', 'build-stamp.mjs'), path.join(scratch, 'scripts', 'build-stamp.mjs'));
  writeFileSync(path.join(scratch, 'package.json'), '{}\n');
  writeFileSync(path.join(scratch, 'src', 'cli', 'main.ts'), 'export const a = 1;\n');
  return scratch;
}

const stamp = (root: string, mode: string) =>
  spawnSync(process.execPath, [path.join(root, 'scripts', 'build-stamp.mjs'), mode], { encoding: 'utf8' }).status;

describe('npm test rebuilds only when the build inputs changed', () => {
  it('pretest checks the stamp and builds when it is not fresh; the build writes it last', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    expect(scripts.pretest).toBe('node scripts/build-stamp.mjs fresh || npm run build');
    expect(scripts.build.split(' && ').at(-1)).toBe('node scripts/build-stamp.mjs write');
  });

  it('no stamp, a changed source, an added source and a changed package.json are each not fresh', () => {
    const root = project();
    expect(stamp(root, 'fresh')).toBe(1);
    expect(stamp(root, 'write')).toBe(0);
    expect(stamp(root, 'fresh')).toBe(0);
    // Same length, other content: a size-and-time check could miss an edit like this one.
    writeFileSync(path.join(root, 'src', 'cli', 'main.ts'), 'export const a = 2;\n');
    expect(stamp(root, 'fresh')).toBe(1);
    expect(stamp(root, 'write')).toBe(0);
    writeFileSync(path.join(root, 'src', 'cli', 'new.ts'), 'export {};\n');
    expect(stamp(root, 'fresh')).toBe(1);
    expect(stamp(root, 'write')).toBe(0);
    writeFileSync(path.join(root, 'package.json'), '{"version":"2"}\n');
    expect(stamp(root, 'fresh')).toBe(1);
  });
});
