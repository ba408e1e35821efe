/**
 * Prune and verify are safe against running work (SPEC §7): they never delete
 * the staging folder or the lock of a live run, nor an entry whose key a
 * running command holds.
 */
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../helpers/cli.js';
import {
  cannotStrace,
  checkStore,
  commitRenameIndex,
  cx,
  entryDirs,
  hasPrune,
  hasVerify,
  list,
  stagingDirs,
  startGroup,
  waitFor,
  withReason,
  killedAtRename,
} from '../../helpers/faults.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

function lockDirs(w: Workspace, task: string): string[] {
  return list(path.join(w.data, 'locks', 'tasks', task)).filter((n) => n.endsWith('.lock'));
}

/** prune --all and verify --fix, each must exit 0 and leave the running work alone. */
function sweepWhileRunning(w: Workspace, task: string): void {
  const staging = stagingDirs(w);
  const locks = lockDirs(w, task);
  expect(staging).toHaveLength(1);
  expect(locks).toHaveLength(1);
  if (hasPrune(w)) {
    const pruned = w.run(cx(['prune', '--all', '--json']));
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(JSON.parse(pruned.stdout).staging).toEqual([]);
    expect(stagingDirs(w)).toEqual(staging);
    expect(lockDirs(w, task)).toEqual(locks);
  }
  if (hasVerify(w)) {
    const verified = w.run(cx(['verify', '--fix', '--json']));
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    const report = JSON.parse(verified.stdout);
    expect(report.staging).toEqual([]);
    expect(report.staleLocks).toEqual([]);
    expect(stagingDirs(w)).toEqual(staging);
    expect(lockDirs(w, task)).toEqual(locks);
  }
}

describe('prune and verify during running work', () => {
  it.each([
    ['a command task', 'potree'],
    ['a TS task', 'count'],
  ])(
    'prune --all and verify --fix during a miss of %s keep its staging folder and lock; the run then stores and hits',
    async (_label, task) => {
      ws = new Workspace();
      const a = ws.samplePcd('in/a.pcd', 'a');
      const other = ws.samplePcd('in/other.pcd', 'other');
      expect(ws.run(cx(['run', 'potree', '--file', other])).code).toBe(0); // something for prune --all to remove
      const args = task === 'potree' ? ['run', 'potree', '--file', a] : ['run', 'count', '--n', '3'];
      const gate = ws.path('gate');
      const run = ws.start(cx(args), { env: { FAKE_WAIT_FILE: gate, WAIT_FILE: gate } });
      await waitFor(() => stagingDirs(ws).length === 1 && lockDirs(ws, task).length === 1, 20_000, 'the run to start');
      sweepWhileRunning(ws, task);
      writeFileSync(gate, ''); // the task goes on only now: the sweeps ran while it ran, however long they took
      const done = await run.done;
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr).toMatch(new RegExp(`^miss ${task} .*stored`, 'm'));
      const hit = ws.run(cx(args));
      expect(hit.stderr).toMatch(new RegExp(`^hit ${task} `, 'm'));
      expect(hit.stdout).toBe(done.stdout);
      expect((await checkStore(ws.data)).corrupt).toEqual([]);
    },
  );

  it('prune --all during a --force run keeps the entry whose key it holds; the run replaces it and the new entry hits', async () => {
    ws = new Workspace();
    const a = ws.samplePcd('in/a.pcd');
    expect(ws.run(cx(['run', 'potree', '--file', a])).code).toBe(0);
    const [entry] = entryDirs(ws.data);
    const gate = ws.path('gate');
    const run = ws.start(cx(['run', 'potree', '--file', a, '--force']), { env: { FAKE_WAIT_FILE: gate } });
    await waitFor(
      () => stagingDirs(ws).length === 1 && lockDirs(ws, 'potree').length === 1,
      20_000,
      'the forced run to start',
    );
    if (hasPrune(ws)) {
      const pruned = ws.run(cx(['prune', '--all', '--json']));
      expect(pruned.code, pruned.stderr).toBe(0);
      expect(JSON.parse(pruned.stdout).removed).toEqual([]);
      expect(existsSync(path.join(entry, 'meta.yaml'))).toBe(true);
    }
    sweepWhileRunning(ws, 'potree');
    writeFileSync(gate, '');
    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toMatch(/^forced potree .*stored/m);
    expect(ws.run(cx(['run', 'potree', '--file', a])).stderr).toMatch(/^hit potree /m);
    expect(ws.converterRuns()).toBe(2);
  });

  it('what a SIGKILLed run left behind is swept by verify --fix, and the next run is not disturbed', async () => {
    ws = new Workspace();
    const a = ws.samplePcd('in/a.pcd');
    const dead = startGroup(ws, cx(['run', 'potree', '--file', a]), { FAKE_SLEEP: '30' });
    await waitFor(
      () => stagingDirs(ws).length === 1 && lockDirs(ws, 'potree').length === 1,
      20_000,
      'the run to start',
    );
    dead.killGroup('SIGKILL');
    await dead.done;
    if (!hasVerify(ws)) return;
    const report = JSON.parse(ws.run(cx(['verify', '--json'])).stdout);
    expect(report.staging).toHaveLength(1);
    expect(report.staleLocks).toHaveLength(1);
    const fixed = ws.run(cx(['verify', '--fix', '--json']));
    expect(fixed.code).toBe(0);
    expect(stagingDirs(ws)).toEqual([]);
    expect(lockDirs(ws, 'potree')).toEqual([]);
    const next = ws.run(cx(['run', 'potree', '--file', a]));
    expect(next.code).toBe(0);
    expect(next.stderr).toMatch(/^miss potree .*stored/m);
  });
});

