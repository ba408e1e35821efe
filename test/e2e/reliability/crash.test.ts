/**
 * Crash safety (SPEC §7): a SIGKILL at any moment of a miss leaves the store
 * with the old state or the complete new entry. Random kills in a loop, then a
 * deterministic sweep that kills cachex at the Nth store syscall (strace), and
 * Ctrl-C / SIGTERM, which cachex handles itself.
 */
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../helpers/cli.js';
import { processesMentioning } from '../../helpers/processes.js';
import {
  SOAK,
  cannotStrace,
  checkStore,
  cx,
  entryDirs,
  list,
  stagingDirs,
  startGroup,
  verifyJson,
  waitFor,
  withReason,
} from '../../helpers/faults.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

/** A small seeded PRNG, so a failing loop can be replayed with CACHEX_SEED. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Job {
  task: 'potree' | 'convert';
  file: string;
  args: string[];
}

describe('crash safety: SIGKILL at random moments of a miss', () => {
  it(`after ${50 * SOAK} random SIGKILLs during misses, verify finds 0 corrupt entries and every key then runs and hits`, async () => {
    ws = new Workspace();
    const seed = Number(process.env.CACHEX_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const env = { FAKE_SLEEP_MID: '0.05', FAKE_FILES: '3', FAKE_BYTES: String(256 * 1024) };
    const jobs: Job[] = [];
    for (let i = 0; i < 4; i++) {
      const file = ws.samplePcd(`in/p${i}.pcd`, `p${i}`);
      jobs.push({ task: 'potree', file, args: ['run', 'potree', '--file', file] });
    }
    for (let i = 0; i < 3; i++) {
      const file = ws.samplePcd(`in/c${i}.pcd`, `c${i}`);
      jobs.push({ task: 'convert', file, args: ['run', 'convert', '--file', file, '--resolution', '0.05'] });
    }
    // Reference output and duration of each task, from a clean store of its own.
    const reference = new Map<Job, string>();
    const duration: Record<string, number> = {};
    for (const job of jobs) {
      const started = Date.now();
      const ref = ws.run(cx(job.args), { env: { ...env, DATA_FOLDER: ws.path('refdata') } });
      expect(ref.code, ref.stderr).toBe(0);
      duration[job.task] = Math.max(duration[job.task] ?? 0, Date.now() - started);
      reference.set(job, ref.stdout);
    }
    // Two streams of runs at once, as two CI jobs would: they sometimes meet on a key and wait for each other.
    let killedDuringRun = 0;
    const iterations = 50 * SOAK;
    const stream = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const job = jobs[Math.floor(random() * jobs.length)];
        // A stored key is run with --force, so every run is a miss (and replacements get killed too).
        const started = Date.now();
        const run = startGroup(ws, cx([...job.args, ...(isStored(job) ? ['--force'] : [])]), env);
        let finished = 0;
        void run.done.then(() => (finished = Date.now()));
        await sleep(random() * duration[job.task] * 1.1);
        const gotThrough = finished !== 0 || run.child.exitCode !== null;
        if (!gotThrough) killedDuringRun++;
        run.killGroup('SIGKILL');
        await run.done;
        // Runs slow down and speed up with the machine's load: follow the durations of runs that got through.
        if (gotThrough && finished) duration[job.task] = 0.7 * duration[job.task] + 0.3 * (finished - started);
        else duration[job.task] *= 1.02; // killed: the run may be longer than we think
      }
    };
    const isStored = (job: Job) =>
      entryDirs(ws.data).some(
        (d) =>
          d.includes(`${path.sep}${job.task}${path.sep}`) &&
          existsSync(path.join(d, 'meta.yaml')) &&
          readFileSync(path.join(d, 'meta.yaml'), 'utf8').includes(job.file),
      );
    await Promise.all([stream(Math.ceil(iterations / 2)), stream(Math.floor(iterations / 2))]);
    const context = `seed ${seed} (replay with CACHEX_SEED=${seed}), ${killedDuringRun} of ${iterations} killed mid-run`;
    expect(killedDuringRun, context).toBeGreaterThan(iterations / 3);
    // No entry folder is partial: every one loads with all its digests right.
    expect((await checkStore(ws.data)).corrupt, context).toEqual([]);
    const verified = verifyJson(ws);
    if (verified) {
      expect(verified.report.corrupt, context).toEqual([]);
      expect(verified.code, context).toBe(0);
    }
    const before = ws.converterRuns();
    for (const job of jobs) {
      const first = ws.run(cx(job.args), { env });
      expect(first.code, `${context}\n${first.stderr}`).toBe(0);
      expect(first.stdout).toBe(reference.get(job));
      const second = ws.run(cx(job.args), { env });
      expect(second.stderr, context).toMatch(new RegExp(`^hit ${job.task} `, 'm'));
      expect(second.stdout).toBe(reference.get(job));
    }
    expect(ws.converterRuns()).toBeGreaterThanOrEqual(before);
    // The sweep removes what the killed runs left (their staging folders and locks).
    const fixed = verifyJson(ws, ['--fix']);
    if (fixed) {
      expect(fixed.report.corrupt, context).toEqual([]);
      expect(list(path.join(ws.data, 'tmp')), context).toEqual([]);
      expect(verifyJson(ws)!.report.staleLocks, context).toEqual([]);
    }
  }, 600_000);
});

describe('crash safety: Ctrl-C and SIGTERM during a miss', () => {
  it.each([
    ['SIGTERM', 'potree', 143],
    ['SIGINT', 'potree', 130],
    ['SIGTERM', 'convert', 143],
    ['SIGINT', 'convert', 130],
  ] as const)(
    '%s to cachex during a %s miss stops the task, removes its staging folder, releases the lock and exits %i',
    async (signal, task, code) => {
      ws = new Workspace();
      const file = ws.samplePcd('in/a.pcd');
      const args = task === 'potree' ? ['run', 'potree', '--file', file] : ['run', 'count', '--n', '7'];
      const countFile = ws.path('count.txt');
      const run = startGroup(ws, cx(args), { FAKE_SLEEP: '30', SLEEP: '30000', COUNT_FILE: countFile });
      await waitFor(
        () =>
          stagingDirs(ws).length === 1 &&
          (task === 'potree' ? processesMentioning(path.join(ws.data, 'tmp')).length > 0 : existsSync(countFile)),
        20_000,
        'the task to start',
      );
      process.kill(run.child.pid!, signal); // cachex only, as `kill` or a CI timeout would
      const started = Date.now();
      const result = await run.done;
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result.code ?? 128 + (result.signal === 'SIGINT' ? 2 : 15)).toBe(code);
      expect(result.stderr).toMatch(new RegExp(`not stored: the run was interrupted by ${signal}`));
      expect(stagingDirs(ws)).toEqual([]);
      expect(list(path.join(ws.data, 'locks', 'tasks', task === 'potree' ? 'potree' : 'count'))).toEqual([]);
      expect(entryDirs(ws.data)).toEqual([]);
      await waitFor(() => processesMentioning(ws.dir).length === 0, 5_000, 'the converter to be stopped');
      run.killGroup('SIGKILL');
      const next = ws.run(cx(args), { env: { COUNT_FILE: countFile } });
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toMatch(/^miss /m);
      expect(ws.run(cx(args)).stderr).toMatch(/^hit /m);
    },
  );
});

/**
 * SQLite-style crash sweep: kill cachex at the Nth call of a store syscall,
 * for N = 1, 2, … until the run gets through. strace without -f traces the
 * main thread only (where the store does its synchronous work), not the converter.
 * fsync is traced with -f: a sealed entry's files are flushed on libuv's
 * threads, several at once, and strace counts each thread's calls apart, so
 * N is then the Nth fsync of whichever thread gets there first. The sweep
 * with 40 extra files has more files than fsyncs in flight; with 80 the
 * entry is flushed by one syncfs (`sync -f`, a child) before the commit's
 * rename where the file system allows it (seal-flush.test.ts).
 */
