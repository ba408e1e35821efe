/**
 * A --force replace swaps the old entry out (tmp/trash-…) and the new one in:
 * two renames, as Node has no RENAME_EXCHANGE. Readers must see the old or the
 * new entry at every instant: killed between the renames (strace SIGKILL at
 * the commit rename), the very next ls / inspect / verify shows the old entry;
 * held between them (strace stops the run with SIGSTOP as the rename before the
 * commit returns, until the test sends SIGCONT), they show it from where it was
 * moved aside.
 */
import { utimesSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../helpers/cli.js';
import {
  cannotStrace,
  checkStore,
  cx,
  entryDirs,
  list,
  renameIndex,
  startGroup,
  waitFor,
  withReason,
  killedAtRename,
} from '../../helpers/faults.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

interface Listed {
  key: string;
  task: string;
  created: string | null;
  problem: string | null;
}

function lsJson(): Listed[] {
  const r = ws.run(cx(['ls', '--json']));
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Listed[];
}

const trashIn = (data: string): string[] => list(path.join(data, 'tmp')).filter((n) => n.startsWith('trash-'));

/** A stored potree entry, and which rename of a --force run of it puts the new entry into cache/. */
function storedWithCommitIndex(): { args: string[]; commit: number; key: string; created: string | null } {
  ws = new Workspace();
  const a = ws.samplePcd('in/a.pcd');
  // Old enough for the digest cache, which a dry run fills, so every run makes the same renames.
  utimesSync(a, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  const args = cx(['run', 'potree', '--file', a]);
  expect(ws.run([...args, '--dry-run']).code).toBe(0);
  expect(ws.run(args).code).toBe(0);
  // The staging → cache/ rename, after the one that moved the old entry to tmp/ (its target is not in cache/).
  const commit = renameIndex(ws, [...args, '--force'], /, "[^"]*\/cache\/[^"]*"\) = 0$/, 'into cache/ of a --force');
  const stored = ws.run(args); // renameIndex removed cache/: store the entry again
  expect(stored.stderr).toMatch(/^miss potree /m);
  const [entry] = lsJson();
  return { args, commit, key: entry.key, created: entry.created };
}

describe.skipIf(cannotStrace())(
  withReason('a --force replace interrupted between its two renames (strace)', cannotStrace()),
  () => {
    it('killed at the commit rename: ls, inspect and verify right after the kill show the old entry, and the next run hits it', async () => {
      const { args, commit, key, created } = storedWithCommitIndex();
      const killed = killedAtRename(ws, [...args, '--force'], commit);
      const result = await killed.done;
      killed.killGroup('SIGKILL');
      expect(result.signal, result.stderr).toBe('SIGKILL');
      // The fault hit the window: the old entry is in tmp/, nothing in cache/.
      expect(entryDirs(ws.data)).toEqual([]);
      expect(trashIn(ws.data)).toHaveLength(1);

      const listed = lsJson();
      expect(listed.map((e) => [e.key, e.created, e.problem])).toEqual([[key, created, null]]);
      const inspect = ws.run(cx(['inspect', key.slice(0, 12), '--json']));
      expect(inspect.code, inspect.stderr).toBe(0);
      expect(JSON.parse(inspect.stdout)).toMatchObject({ key, created });
      const verify = ws.run(cx(['verify', '--json']));
      expect(verify.code, verify.stderr).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ checked: 1, corrupt: [] });
      // The first reader put it back: the old entry is in cache/ again, complete.
      expect(entryDirs(ws.data)).toHaveLength(1);
      expect(trashIn(ws.data)).toEqual([]);
      expect((await checkStore(ws.data)).corrupt).toEqual([]);

      const calls = ws.converterRuns();
      const next = ws.run(args);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toMatch(/^hit potree /m);
      expect(ws.converterRuns()).toBe(calls);
      // And a --force after it replaces cleanly.
      const forced = ws.run([...args, '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(lsJson().map((e) => e.key)).toEqual([key]);
      expect(trashIn(ws.data)).toEqual([]);
    }, 120_000);

    it('killed there, the next plain run (no ls first) is a hit of the old entry', async () => {
      const { args, commit } = storedWithCommitIndex();
      const killed = killedAtRename(ws, [...args, '--force'], commit);
      expect((await killed.done).signal).toBe('SIGKILL');
      killed.killGroup('SIGKILL');
      expect(entryDirs(ws.data)).toEqual([]);
      const calls = ws.converterRuns();
      const next = ws.run(args);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toMatch(/^hit potree /m);
      expect(ws.converterRuns()).toBe(calls);
    }, 120_000);

    it('held at the commit rename by a live run: ls, inspect and verify show the moved-aside entry meanwhile; afterwards the new one', async () => {
      const { args, commit, key, created } = storedWithCommitIndex();
      // A stop delivered as the rename before the commit returns (the swap-out, checked by the wait below):
      // the run stays between its two renames until SIGCONT, however long the readers take on a busy machine.
      const held = startGroup(ws, [...args, '--force'], {}, [
        'strace',
        '-o',
        '/dev/null',
        '-e',
        'trace=rename',
        '-e',
        `inject=rename:signal=SIGSTOP:when=${commit - 1}`,
      ]);
      await waitFor(() => entryDirs(ws.data).length === 0 && trashIn(ws.data).length === 1, 60_000, 'the swap-out');
      const listed = lsJson();
      expect(listed.map((e) => [e.key, e.created, e.problem])).toEqual([[key, created, null]]);
      const inspect = ws.run(cx(['inspect', key.slice(0, 12), '--json']));
      expect(inspect.code, inspect.stderr).toBe(0);
      expect(JSON.parse(inspect.stdout)).toMatchObject({ key, created });
      const verify = JSON.parse(ws.run(cx(['verify', '--json'])).stdout);
      expect(verify.corrupt).toEqual([]);
      expect(verify.inUse.map((r: { key: string }) => r.key)).toEqual([key]);
      // Still held: the readers left the live run's swap alone.
      expect(entryDirs(ws.data)).toEqual([]);
      held.killGroup('SIGCONT');
      const done = await held.done;
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr).toMatch(/^forced potree |^miss potree /m);
      const after = lsJson();
      expect(after.map((e) => e.key)).toEqual([key]);
      expect(after[0].created).not.toBe(created);
      expect(trashIn(ws.data)).toEqual([]);
      expect((await checkStore(ws.data)).corrupt).toEqual([]);
    }, 120_000);
  },
);