describe('sweeping a run killed as it created its staging folder (before its owner file)', () => {
  it('an owner-less staging folder is a leftover at once when no run holds its key, and kept while one does', async () => {
    ws = new Workspace();
    const a = ws.samplePcd('in/a.pcd');
    const key = JSON.parse(ws.run(cx(['run', 'potree', '--file', a, '--dry-run', '--json'])).stdout).key as string;
    // What a run killed between mkdir and writing staging-owner.json leaves.
    const orphan = path.join(ws.data, 'tmp', `${key.slice(0, 12)}-999999-0badf00d`);
    mkdirSync(path.join(orphan, 'out'), { recursive: true });
    const gate = ws.path('gate');
    const run = ws.start(cx(['run', 'potree', '--file', a]), { env: { FAKE_WAIT_FILE: gate } });
    await waitFor(
      () => stagingDirs(ws).length === 2 && lockDirs(ws, 'potree').length === 1,
      20_000,
      'the run to start',
    );
    expect(ws.run(cx(['verify', '--fix'])).code).toBe(0);
    expect(existsSync(orphan)).toBe(true); // its key is locked: it may be that run's
    writeFileSync(gate, '');
    expect((await run.done).code).toBe(0);
    const report = JSON.parse(ws.run(cx(['verify', '--json'])).stdout);
    expect(report.staging.map((l: { path: string }) => l.path)).toEqual([orphan]);
    expect(ws.run(cx(['verify', '--fix'])).code).toBe(0);
    expect(stagingDirs(ws)).toEqual([]);
  });
});

describe.skipIf(cannotStrace())(
  withReason('sweeping a run killed at its final rename (strace)', cannotStrace()),
  () => {
    it('the staging folder it left (complete, its owner file already removed) is swept at once by verify --fix, not after an hour', async () => {
      ws = new Workspace();
      const a = ws.samplePcd('in/a.pcd');
      // Old enough for the digest cache, which a dry run fills, so every run makes the same renames.
      utimesSync(a, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
      expect(ws.run(cx(['run', 'potree', '--file', a, '--dry-run'])).code).toBe(0);
      const commit = commitRenameIndex(ws, cx(['run', 'potree', '--file', a]));
      const killed = killedAtRename(ws, cx(['run', 'potree', '--file', a]), commit);
      await killed.done;
      killed.killGroup('SIGKILL');
      const [staging] = stagingDirs(ws);
      expect(staging).toBeDefined();
      expect(existsSync(path.join(ws.data, 'tmp', staging, 'meta.yaml'))).toBe(true);
      expect(existsSync(path.join(ws.data, 'tmp', staging, 'staging-owner.json'))).toBe(false);
      expect(entryDirs(ws.data)).toEqual([]);
      if (!hasVerify(ws)) return;
      expect(JSON.parse(ws.run(cx(['verify', '--json'])).stdout).staging).toHaveLength(1);
      expect(ws.run(cx(['verify', '--fix'])).code).toBe(0);
      expect(stagingDirs(ws)).toEqual([]);
      expect(ws.run(cx(['run', 'potree', '--file', a])).code).toBe(0);
    });
  },
);

/**
 * A reader slowed down between reading meta.yaml and the logs (strace delays
 * its open of stdout.log) while another command removes or replaces the entry.
 */
describe.skipIf(cannotStrace())(
  withReason('a hit racing a removal or a replacement of its entry (strace delay)', cannotStrace()),
  () => {
    async function slowHit(
      task: string,
      during: () => unknown,
    ): Promise<{ code: number | null; stdout: string; stderr: string }> {
      const [entry] = entryDirs(ws.data);
      const reader = startGroup(ws, cx(['run', task]), {}, [
        'strace',
        '-o',
        '/dev/null',
        '-P',
        path.join(entry, 'stdout.log'),
        '-e',
        'trace=openat',
        '-e',
        // Long enough for the --force or prune below to finish inside it on a busy machine.
        'inject=openat:delay_enter=5000000',
      ]);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      during();
      return reader.done;
    }

    it('an entry pruned while a hit reads it is a miss for that run (recomputed), not "corrupt"', async () => {
      ws = new Workspace();
      expect(ws.run(cx(['run', 'clock'])).code).toBe(0);
      if (!hasPrune(ws)) return;
      const result = await slowHit('clock', () => expect(ws.run(cx(['prune', '--all'])).code).toBe(0));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(/corrupt/);
      expect(result.stderr).toMatch(/^miss clock /m);
    });

    it('an entry replaced by --force while a hit reads it gives the new entry whole, not "corrupt"', async () => {
      ws = new Workspace();
      expect(ws.run(cx(['run', 'clock'])).code).toBe(0);
      let forced = '';
      const result = await slowHit('clock', () => (forced = ws.run(cx(['run', 'clock', '--force'])).stdout));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(/corrupt/);
      expect(result.stderr).toMatch(/^hit clock /m);
      expect(result.stdout).toBe(forced);
    });
  },
);
