/**
 * One execution per key (SPEC §7): concurrent `cachex run` processes of one
 * key run the converter once, the others wait and hit; a dead holder never
 * blocks the next run for long. Runs across machines: concurrency-machines.test.ts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../helpers/cli.js';
import {
  checkStore,
  hasPrune,
  hasVerify,
  cx,
  entryDirs,
  list,
  lockOf,
  stagingDirs,
  startGroup,
  waitFor,
} from '../../helpers/faults.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

function fakeCalls(w: Workspace): { inputSha256: string; pid: number }[] {
  if (!existsSync(w.fakeLog)) return [];
  return readFileSync(w.fakeLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('one execution per key', () => {
  it('8 concurrent runs of one key run the converter once, all exit 0 with identical stdout', async () => {
    ws = new Workspace();
    ws.samplePcd('in/a.pcd');
    const runs = Array.from({ length: 8 }, () =>
      ws.start(cx(['run', 'potree', '--file', 'in/a.pcd']), { env: { FAKE_SLEEP: '2' } }),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    expect(ws.converterRuns()).toBe(1);
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(results[0].stdout);
    }
    expect(results[0].stdout).toContain('converted a.pcd');
    expect(results.filter((r) => /^miss potree /m.test(r.stderr))).toHaveLength(1);
    expect(results.filter((r) => /^hit potree /m.test(r.stderr))).toHaveLength(7);
    expect(results.some((r) => /waiting for another run of potree [0-9a-f]{12}/.test(r.stderr))).toBe(true);
    expect(stagingDirs(ws)).toEqual([]);
  });

  it('50 concurrent runs over 10 keys run each key exactly once', async () => {
    ws = new Workspace();
    const files = Array.from({ length: 10 }, (_, i) => ws.samplePcd(`in/k${i}.pcd`, `k${i}`));
    const runs = Array.from({ length: 50 }, (_, i) =>
      ws.start(cx(['run', 'potree', '--file', files[i % 10]]), { env: { FAKE_SLEEP: '1' } }),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const perInput = new Map<string, number>();
    for (const call of fakeCalls(ws)) perInput.set(call.inputSha256, (perInput.get(call.inputSha256) ?? 0) + 1);
    expect(perInput.size).toBe(10);
    expect([...perInput.values()]).toEqual(Array(10).fill(1));
    for (let i = 0; i < 50; i++) expect(results[i].stdout).toBe(`converted k${i % 10}.pcd\n`);
    expect((await checkStore(ws.data)).corrupt).toEqual([]);
    expect(entryDirs(ws.data)).toHaveLength(10);
  }, 120_000);

  it('a run that finds its key locked says it is waiting, then hits the stored entry', async () => {
    ws = new Workspace();
    ws.samplePcd('in/a.pcd');
    const gate = ws.path('gate');
    const holder = ws.start(cx(['run', 'potree', '--file', 'in/a.pcd']), { env: { FAKE_WAIT_FILE: gate } });
    await waitFor(
      () => lockOf(ws, 'potree') && stagingDirs(ws).length === 1,
      20_000,
      'the holder to start its converter',
    );
    const waiting = startGroup(ws, cx(['run', 'potree', '--file', 'in/a.pcd']));
    await waitFor(() => /waiting for another run/.test(waiting.output().stderr), 20_000, 'the second run to wait');
    writeFileSync(gate, ''); // the holder's converter finishes only once the other run is waiting
    const [held, waiter] = await Promise.all([holder.done, waiting.done]);
    expect(held.code, held.stderr).toBe(0);
    expect(waiter.code, waiter.stderr).toBe(0);
    expect(waiter.stderr).toMatch(/^waiting for another run of potree [0-9a-f]{12}…$/m);
    expect(waiter.stderr).toMatch(/^hit potree /m);
    expect(waiter.stdout).toBe(held.stdout);
    expect(ws.converterRuns()).toBe(1);
  });

  it('a holder killed with SIGKILL (with its converter) blocks the next run for less than 8 s, which then stores normally', async () => {
    ws = new Workspace();
    ws.samplePcd('in/a.pcd');
    const holder = startGroup(ws, cx(['run', 'potree', '--file', 'in/a.pcd']), { FAKE_SLEEP: '30' });
    await waitFor(
      () => lockOf(ws, 'potree') && stagingDirs(ws).length === 1,
      20_000,
      'the holder to start its converter',
    );
    holder.killGroup('SIGKILL');
    expect((await holder.done).signal).toBe('SIGKILL');
    expect(existsSync(lockOf(ws, 'potree')!)).toBe(true); // the dead holder's lock is still there
    const started = Date.now();
    const next = ws.run(cx(['run', 'potree', '--file', 'in/a.pcd']));
    const elapsed = Date.now() - started;
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/^miss potree /m);
    expect(elapsed).toBeLessThan(8_000);
    expect(ws.converterRuns()).toBe(1);
    const again = ws.run(cx(['run', 'potree', '--file', 'in/a.pcd']));
    expect(again.stderr).toMatch(/^hit potree /m);
    expect(again.stdout).toBe(next.stdout);
    expect((await checkStore(ws.data)).corrupt).toEqual([]);
  });

  it('a TS task holder killed with SIGKILL leaves no entry, and the next run computes and stores it', async () => {
    ws = new Workspace();
    const countFile = ws.path('count.txt');
    const holder = startGroup(ws, cx(['run', 'count', '--n', '1']), { COUNT_FILE: countFile, SLEEP: '30000' });
    await waitFor(() => existsSync(countFile), 20_000, 'the TS task to start');
    holder.killGroup('SIGKILL');
    await holder.done;
    expect(entryDirs(ws.data)).toEqual([]);
    const started = Date.now();
    const next = ws.run(cx(['run', 'count', '--n', '1']), { env: { COUNT_FILE: countFile, SLEEP: '0' } });
    expect(next.code, next.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(next.stderr).toMatch(/^miss count /m);
    expect(ws.run(cx(['run', 'count', '--n', '1'])).stderr).toMatch(/^hit count /m);
  });

  it('a run killed while it waits leaves no lock behind and does not delay the others', async () => {
    ws = new Workspace();
    ws.samplePcd('in/a.pcd');
    const gate = ws.path('gate');
    const holder = ws.start(cx(['run', 'potree', '--file', 'in/a.pcd']), { env: { FAKE_WAIT_FILE: gate } });
    await waitFor(
      () => lockOf(ws, 'potree') && stagingDirs(ws).length === 1,
      20_000,
      'the holder to start its converter',
    );
    const waiter = startGroup(ws, cx(['run', 'potree', '--file', 'in/a.pcd']));
    await waitFor(() => /waiting for another run/.test(waiter.output().stderr), 20_000, 'the second run to wait');
    waiter.killGroup('SIGKILL');
    await waiter.done;
    writeFileSync(gate, ''); // the holder finishes only after the waiter was killed
    expect((await holder.done).code).toBe(0);
    const lockDir = lockOf(ws, 'potree');
    expect(lockDir === undefined || !existsSync(lockDir)).toBe(true);
    expect(list(path.join(ws.data, 'locks', 'tasks', 'potree'))).toEqual([]);
    const started = Date.now();
    const next = ws.run(cx(['run', 'potree', '--file', 'in/a.pcd']));
    expect(next.stderr).toMatch(/^hit potree /m);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('concurrent --force runs of one key each run once, one after the other, and leave one healthy entry', async () => {
    ws = new Workspace();
    ws.samplePcd('in/a.pcd');
    expect(ws.run(cx(['run', 'potree', '--file', 'in/a.pcd'])).code).toBe(0);
    const runs = Array.from({ length: 4 }, () =>
      ws.start(cx(['run', 'potree', '--file', 'in/a.pcd', '--force']), { env: { FAKE_SLEEP: '0.5' } }),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('converted a.pcd\n');
    }
    const calls = fakeCalls(ws) as unknown as { t0: number; t1: number }[];
    expect(calls).toHaveLength(5);
    // Under the key lock the forced runs never overlap.
    const spans = calls.slice(1).sort((a, b) => a.t0 - b.t0);
    for (let i = 1; i < spans.length; i++) expect(spans[i].t0).toBeGreaterThanOrEqual(spans[i - 1].t1);
    expect(entryDirs(ws.data)).toHaveLength(1);
    expect((await checkStore(ws.data)).corrupt).toEqual([]);
    expect(list(path.join(ws.data, 'tmp'))).toEqual([]);
    expect(ws.run(cx(['run', 'potree', '--file', 'in/a.pcd'])).stderr).toMatch(/^hit potree /m);
  });

  it('a frozen holder here (SIGSTOP longer than the 10 s heartbeat) is waited for, not taken over, and prune and verify leave its work alone', async () => {
    ws = new Workspace();
    ws.samplePcd('in/a.pcd');
    const holder = startGroup(ws, cx(['run', 'potree', '--file', 'in/a.pcd']), { FAKE_SLEEP_MID: '1' });
    const cloud = () => stagingDirs(ws).some((d) => existsSync(path.join(ws.data, 'tmp', d, 'out', 'cloud.bin')));
    await waitFor(cloud, 20_000, "the holder's converter to write its first file");
    // Freeze cachex (its converter goes on and finishes): no heartbeat for 12 s.
    process.kill(holder.child.pid!, 'SIGSTOP');
    try {
      const waiter = ws.start(cx(['run', 'potree', '--file', 'in/a.pcd']));
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      expect(ws.converterRuns()).toBe(1); // only the frozen holder's converter ran
      expect(waiter.child.exitCode).toBe(null); // still waiting
      // Nor do prune and verify take its silent heartbeat for a dead holder.
      const staging = stagingDirs(ws);
      const lock = lockOf(ws, 'potree')!;
      if (hasPrune(ws)) expect(ws.run(cx(['prune', '--all'])).code).toBe(0);
      if (hasVerify(ws)) expect(ws.run(cx(['verify', '--fix'])).code).toBe(0);
      expect(stagingDirs(ws)).toEqual(staging);
      expect(existsSync(lock)).toBe(true);
      process.kill(holder.child.pid!, 'SIGCONT');
      const [held, waited] = await Promise.all([holder.done, waiter.done]);
      expect(held.code, held.stderr).toBe(0);
      expect(waited.code, waited.stderr).toBe(0);
      expect(waited.stderr).toMatch(/^hit potree /m);
      expect(ws.converterRuns()).toBe(1);
    } finally {
      holder.killGroup('SIGCONT');
    }
  }, 60_000);
});
