/**
 * Resource faults (SPEC §7): a full disk, a read-only data folder or a
 * permission error gives one sentence and exit 4; nothing partial stays
 * behind; existing entries survive and still hit.
 */
import { chmodSync, closeSync, openSync, utimesSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, Workspace } from '../../helpers/cli.js';
import {
  cannotMount,
  cannotRunAsNobody,
  cannotStrace,
  checkStore,
  commitRenameIndex,
  cx,
  entryDirs,
  errorLines,
  list,
  mountTmpfs,
  remount,
  spawnGroup,
  stagingDirs,
  startGroup,
  unmount,
  verifyJson,
  withReason,
} from '../../helpers/faults.js';

let ws: Workspace;
let mounted: string | null = null;
afterEach(() => {
  if (mounted) unmount(mounted);
  mounted = null;
  ws?.cleanup();
});

/**
 * cachex's own output without the task's: the stand-in converter prints its
 * stack when its write fails, and a TS task that throws shows its stack like node.
 */
function cachexLines(stderr: string): string {
  return stderr.replace(/^(?:fake-converter: |[A-Za-z]*Error: ).*\n(?:\s+at .*\n)*/gm, '');
}

/** Exit 4, exactly one `error:` sentence, and no stack trace from cachex. */
function expectStoreError(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(4);
  const errors = errorLines(result.stderr);
  expect(errors, result.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
  expect(errors[0]).toMatch(/^error: [^\n]+\.$/);
  expect(cachexLines(result.stderr), result.stderr).not.toMatch(/^\s+at /m);
}

/** A workspace whose data folder is a fresh small tmpfs. */
function onTmpfs(size: string): Workspace {
  const w = new Workspace();
  mounted = w.path('mnt');
  mountTmpfs(mounted, size);
  w.env.DATA_FOLDER = path.join(mounted, 'data');
  return w;
}

function dataOf(w: Workspace): string {
  return w.env.DATA_FOLDER!;
}

/** Nothing partial: every entry folder is complete and tmp/ is empty. */
async function expectNothingPartial(w: Workspace): Promise<void> {
  expect((await checkStore(dataOf(w))).corrupt).toEqual([]);
  expect(list(path.join(dataOf(w), 'tmp'))).toEqual([]);
}

describe.skipIf(cannotMount())(withReason('resource faults on a small tmpfs data folder', cannotMount()), () => {
  it('a task whose output is larger than the free space fails with exit 4 and one sentence; its own output is shown, nothing partial stays, the stored entry still hits', async () => {
    ws = onTmpfs('2m');
    const a = ws.samplePcd('in/a.pcd', 'a');
    const b = ws.samplePcd('in/b.pcd', 'b');
    const stored = ws.run(cx(['run', 'potree', '--file', a]));
    expect(stored.code, stored.stderr).toBe(0);
    const big = ws.run(cx(['run', 'echo-args', '--label', 'hello from the task', '--file', b]), {
      env: { FAKE_BYTES: String(3 * 1024 * 1024) },
    });
    expectStoreError(big, /^error: The disk is full while .*; free some space or run `cachex prune --max-size …`\.$/);
    expect(big.stdout).toBe('hello from the task\n'); // the task's own output
    expect(big.stderr).toMatch(/ENOSPC/); // …and its own error
    expect(entryDirs(dataOf(ws))).toHaveLength(1);
    await expectNothingPartial(ws);
    const hit = ws.run(cx(['run', 'potree', '--file', a]));
    expect(hit.code).toBe(0);
    expect(hit.stderr).toMatch(/^hit potree /m);
    expect(hit.stdout).toBe(stored.stdout);
    const verify = verifyJson(ws);
    if (verify) {
      expect(verify.code).toBe(0);
      expect(verify.report.corrupt).toEqual([]);
    }
  });

  it('a TS task whose output does not fit fails the same way', async () => {
    ws = onTmpfs('2m');
    const a = ws.samplePcd('in/a.pcd', 'a');
    const stored = ws.run(cx(['run', 'potree', '--file', a]));
    expect(stored.code).toBe(0);
    const big = ws.run(cx(['run', 'fill', '--bytes', String(3 * 1024 * 1024)]));
    expectStoreError(big, /^error: The disk is full /);
    expect(big.stdout).toContain('filling');
    await expectNothingPartial(ws);
    expect(ws.run(cx(['run', 'potree', '--file', a])).stderr).toMatch(/^hit potree /m);
  });

  it('with the disk filled to the brim by another file: hits are served, a miss fails with exit 4 and one sentence, nothing partial stays', async () => {
    ws = onTmpfs('2m');
    const a = ws.samplePcd('in/a.pcd', 'a');
    const b = ws.samplePcd('in/b.pcd', 'b');
    const stored = ws.run(cx(['run', 'potree', '--file', a]));
    expect(stored.code).toBe(0);
    const filler = openSync(path.join(mounted!, 'filler'), 'w');
    try {
      const block = Buffer.alloc(64 * 1024, 1);
      for (;;) writeSync(filler, block);
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    try {
      for (;;) writeSync(filler, Buffer.alloc(1));
    } catch {
      /* to the last byte */
    }
    closeSync(filler);
    const hit = ws.run(cx(['run', 'potree', '--file', a]));
    expect(hit.code, hit.stderr).toBe(0);
    expect(hit.stdout).toBe(stored.stdout);
    const miss = ws.run(cx(['run', 'potree', '--file', b]));
    expectStoreError(miss, /^error: The disk is full /);
    await expectNothingPartial(ws);
    expect(entryDirs(dataOf(ws))).toHaveLength(1);
  });

  it('a read-only data folder: a hit is served, a miss fails with exit 4 and one sentence; writable again, verify is clean and the miss stores', async () => {
    ws = onTmpfs('8m');
    const a = ws.samplePcd('in/a.pcd', 'a');
    const b = ws.samplePcd('in/b.pcd', 'b');
    const stored = ws.run(cx(['run', 'potree', '--file', a]));
    expect(stored.code).toBe(0);
    const storedConvert = ws.run(cx(['run', 'convert', '--file', a]));
    expect(storedConvert.code).toBe(0);
    remount(mounted!, 'ro');
    try {
      for (const [args, clean] of [
        [['run', 'potree', '--file', a], stored],
        [['run', 'convert', '--file', a], storedConvert],
      ] as const) {
        const hit = ws.run(cx([...args]));
        expect(hit.code, hit.stderr).toBe(0);
        expect(hit.stderr).toMatch(/^hit /m);
        expect(hit.stdout).toBe(clean.stdout);
      }
      // Listing cannot write its summary here: it lists all the same (and says nothing about the summary).
      const listed = ws.run(cx(['ls', '--json']));
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stderr).toBe('');
      expect(JSON.parse(listed.stdout)).toHaveLength(2);
      const calls = ws.converterRuns();
      const miss = ws.run(cx(['run', 'potree', '--file', b]));
      expectStoreError(
        miss,
        /^error: The data folder is on a read-only file system while .*; point --data-folder or DATA_FOLDER at a writable folder\.$/,
      );
      expect(ws.converterRuns()).toBe(calls); // refused before running anything
    } finally {
      remount(mounted!, 'rw');
    }
    const verify = verifyJson(ws);
    if (verify) {
      expect(verify.code).toBe(0);
      expect(verify.report.corrupt).toEqual([]);
    }
    await expectNothingPartial(ws);
    const miss = ws.run(cx(['run', 'potree', '--file', b]));
    expect(miss.code, miss.stderr).toBe(0);
    expect(miss.stderr).toMatch(/^miss potree /m);
  });
});

describe.skipIf(cannotRunAsNobody())(
  withReason('permission errors (cachex run as the nobody user on a root-owned data folder)', cannotRunAsNobody()),
  () => {
    it('a hit is served; a miss fails with exit 4 and one sentence; the store is unchanged', async () => {
      ws = new Workspace();
      chmodSync(ws.dir, 0o755);
      const a = ws.samplePcd('in/a.pcd', 'a');
      const b = ws.samplePcd('in/b.pcd', 'b');
      chmodSync(a, 0o644);
      chmodSync(b, 0o644);
      const stored = ws.run(cx(['run', 'potree', '--file', a]));
      expect(stored.code).toBe(0);
      const asNobody = async (args: string[]) => {
        const run = spawnGroup(ws, [
          'runuser',
          '-u',
          'nobody',
          '--',
          'env',
          `HOME=${ws.dir}`,
          process.execPath,
          CLI,
          ...cx(args),
        ]);
        return run.done;
      };
      const hit = await asNobody(['run', 'potree', '--file', a]);
      expect(hit.code, hit.stderr).toBe(0);
      expect(hit.stdout).toBe(stored.stdout);
      const miss = await asNobody(['run', 'potree', '--file', b]);
      expectStoreError(
        miss,
        /^error: Permission denied while .*; make the data folder writable or point DATA_FOLDER elsewhere\.$/,
      );
      expect(entryDirs(ws.data)).toHaveLength(1);
      await expectNothingPartial(ws);
    });
  },
);

/**
 * The store step failing after the task succeeded: the task's output and the
 * error are both shown, exit 4, and nothing partial stays. strace turns the
 * commit rename (the lock owner file's and the staging folder's renames come first) into the error.
 */
describe.skipIf(cannotStrace())(
  withReason('a store step that fails after the task ran (strace error injection)', cannotStrace()),
  () => {
    it.each([
      ['ENOSPC', /^error: The disk is full while storing the entry potree [0-9a-f]{12} /],
      ['EROFS', /^error: The data folder is on a read-only file system while storing the entry potree /],
      ['EIO', /^error: Store error while storing the entry potree [0-9a-f]{12} .*EIO/],
      ['EDQUOT', /^error: The disk quota is exceeded while storing the entry potree /],
    ])(
      '%s on the final rename: exit 4, one sentence, the task output shown, no entry, staging removed',
      async (errno, pattern) => {
        ws = new Workspace();
        const a = ws.samplePcd('in/a.pcd', 'a');
        // Old enough for the digest cache, which a dry run fills, so every run makes the same renames.
        utimesSync(a, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
        expect(ws.run(cx(['run', 'potree', '--file', a, '--dry-run'])).code).toBe(0);
        const commit = commitRenameIndex(ws, cx(['run', 'potree', '--file', a]));
        const calls = ws.converterRuns();
        const run = startGroup(ws, cx(['run', 'potree', '--file', a]), {}, [
          'strace',
          '-o',
          '/dev/null',
          '-e',
          'trace=rename',
          '-e',
          `inject=rename:error=${errno}:when=${commit}`,
        ]);
        const result = await run.done;
        expectStoreError(result, pattern);
        expect(result.stdout).toBe('converted a.pcd\n');
        expect(ws.converterRuns()).toBe(calls + 1); // the task ran; only its store step failed
        expect(result.stderr).toMatch(/^miss potree [0-9a-f]{12} \(ran .*\)$/m);
        expect(entryDirs(ws.data)).toEqual([]);
        expect(stagingDirs(ws)).toEqual([]);
        expect(list(path.join(ws.data, 'locks', 'tasks', 'potree'))).toEqual([]);
        const next = ws.run(cx(['run', 'potree', '--file', a]));
        expect(next.code).toBe(0);
        expect(next.stderr).toMatch(/^miss potree /m);
      },
    );
  },
);
