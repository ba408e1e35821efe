/**
 * minFreeSpace on a real small tmpfs: a store step that would leave less free
 * than the setting first prunes least-recently-used entries (prune's rules:
 * an entry hit in the last minute stays, one only created is not in use);
 * when that cannot make room the run is not stored, says why, and exits with
 * the task's code. A task that cannot even write its outputs still ends with
 * exit 4 (resources.test.ts).
 */
import { statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../helpers/cli.js';
import { cannotMount, checkStore, cx, entryDirs, list, mountTmpfs, unmount, withReason } from '../../helpers/faults.js';

let ws: Workspace;
let mounted: string | null = null;
afterEach(() => {
  if (mounted) unmount(mounted);
  mounted = null;
  ws?.cleanup();
});

const MiB = 1024 * 1024;

/** A workspace whose data folder is a fresh 4 MiB tmpfs, and whose converter writes 1 MiB per entry. */
function onTmpfs(): Workspace {
  const w = new Workspace();
  mounted = w.path('mnt');
  mountTmpfs(mounted, '4m');
  w.env.DATA_FOLDER = path.join(mounted, 'data');
  w.env.FAKE_BYTES = String(MiB);
  return w;
}

function data(): string {
  return ws.env.DATA_FOLDER!;
}

/** Free bytes on the tmpfs, as cachex measures them. */
function free(): number {
  const fs = statfsSync(mounted!);
  return fs.bavail * fs.bsize;
}

function keysStored(): string[] {
  return entryDirs(data())
    .map((d) => path.basename(d).slice(0, 12))
    .sort();
}

function key12(stderr: string): string {
  return /^(?:miss|hit) potree ([0-9a-f]{12})/m.exec(stderr)![1];
}

describe.skipIf(cannotMount())(withReason('minFreeSpace on a small tmpfs data folder', cannotMount()), () => {
  it('a store near the limit prunes the least recently used entry (created, never hit) and stores the new one; an entry hit in the last minute stays', async () => {
    ws = onTmpfs();
    const [a, b, c] = ['a', 'b', 'c'].map((v) => ws.samplePcd(`in/${v}.pcd`, v));
    const storeA = ws.run(cx(['run', 'potree', '--file', a]));
    expect(storeA.code, storeA.stderr).toBe(0);
    const storeB = ws.run(cx(['run', 'potree', '--file', b]));
    expect(storeB.code, storeB.stderr).toBe(0);
    // a was stored first and never hit; b is hit now, so b is in use for the next minute.
    expect(ws.run(cx(['run', 'potree', '--file', b])).stderr).toMatch(/^hit potree /m);
    // Storing c (1 MiB) leaves about free - 1 MiB: half a MiB short of this, until one entry goes.
    const min = free() - MiB / 2;
    const storeC = ws.run(cx(['run', 'potree', '--file', c]), { env: { CACHEX_MIN_FREE_SPACE: String(min) } });
    expect(storeC.code, storeC.stderr).toBe(0);
    expect(storeC.stderr).toMatch(/^miss potree [0-9a-f]{12} \(.*stored 1\.\d MB\)$/m);
    expect(keysStored()).toEqual([key12(storeB.stderr), key12(storeC.stderr)].sort());
    expect(free()).toBeGreaterThanOrEqual(min);
    expect(list(path.join(data(), 'tmp'))).toEqual([]);
    expect((await checkStore(data())).corrupt).toEqual([]);
    // c is a hit now, and so is b; a recomputes.
    expect(ws.run(cx(['run', 'potree', '--file', c])).stderr).toMatch(/^hit potree /m);
    expect(ws.run(cx(['run', 'potree', '--file', b])).stderr).toMatch(/^hit potree /m);
  });

  it("when pruning cannot make room (the only entry was just hit): not stored, the status line says why, the exit code is the task's, nothing stays in tmp/", async () => {
    ws = onTmpfs();
    const [a, b] = ['a', 'b'].map((v) => ws.samplePcd(`in/${v}.pcd`, v));
    const storeA = ws.run(cx(['run', 'potree', '--file', a]));
    expect(storeA.code, storeA.stderr).toBe(0);
    expect(ws.run(cx(['run', 'potree', '--file', a])).stderr).toMatch(/^hit potree /m);
    const min = free() - MiB / 2;
    const env = { CACHEX_MIN_FREE_SPACE: String(min) };
    const calls = ws.converterRuns();
    const out = ws.path('out-b'); // outside the tmpfs: a run not stored still places its outputs as asked
    const run = ws.run(cx(['run', 'potree', '--file', b, '--out', out]), { env });
    expect(run.code, run.stderr).toBe(0); // the task's exit code
    expect(run.stdout).toBe('converted b.pcd\n');
    expect(ws.converterRuns()).toBe(calls + 1);
    expect(run.stderr).toMatch(
      /^miss potree [0-9a-f]{12} \(.*ran .*, not stored: storing it would leave .* free on the data folder's disk, less than the .* to keep free \(minFreeSpace, CACHEX_MIN_FREE_SPACE\), even after pruning the least recently used entries not in use\)$/m,
    );
    expect(keysStored()).toEqual([key12(storeA.stderr)]);
    expect(list(out)).toContain('metadata.json');
    expect(statSync(path.join(out, 'cloud.bin')).size).toBe(MiB);
    expect(list(path.join(data(), 'tmp'))).toEqual([]);
    expect(list(path.join(data(), 'locks', 'tasks', 'potree'))).toEqual([]);
    expect((await checkStore(data())).corrupt).toEqual([]);
    // Not stored, so the next run computes again; the kept entry still hits.
    expect(ws.run(cx(['run', 'potree', '--file', b]), { env }).stderr).toMatch(/^miss potree /m);
    expect(ws.run(cx(['run', 'potree', '--file', a]), { env }).stderr).toMatch(/^hit potree /m);
  });

  it('a minFreeSpace of the whole disk: not stored even in an empty store, run --json says why; 0 switches the check off', async () => {
    ws = onTmpfs();
    const a = ws.samplePcd('in/a.pcd', 'a');
    // More than the whole disk: no prune can help, on an empty store.
    const run = ws.run(cx(['run', 'potree', '--file', a, '--json']), { env: { CACHEX_MIN_FREE_SPACE: '100%' } });
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.stored).toBe(false);
    expect(JSON.stringify(out)).toMatch(/minFreeSpace/);
    expect(entryDirs(data())).toEqual([]);
    expect(list(path.join(data(), 'tmp'))).toEqual([]);
    // 0 switches it off.
    const off = ws.run(cx(['run', 'potree', '--file', a]), { env: { CACHEX_MIN_FREE_SPACE: '0' } });
    expect(off.stderr).toMatch(/^miss potree .*stored/m);
    expect(entryDirs(data())).toHaveLength(1);
  });
});

describe('minFreeSpace settings', () => {
  it('a bad CACHEX_MIN_FREE_SPACE is exit 3 and one sentence naming it; nothing runs', () => {
    ws = new Workspace();
    const a = ws.samplePcd('in/a.pcd');
    const r = ws.run(cx(['run', 'potree', '--file', a]), { env: { CACHEX_MIN_FREE_SPACE: 'lots' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: CACHEX_MIN_FREE_SPACE must be a size such as '1GB' .*, got "lots"\.$/m);
    expect(ws.converterRuns()).toBe(0);
  });
});
