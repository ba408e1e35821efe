import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { cleanEnv } from '../helpers/pack.js';

describe("the repository's own dependencies", () => {
  it('satisfy every peer range, so npm install and npm ci print no ERESOLVE warning', () => {
    // npm ls exits non-zero on an invalid peer (esbuild 0.25 under vite 8 was one); other platforms' optional binaries are fine.
    const r = spawnSync('npm', ['ls', '--all', '--no-update-notifier'], {
      cwd: REPO,
      env: cleanEnv(),
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/\binvalid\b|UNMET (?!OPTIONAL)/);
    expect(r.status).toBe(0);
  });
});
