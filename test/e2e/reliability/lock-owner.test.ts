/**
 * A holder killed between creating its lock folder and renaming its owner
 * file into place (strace kills it at that rename): the lock has no owner
 * file, only the taker's temporary one, `<key>.owner.json.<pid>`. The next
 * run judges the lock by that file's owner (dead, here) and takes it over at
 * once; prune and verify sweep such temporary files.
 */
import { utimesSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../helpers/cli.js';
import { cannotStrace, cx, killedAtRename, list, renameIndex, verifyJson, withReason } from '../../helpers/faults.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

const OWNER_RENAME = /\.owner\.json\.\d+", "[^"]*\.owner\.json"\) = 0$/;

/** Kills a miss of potree at the rename of its owner file into place; returns the args and the locks folder. */
async function killBeforeOwnerFile(): Promise<{ args: string[]; locks: string }> {
  ws = new Workspace();
  const a = ws.samplePcd('in/a.pcd');
  // Old enough for the digest cache, which a dry run fills, so every run makes the same renames.
  utimesSync(a, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  const args = cx(['run', 'potree', '--file', a]);
  expect(ws.run(cx(['run', 'potree', '--file', a, '--dry-run'])).code).toBe(0);
  const n = renameIndex(ws, args, OWNER_RENAME, 'of the lock owner file into place');
  const killed = killedAtRename(ws, args, n);
  const result = await killed.done;
  killed.killGroup('SIGKILL');
  expect(result.signal === 'SIGKILL' || result.code === 137, result.stderr).toBe(true);
  const locks = path.join(ws.data, 'locks', 'tasks', 'potree');
  const names = list(locks);
  expect(names.filter((name) => name.endsWith('.lock'))).toHaveLength(1);
  expect(names.filter((name) => name.endsWith('.owner.json'))).toEqual([]);
  expect(names.filter((name) => /\.owner\.json\.\d+$/.test(name))).toHaveLength(1);
  return { args, locks };
}

describe.skipIf(cannotStrace())(
  withReason('a holder killed between creating its lock and writing its owner file (strace)', cannotStrace()),
  () => {
    it('the next run takes the lock over in less than 2 s and leaves no lock file behind', async () => {
      const { args, locks } = await killBeforeOwnerFile();
      const calls = ws.converterRuns();
      const started = Date.now();
      const next = ws.run(args);
      const elapsed = Date.now() - started;
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toMatch(/^miss potree /m);
      expect(elapsed).toBeLessThan(2_000);
      expect(ws.converterRuns()).toBe(calls + 1);
      expect(list(locks)).toEqual([]);
    });

    it('verify reports the lock and its temporary owner file as stale, and prune sweeps both', async () => {
      const { locks } = await killBeforeOwnerFile();
      const temp = list(locks).find((name) => /\.owner\.json\.\d+$/.test(name))!;
      const verified = verifyJson(ws);
      if (verified) {
        const stale = (verified.report.staleLocks as { path: string; reason: string }[]).map((l) => l.path);
        expect(stale).toContain(path.join(locks, temp));
        expect(stale.some((p) => p.endsWith('.lock'))).toBe(true);
      }
      const pruned = ws.run(cx(['prune']));
      expect(pruned.code, pruned.stderr).toBe(0);
      expect(list(locks)).toEqual([]);
    });
  },
);
