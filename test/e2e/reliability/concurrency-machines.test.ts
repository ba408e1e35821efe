/**
 * One execution per key across machines that share the data folder
 * (simulated with unshare): a run on another machine waits for the holder
 * here, and a holder there that died is taken over once its heartbeat is
 * stale. Split from concurrency.test.ts; the cases wait on heartbeats and
 * share nothing (each its own workspace), so they run at once.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../helpers/cli.js';
import {
  cannotUnshare,
  cx,
  lockOf,
  onOtherMachine,
  spawnGroup,
  stagingDirs,
  waitFor,
  withReason,
} from '../../helpers/faults.js';

const workspaces: Workspace[] = [];
const groups: { killGroup(signal?: NodeJS.Signals): void }[] = [];
afterAll(() => {
  for (const g of groups.splice(0)) g.killGroup('SIGKILL');
  for (const w of workspaces.splice(0)) w.cleanup();
});

function workspace(): Workspace {
  const ws = new Workspace();
  workspaces.push(ws);
  ws.samplePcd('in/a.pcd');
  return ws;
}

describe.skipIf(cannotUnshare())(
  withReason('one execution per key across machines sharing the data folder (simulated with unshare)', cannotUnshare()),
  () => {
    it.concurrent.each([
      ['its own host name', false],
      ['the same host name (containers on one host)', true],
    ])('a run on a machine with %s waits for the holder here and then hits', async (_label, sameHost) => {
      const ws = workspace();
      const gate = ws.path('gate');
      const holder = ws.start(cx(['run', 'potree', '--file', 'in/a.pcd']), { env: { FAKE_WAIT_FILE: gate } });
      await waitFor(
        () => lockOf(ws, 'potree') && stagingDirs(ws).length === 1,
        20_000,
        'the holder to start its converter',
      );
      const argv = onOtherMachine(cx(['run', 'potree', '--file', ws.path('in/a.pcd')]), sameHost);
      const other = spawnGroup(ws, argv);
      groups.push(other);
      await waitFor(() => /waiting for another run/.test(other.output().stderr), 20_000, 'the other machine to wait');
      writeFileSync(gate, ''); // the holder's converter finishes only once the other machine waits
      const [held, remote] = await Promise.all([holder.done, other.done]);
      expect(held.code, held.stderr).toBe(0);
      expect(remote.code, remote.stderr).toBe(0);
      expect(remote.stderr).toMatch(/^waiting for another run of potree /m);
      expect(remote.stderr).toMatch(/^hit potree /m);
      expect(ws.converterRuns()).toBe(1);
    });

    it.concurrent('a holder on another machine that died is taken over once its heartbeat is stale (about 10 s)', async () => {
      const ws = workspace();
      const argv = onOtherMachine(cx(['run', 'potree', '--file', ws.path('in/a.pcd')]));
      const remote = spawnGroup(ws, argv, { FAKE_SLEEP: '60' });
      groups.push(remote);
      await waitFor(
        () => lockOf(ws, 'potree') && stagingDirs(ws).length === 1,
        20_000,
        'the remote holder to start its converter',
      );
      remote.killGroup('SIGKILL');
      await remote.done;
      const started = Date.now();
      // Awaited, not a synchronous spawn: the other case's waits go on meanwhile.
      const here = await ws.start(cx(['run', 'potree', '--file', 'in/a.pcd'])).done;
      const elapsed = Date.now() - started;
      expect(here.code, here.stderr).toBe(0);
      expect(here.stderr).toMatch(/^waiting for another run of potree /m);
      expect(here.stderr).toMatch(/^miss potree /m);
      // Stale after about 10 s; the bound leaves room for a loaded machine and still fails a takeover
      // that waited for the dead holder's 60 s converter (or for ever).
      expect(elapsed).toBeLessThan(30_000);
      expect(ws.converterRuns()).toBe(1);
    }, 60_000);
  },
);
