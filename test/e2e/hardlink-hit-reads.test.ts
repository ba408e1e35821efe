/**
 * A hard-link restore must not change what a hit trusts (issue 14): linking
 * and unlinking a stored file changes its ctime, and a hit whose stamp held
 * the ctime re-hashed every output afterwards. The hit after `--out DIR
 * --link hardlink` (and after DIR is deleted) reads no stored output bytes:
 * counted with the cachex process's own /proc/self/io (rchar), next to a plain
 * hit of the same entry, with outputs of 48 MiB so the difference is unambiguous.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, Workspace } from '../helpers/cli.js';
import { cx } from '../helpers/faults.js';

const BYTES = 48 * 1024 * 1024;
const PROBE = `import { readFileSync, writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.PROBE_OUT, readFileSync('/proc/self/io', 'utf8')));
`;

let ws: Workspace;
afterEach(() => ws?.cleanup());

/** Runs cachex with a preload that records the process's read counters at exit; returns its rchar. */
function readsOf(args: string[]): { rchar: number; stderr: string } {
  const out = ws.path('io.txt');
  rmSync(out, { force: true });
  const r = spawnSync(process.execPath, ['--import', ws.path('probe.mjs'), CLI, ...args], {
    cwd: ws.dir,
    env: { ...ws.env, FAKE_BYTES: String(BYTES), PROBE_OUT: out },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const rchar = Number(/rchar:\s+(\d+)/.exec(readFileSync(out, 'utf8'))?.[1]);
  expect(Number.isFinite(rchar)).toBe(true);
  return { rchar, stderr: r.stderr };
}

describe.skipIf(!existsSync('/proc/self/io'))('hits after a hard-link restore', () => {
  it('read 0 bytes of stored outputs: after --out DIR --link hardlink, and after DIR is deleted', () => {
    ws = new Workspace();
    ws.write('probe.mjs', PROBE);
    const file = ws.samplePcd('in/a.pcd');
    const run = cx(['run', 'potree', '--file', file]);
    expect(readsOf(run).stderr).toMatch(/^miss potree /m);
    const plain = readsOf(run); // a hit trusting the stamps sealing wrote: no output is read
    expect(plain.stderr).toMatch(/^hit potree /m);
    expect(plain.rchar).toBeLessThan(BYTES / 2);

    const dir = ws.path('restored');
    const restore = readsOf([...run, '--out', dir, '--link', 'hardlink']);
    expect(restore.stderr).toMatch(/^hit potree /m);
    expect(statSync(`${dir}/cloud.bin`).nlink).toBeGreaterThan(1); // really shares the stored file
    const afterLink = readsOf(run);
    rmSync(dir, { recursive: true });
    const afterUnlink = readsOf(run);
    for (const hit of [restore, afterLink, afterUnlink]) {
      expect(hit.stderr).toMatch(/^hit potree /m);
      // Re-hashing would read the 48 MiB cloud.bin again; allow 1 MiB for meta.yaml, logs and the bundle's variance.
      expect(hit.rchar - plain.rchar).toBeLessThan(1024 * 1024);
    }

    // The check still has teeth: verify re-hashes every byte.
    const verify = readsOf(cx(['verify']));
    expect(verify.rchar).toBeGreaterThan(BYTES);
  });
});
