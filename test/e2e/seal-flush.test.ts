/**
 * How a sealed entry's files reach the disk before the commit's rename
 * (issue 14): with many files, on a file system whose syncfs flushes
 * everything (ext4, xfs, btrfs, tmpfs), one syncfs (`sync -f`) instead of a
 * fsync per file; with few, the bounded fsyncs; and when syncfs fails, a
 * fsync per file after all. Observed with strace on the real CLI.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statfsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, Workspace } from '../helpers/cli.js';
import { cannotStrace, withReason } from '../helpers/faults.js';

const CONFIG = `export default { tasks: { many: { params: { n: { type: 'integer', default: 1 } },
  command: ['sh', '-c', 'i=0; while [ $i -lt {n} ]; do echo $i > {out}/f$i; i=$((i+1)); done'] } } };
`;

let ws: Workspace;
afterEach(() => ws?.cleanup());

/** One traced miss writing `n` files: the syscall lines of cachex and its children, in order. */
function tracedMiss(n: number, inject: string[] = []): string[] {
  const log = ws.path(`trace-${n}.log`);
  const r = spawnSync(
    'strace',
    [
      '-f',
      '-o',
      log,
      '-e',
      'trace=fsync,syncfs,rename',
      ...inject,
      process.execPath,
      CLI,
      'run',
      'many',
      '--n',
      `${n}`,
    ],
    { cwd: ws.dir, env: ws.env, encoding: 'utf8' },
  );
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/^miss many /m);
  return readFileSync(log, 'utf8').split('\n');
}

const count = (lines: string[], re: RegExp) => lines.filter((l) => re.test(l)).length;
const commitAt = (lines: string[]) => lines.findIndex((l) => /rename\(.*, "[^"]*\/cache\/[^"]*"\) = 0$/.test(l));

// ext4 (ext2/3 share the magic), xfs, btrfs, tmpfs: where the workspace lies decides which path is taken.
const flushingFs = (dir: string) => [0xef53, 0x58465342, 0x9123683e, 0x01021994].includes(statfsSync(dir).type);

describe.skipIf(cannotStrace())(withReason('flushing a sealed entry', cannotStrace()), () => {
  it('many files on ext4/xfs/btrfs/tmpfs: one syncfs before the commit, no fsync per file; the entry hits', () => {
    ws = new Workspace();
    ws.config(CONFIG, 'cachex.config.mjs');
    if (!flushingFs(ws.dir)) return; // elsewhere the next test's fsync path is the only one
    const lines = tracedMiss(100);
    const syncfs = lines.findIndex((l) => /syncfs\(\d+\)\s+= 0$/.test(l));
    expect(syncfs, lines.join('\n')).toBeGreaterThanOrEqual(0);
    expect(syncfs).toBeLessThan(commitAt(lines));
    // meta.yaml, the staging folder and its parent: a handful, not one per file.
    expect(count(lines, /\bfsync\(\d+/)).toBeLessThan(20);
    const hit = ws.run(['run', 'many', '--n', '100']);
    expect(hit.stderr).toMatch(/^hit many /m);
  });

  it('few files: a fsync per file, no syncfs', () => {
    ws = new Workspace();
    ws.config(CONFIG, 'cachex.config.mjs');
    const lines = tracedMiss(10);
    expect(count(lines, /syncfs\(/)).toBe(0);
    expect(count(lines, /\bfsync\(\d+/)).toBeGreaterThanOrEqual(10);
    expect(commitAt(lines)).toBeGreaterThan(0);
  });

  it('a failing syncfs is not taken as a flush: every file is fsynced before the commit', () => {
    ws = new Workspace();
    ws.config(CONFIG, 'cachex.config.mjs');
    if (!flushingFs(ws.dir)) return;
    const lines = tracedMiss(100, ['-e', 'inject=syncfs:error=EIO']);
    expect(count(lines, /syncfs\(.*EIO/)).toBe(1);
    const commit = commitAt(lines);
    expect(count(lines.slice(0, commit), /\bfsync\(\d+/)).toBeGreaterThanOrEqual(100);
    expect(ws.run(['run', 'many', '--n', '100']).stderr).toMatch(/^hit many /m);
  });
});
