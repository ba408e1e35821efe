import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, Workspace } from '../helpers/cli.js';
import { demoConfig } from '../helpers/configs.js';
import { remoteEnv } from '../helpers/remote-entries.js';
import { type RunningServer, startApiServer, startFaultProxy } from '../helpers/remote-servers.js';

/**
 * The lease through `cachex run`: runners with their own data folders that
 * miss the same keys at once run each key once, and a holder SIGKILLed while
 * it runs is replaced once its beat has stood still for 30 s. Runs are
 * counted by the stand-in converter's log ($FAKE_LOG, one line per finished run).
 * The two cases have their own servers, logs, data folders and inputs, and
 * run at once: the kill case spends its time waiting for the beat to go stale.
 */
const servers: RunningServer[] = [];
const children: ChildProcess[] = [];
let ws: Workspace;
let files: string[];
/** The killed holder's own input, so the converters it looks for are never those of the 8 runners. */
let killFile: string;

beforeAll(async () => {
  ws = new Workspace('cachex-rlease-');
  ws.config(demoConfig());
  files = Array.from({ length: 10 }, (_, i) => ws.samplePcd(`in/k${i}.pcd`, `key ${i}`));
  killFile = ws.samplePcd('in/kill.pcd', 'key kill');
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(servers.map((s) => s.stop()));
  ws.cleanup();
});

interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One `cachex run potree` in its own data folder, without waiting. */
function start(data: string, env: NodeJS.ProcessEnv, file: string): { child: ChildProcess; done: Promise<Done> } {
  const child = spawn(process.execPath, [CLI, 'run', 'potree', '--json', '--file', file], {
    cwd: ws.dir,
    env: { ...ws.env, ...env, DATA_FOLDER: data },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const done = new Promise<Done>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

/** Converter runs per input file, from the converter's own log. */
function runsPerFile(log: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(log)) return counts;
  for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
    const file = JSON.parse(line).argv.find((a: string) => a.endsWith('.pcd'));
    counts.set(file, (counts.get(file) ?? 0) + 1);
  }
  return counts;
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('lease through cachex run', () => {
  it.concurrent('8 runners × 10 keys started together: each key runs once, every other run is a remote hit', async () => {
    const api = await startApiServer(ws.path('api-eight'));
    servers.push(api);
    const log = ws.path('eight.jsonl');
    const env = { ...remoteEnv(api.url), FAKE_LOG: log, FAKE_SLEEP: '1' };
    // Each runner works through the keys in its own order (as CI jobs reach them at different times), one at a time.
    const runners = Array.from({ length: 8 }, async (_, r) => {
      const results: Done[] = [];
      for (let i = 0; i < files.length; i++) {
        const file = files[(i + r) % files.length];
        results.push(await start(ws.path('runners', `r${r}`), env, file).done);
      }
      return results;
    });
    const all = (await Promise.all(runners)).flat();
    for (const r of all) expect(r.code, r.stderr).toBe(0);
    const statuses = all.map((r) => JSON.parse(r.stdout));
    expect([...runsPerFile(log).values()]).toEqual(Array(10).fill(1));
    expect(runsPerFile(log).size).toBe(10);
    expect(statuses.filter((s) => s.status === 'miss')).toHaveLength(10);
    expect(statuses.filter((s) => s.status === 'hit' && s.remote === 'hit')).toHaveLength(70);
    for (const r of all) expect(r.stderr).not.toMatch(/cachex: remote /);
  }, 600_000);

  it.concurrent('a SIGKILLed holder is replaced once its beat has stood still for 30 s', async () => {
    const api = await startApiServer(ws.path('api-kill'));
    servers.push(api);
    const watch = await startFaultProxy(api.url);
    servers.push(watch);
    const log = ws.path('kill.jsonl');
    const file = killFile;
    const holderData = ws.path('holder');
    const holder = start(holderData, { ...remoteEnv(api.url), FAKE_LOG: log, FAKE_SLEEP: '600' }, file);
    // The converter starts only once the run went past the lease: then the holder holds it.
    await until('the holder to run', () => converterProcesses(file).length > 0);
    const waiter = start(ws.path('waiter'), { ...remoteEnv(watch.url), FAKE_LOG: log }, file);
    // The waiter is watching the lease once it has read it a few times (artifact GET, lease GETs, polls).
    await until('the waiter to watch the lease', async () => ((await watch.counts()).GET ?? 0) >= 4);
    // The converter runs in a process group of its own: kill it as well as cachex, as a lost machine would.
    const converterPids = converterProcesses(file);
    holder.child.kill('SIGKILL');
    for (const pid of converterPids) process.kill(pid, 'SIGKILL');
    const killed = performance.now();
    const w = await waiter.done;
    const afterKill = (performance.now() - killed) / 1000;
    expect(w.code, w.stderr).toBe(0);
    expect(JSON.parse(w.stdout)).toMatchObject({ status: 'miss', upload: 'stored' });
    expect(runsPerFile(log).get(file)).toBe(1); // the waiter's run; the holder never finished
    // It waited for the beat to go stale (the last beat may be up to 10 s before the kill) …
    expect(afterKill).toBeGreaterThan(15);
    // … and took over 30 s after the last beat it saw, then ran (a few seconds on a busy machine).
    expect(afterKill).toBeLessThan(40);
  }, 180_000);
});

/** PIDs of stand-in converter processes working on `file` (Linux /proc). */
function converterProcesses(file: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('fake-converter')) && argv.includes(file)) pids.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return pids;
}
