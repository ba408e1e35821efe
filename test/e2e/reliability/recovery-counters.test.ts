/**
 * Recovery counters: what the store repaired is recorded in the statistics
 * log and shown by `cachex stats` (`--json` too) and `verify --json`, so a
 * fleet's operators can see it. Each recovery is caused for real: a damaged
 * entry found by a run and set aside, a SIGKILLed holder whose lock the next
 * run takes over, the staging folder that kill left swept by prune, a damaged
 * entry set aside by verify --fix, a swapped-out entry put back.
 */
import { existsSync, readFileSync, renameSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../helpers/cli.js';
import { cx, entryDirs, list, stagingDirs, startGroup, waitFor } from '../../helpers/faults.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

interface Recovery {
  corruptFound: number;
  setAside: number;
  locksTakenOver: number;
  leftoversSwept: number;
  entriesRestored: number;
}

function recovery(): Recovery {
  const r = ws.run(cx(['stats', '--json']));
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).recovery as Recovery;
}

const none: Recovery = { corruptFound: 0, setAside: 0, locksTakenOver: 0, leftoversSwept: 0, entriesRestored: 0 };

function entryOf(file: string): string {
  const dir = entryDirs(ws.data).find((d) => {
    const meta = path.join(d, 'meta.yaml');
    return existsSync(meta) && readFileSync(meta, 'utf8').includes(path.basename(file));
  });
  if (!dir) throw new Error(`no entry for ${file}`);
  return dir;
}

/** Cuts an entry's biggest output in half (a torn copy, a bad disk). */
function damage(entry: string): void {
  const file = path.join(entry, 'out', 'cloud.bin');
  truncateSync(file, Math.floor(statSync(file).size / 2));
}

describe('recovery counters in the statistics', () => {
  it('corruptions found, entries set aside, locks taken over, leftovers swept and entries put back are counted exactly, in stats --json, stats and verify --json', async () => {
    ws = new Workspace();
    const [a, b, c] = ['a', 'b', 'c'].map((v) => ws.samplePcd(`in/${v}.pcd`, v));
    for (const file of [a, c]) expect(ws.run(cx(['run', 'potree', '--file', file])).code).toBe(0);
    expect(recovery()).toEqual(none);

    // A damaged entry found by a run: one finding (the look under the lock sees the same damage), set aside once.
    damage(entryOf(a));
    // A dry run only looks: not counted.
    expect(ws.run(cx(['run', 'potree', '--file', a, '--dry-run'])).code).toBe(0);
    expect(recovery()).toEqual(none);
    const rerun = ws.run(cx(['run', 'potree', '--file', a]));
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/corrupt/i);
    expect(recovery()).toEqual({ ...none, corruptFound: 1, setAside: 1 });

    // A holder killed with SIGKILL mid-run: the next run of its key takes its lock over.
    const holder = startGroup(ws, cx(['run', 'potree', '--file', b]), { FAKE_SLEEP: '60' });
    await waitFor(() => stagingDirs(ws).length === 1, 60_000, 'the holder to stage');
    holder.killGroup('SIGKILL');
    await holder.done;
    const next = ws.run(cx(['run', 'potree', '--file', b]));
    expect(next.code, next.stderr).toBe(0);
    expect(recovery()).toEqual({ ...none, corruptFound: 1, setAside: 1, locksTakenOver: 1 });

    // The staging folder the kill left is swept by prune (no selectors: it only sweeps).
    expect(stagingDirs(ws)).toHaveLength(1);
    expect(ws.run(cx(['prune'])).code).toBe(0);
    expect(stagingDirs(ws)).toEqual([]);
    expect(recovery()).toEqual({ ...none, corruptFound: 1, setAside: 1, locksTakenOver: 1, leftoversSwept: 1 });

    // A damaged entry found and set aside by verify --fix.
    damage(entryOf(c));
    expect(ws.run(cx(['verify', '--fix'])).code).toBe(0);
    expect(recovery()).toEqual({ ...none, corruptFound: 2, setAside: 2, locksTakenOver: 1, leftoversSwept: 1 });

    // An entry left in tmp/trash-… as a --force killed between its renames leaves it: the next reader puts it back.
    const entry = entryOf(b);
    renameSync(entry, path.join(ws.data, 'tmp', `trash-${path.basename(entry).slice(0, 12)}-0123456789ab`));
    expect(ws.run(cx(['ls'])).stdout).toContain(path.basename(entry).slice(0, 12));
    expect(existsSync(entry)).toBe(true);
    const expected = { corruptFound: 2, setAside: 2, locksTakenOver: 1, leftoversSwept: 1, entriesRestored: 1 };
    expect(recovery()).toEqual(expected);

    // The same counts in verify --json (a clean verify adds nothing) and in the text of stats.
    const verify = ws.run(cx(['verify', '--json']));
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout).recovery).toEqual(expected);
    expect(ws.run(cx(['stats'])).stdout).toMatch(
      /^recovery: 2 corrupt entries found, 2 set aside, 1 lock taken over, 1 leftover swept, 1 swapped-out entry put back$/m,
    );
    expect(list(path.join(ws.data, 'tmp'))).toEqual([]);
  }, 180_000);
});
