/**
 * Lock decisions hold when clocks differ or jump (libfaketime). On one
 * machine holders are judged by PID and process start, so only holders on
 * another machine (simulated with unshare, sharing the data folder) matter:
 * a waiter judges their heartbeat by whether it changes on its own monotonic
 * clock, and prune / verify by the lock's last change in the file system's
 * clock, never by comparing timestamps written by two machines.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, type CliResult, Workspace } from '../../helpers/cli.js';
import {
  cannotFaketime,
  cannotUnshare,
  cx,
  faketimeEnv,
  lockOf,
  onOtherMachine,
  spawnGroup,
  stagingDirs,
  waitFor,
  withReason,
} from '../../helpers/faults.js';

const cannot = cannotUnshare() ?? cannotFaketime();

/**
 * One case's own workspace and the process groups it started. The cases wait on
 * heartbeats for seconds and share nothing, so they run at once (it.concurrent).
 */
class Case {
  readonly ws = new Workspace();
  private readonly groups: { killGroup(signal?: NodeJS.Signals): void }[] = [];

  constructor() {
    this.ws.samplePcd('in/a.pcd');
    cases.push(this);
  }

  /** A clock offset file for libfaketime ("+1h", "-1h", "+0"), which the test may rewrite to make the clock jump. */
  clock(name: string, offset: string): { env: NodeJS.ProcessEnv; set(offset: string): void } {
    const file = this.ws.path(`clock-${name}.txt`);
    writeFileSync(file, `${offset}\n`);
    return { env: faketimeEnv(file), set: (next) => writeFileSync(file, `${next}\n`) };
  }

  /** Starts potree on "machine-b" with its clock at `offset`; resolves once it holds the lock and runs its converter. */
  async remoteHolder(offset: string, sleepSeconds: number) {
    const argv = onOtherMachine(cx(['run', 'potree', '--file', this.ws.path('in/a.pcd')]));
    const holder = spawnGroup(this.ws, argv, { ...this.clock('holder', offset).env, FAKE_SLEEP: String(sleepSeconds) });
    this.groups.push(holder);
    await waitFor(
      () => lockOf(this.ws, 'potree') && stagingDirs(this.ws).length === 1,
      30_000,
      'the remote holder to start its converter',
    );
    return holder;
  }

  startHere(args: string[], env: NodeJS.ProcessEnv) {
    const run = spawnGroup(this.ws, [process.execPath, CLI, ...cx(args)], env);
    this.groups.push(run);
    return run;
  }

  /** A CLI run to its end, without blocking the other cases' waits (as a synchronous spawn would). */
  run(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
    return this.startHere(args, env).done;
  }

  close(): void {
    for (const g of this.groups.splice(0)) g.killGroup('SIGKILL');
    this.ws.cleanup();
  }
}

const cases: Case[] = [];
afterAll(() => {
  for (const c of cases.splice(0)) c.close();
});

describe.skipIf(cannot)(withReason('lock decisions when clocks differ or jump (faketime, unshare)', cannot), () => {
  it.concurrent.each([
    ['the waiter here is an hour ahead', '+1h', '+0', null],
    ['the holder there is an hour behind', '+0', '-1h', null],
    ['the waiter here is an hour behind', '-1h', '+0', null],
    ["the waiter's clock jumps 2 h ahead while it waits", '+0', '+0', '+2h'],
  ] as const)(
    'a live holder on another machine is waited for, not taken over, when %s',
    async (_label, waiterOffset, holderOffset, jumpTo) => {
      const c = new Case();
      // Longer than the 10 s a silent heartbeat is given: the waiter must see it change, again and again.
      const holder = await c.remoteHolder(holderOffset, 13);
      const waiterClock = c.clock('waiter', waiterOffset);
      const waiter = c.startHere(['run', 'potree', '--file', 'in/a.pcd'], waiterClock.env);
      await waitFor(() => /waiting for another run/.test(waiter.output().stderr), 30_000, 'the waiter to wait');
      if (jumpTo) waiterClock.set(jumpTo);
      const [held, waited] = await Promise.all([holder.done, waiter.done]);
      expect(held.code, held.stderr).toBe(0);
      expect(waited.code, waited.stderr).toBe(0);
      expect(waited.stderr).toMatch(/^hit potree /m);
      expect(c.ws.converterRuns()).toBe(1);
    },
    90_000,
  );

  it.concurrent.each([
    ['an hour ahead', '+1h'],
    ['an hour behind', '-1h'],
  ])(
    'a dead holder on another machine whose clock is %s is taken over within 20 s',
    async (_label, offset) => {
      const c = new Case();
      const holder = await c.remoteHolder(offset, 60);
      holder.killGroup('SIGKILL');
      await holder.done;
      expect(existsSync(lockOf(c.ws, 'potree')!)).toBe(true);
      const started = Date.now();
      const here = c.startHere(['run', 'potree', '--file', 'in/a.pcd'], {});
      const timeout = setTimeout(() => here.killGroup('SIGKILL'), 30_000);
      const result: CliResult = await here.done;
      clearTimeout(timeout);
      const elapsed = Date.now() - started;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/^miss potree /m);
      expect(elapsed).toBeLessThan(20_000);
      expect(c.ws.converterRuns()).toBe(1);
    },
    90_000,
  );

  it.concurrent('prune --all and verify --fix an hour ahead leave a live remote holder its lock and staging folder', async () => {
    const c = new Case();
    const holder = await c.remoteHolder('+0', 13);
    const lock = lockOf(c.ws, 'potree')!;
    const staging = stagingDirs(c.ws);
    // Past the moment a heartbeat compared with a clock an hour ahead would look an hour old.
    const ahead = c.clock('prune', '+1h').env;
    const pruned = await c.run(['prune', '--all'], ahead);
    expect(pruned.code, pruned.stderr).toBe(0);
    const verified = await c.run(['verify', '--fix'], ahead);
    expect(verified.code, verified.stderr).toBe(0);
    expect(existsSync(lock)).toBe(true);
    expect(stagingDirs(c.ws)).toEqual(staging);
    const held = await holder.done;
    expect(held.code, held.stderr).toBe(0);
    expect(held.stderr).toMatch(/^miss potree [0-9a-f]{12} \(ran [^)]*, stored /m);
    const next = await c.run(['run', 'potree', '--file', 'in/a.pcd'], ahead);
    expect(next.stderr).toMatch(/^hit potree /m);
    expect(c.ws.converterRuns()).toBe(1);
  }, 90_000);
});