describe.skipIf(cannotStrace())(
  withReason('crash safety: SIGKILL at the Nth store syscall (strace inject)', cannotStrace()),
  () => {
    type Sweep = [string, 'miss' | 'force', number];
    const sweeps: Sweep[] =
      SOAK > 1
        ? // rmdir on the main thread only removes a --force run's swapped-out entry
          [
            ...['rename', 'fsync', 'unlink', 'mkdir', 'write'].flatMap(
              (s) =>
                [
                  [s, 'miss', 0],
                  [s, 'force', 0],
                ] as Sweep[],
            ),
            ['rmdir', 'force', 0],
            ['fsync', 'miss', 40],
            ['fsync', 'miss', 80],
            ['rename', 'miss', 80],
            ['rename', 'force', 80],
          ]
        : [
            ['rename', 'miss', 0],
            ['rename', 'force', 0],
            ['fsync', 'force', 0],
            ['fsync', 'miss', 40],
            ['rename', 'force', 80],
          ];

    it.each(sweeps)(
      'killed at every %s of a %s (%i extra output files), the store holds the old state or the complete new entry',
      async (syscall, mode, extraFiles) => {
        ws = new Workspace();
        const file = ws.samplePcd('in/a.pcd');
        const args = cx(['run', 'potree', '--file', file]);
        const env = { FAKE_FILES: String(extraFiles) };
        const clean = ws.run(args, { env });
        expect(clean.code, clean.stderr).toBe(0);
        const template = ws.path('template');
        cpSync(ws.data, template, { recursive: true });
        let completed = false;
        let kills = 0;
        for (let n = 1; n <= 400 && !completed; n++) {
          rmSync(ws.data, { recursive: true, force: true });
          cpSync(template, ws.data, { recursive: true });
          if (mode === 'miss') rmSync(path.join(ws.data, 'cache'), { recursive: true, force: true });
          const traced = startGroup(ws, [...args, ...(mode === 'force' ? ['--force'] : [])], env, [
            'strace',
            ...(syscall === 'fsync' ? ['-f'] : []),
            '-o',
            '/dev/null',
            '-e',
            `trace=${syscall}`,
            '-e',
            `inject=${syscall}:signal=SIGKILL:when=${n}`,
          ]);
          const result = await traced.done;
          traced.killGroup('SIGKILL'); // the orphaned converter, if any
          completed = result.code === 0;
          if (!completed) kills++;
          const at = `${syscall} #${n} (${mode}): ${result.stderr}`;
          expect(completed || result.signal === 'SIGKILL' || result.code === 137, at).toBe(true);
          // Old or new: every entry present is complete, and the next plain run replays the same output.
          expect((await checkStore(ws.data)).corrupt, at).toEqual([]);
          const callsBefore = ws.converterRuns();
          const next = ws.run(args, { env });
          expect(next.code, `${at}\n${next.stderr}`).toBe(0);
          expect(next.stdout, at).toBe(clean.stdout);
          if (mode === 'force') {
            // The old entry was complete before the kill, so it (or the new one) must still serve: no recompute.
            expect(next.stderr, at).toMatch(/^hit potree /m);
            expect(ws.converterRuns(), at).toBe(callsBefore);
          }
          expect((await checkStore(ws.data)).corrupt, at).toEqual([]);
        }
        expect(completed, `a run under strace never got through ${syscall}`).toBe(true);
        expect(kills).toBeGreaterThan(0);
      },
      600_000,
    );
  },
);
