/**
 * How a sealed entry's files reach the disk before the commit's rename
 * (issue 14): with many files, on a file system whose syncfs flushes
 * everything (ext4, xfs, btrfs, tmpfs), a syncfs (`sync -f`) started before
 * hashing and one after it instead of a fsync per file; with few, the bounded
 * fsyncs; and when either syncfs fails, a fsync per file after all. Observed
 * with strace on the real CLI.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
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
      'trace=fsync,syncfs,rename,fchmod',
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

// A syncfs that returned 0, whole or (while another process's call came between) as its resumed half.
const SYNCFS_OK = /(syncfs\(\d+|<\.\.\. syncfs resumed>)\)\s+= 0$/;
const count = (lines: string[], re: RegExp) => lines.filter((l) => re.test(l)).length;
const commitAt = (lines: string[]) => lines.findIndex((l) => /rename\(.*, "[^"]*\/cache\/[^"]*"\) = 0$/.test(l));

// ext4 (ext2/3 share the magic), xfs, btrfs, tmpfs: where the workspace lies decides which path is taken.
const flushingFs = (dir: string) => [0xef53, 0x58465342, 0x9123683e, 0x01021994].includes(statfsSync(dir).type);

describe.skipIf(cannotStrace())(withReason('flushing a sealed entry', cannotStrace()), () => {
  it('many files on ext4/xfs/btrfs/tmpfs: two syncfs before the commit, no fsync per file; the entry hits', () => {
    ws = new Workspace();
    ws.config(CONFIG, 'cachex.config.mjs');
    if (!flushingFs(ws.dir)) return; // elsewhere the next test's fsync path is the only one
    const lines = tracedMiss(100);
    const syncfs = lines.flatMap((l, i) => (SYNCFS_OK.test(l) ? [i] : []));
    expect(syncfs.length, lines.join('\n')).toBe(2);
    expect(syncfs[1]).toBeLessThan(commitAt(lines));
    // The second flushes what sealing changed while the first ran: it comes after the last output's chmod.
    expect(count(lines, /fchmod\(\d+, 0444/)).toBe(100);
    expect(syncfs[1]).toBeGreaterThan(lines.findLastIndex((l) => /fchmod\(| fchmod resumed>/.test(l)));
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
    expect(count(lines, /syncfs(\(| resumed>).*EIO/)).toBe(1);
    const commit = commitAt(lines);
    expect(count(lines.slice(0, commit), /\bfsync\(\d+/)).toBeGreaterThanOrEqual(100);
    expect(ws.run(['run', 'many', '--n', '100']).stderr).toMatch(/^hit many /m);
  });

  it('a failing second syncfs is not taken as a flush either: every file is fsynced before the commit', () => {
    ws = new Workspace();
    ws.config(CONFIG, 'cachex.config.mjs');
    if (!flushingFs(ws.dir)) return;
    // A stand-in for coreutils' sync, first on PATH: the real one the first time, exit 1 after.
    const bin = ws.path('bin');
    mkdirSync(bin);
    const real = spawnSync('sh', ['-c', 'command -v sync'], { encoding: 'utf8' }).stdout.trim();
    const script = `#!/bin/sh\nif [ -e "${bin}/ran" ]; then exit 1; fi\n: > "${bin}/ran"\nexec "${real}" "$@"\n`;
    writeFileSync(`${bin}/sync`, script);
    chmodSync(`${bin}/sync`, 0o755);
    ws.env.PATH = `${bin}:${ws.env.PATH}`;
    const lines = tracedMiss(100);
    expect(count(lines, SYNCFS_OK)).toBe(1);
    const commit = commitAt(lines);
    expect(count(lines.slice(0, commit), /\bfsync\(\d+/)).toBeGreaterThanOrEqual(100);
    expect(ws.run(['run', 'many', '--n', '100']).stderr).toMatch(/^hit many /m);
  });
});
