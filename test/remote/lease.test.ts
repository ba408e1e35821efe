import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, Workspace } from '../helpers/cli.js';
import { type MadeEntry, makeEntry, remoteEnv } from '../helpers/remote-entries.js';
import { type RunningServer, startApiServer } from '../helpers/remote-servers.js';

/**
 * Runners that miss the same keys at once run each key once: the lease holder
 * runs and uploads, the others wait for its artifact and hit. Each runner is
 * its own process with its own data folder (test/fixtures/lease-client.mjs,
 * on the built dist/).
 */
const CLIENT = path.join(REPO, 'test', 'fixtures', 'lease-client.mjs');
let ws: Workspace;
let entries: MadeEntry[];
const servers: RunningServer[] = [];

beforeAll(async () => {
  expect(existsSync(path.join(REPO, 'dist', 'store', 'remote', 'tier.js')), 'run `npm run build` first').toBe(true);
  ws = new Workspace('cachex-lease-');
  entries = [];
  for (let i = 0; i < 10; i++) entries.push(await makeEntry(ws, ['--label', `key${i}`]));
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  ws.cleanup();
});

function runner(env: NodeJS.ProcessEnv, list: MadeEntry[], name: string) {
  const data = ws.path('runners', name);
  const child = spawn(process.execPath, [CLIENT], {
    env: {
      ...process.env,
      ...env,
      DATA_FOLDER: data,
      ENTRIES: JSON.stringify(list),
      RUN_LOG: ws.path(`${env.LOG_NAME}.log`),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<{
    code: number | null;
    results: { key: string; outcome: string; warnings: string[] }[];
    err: string;
  }>((resolve) =>
    child.on('close', (code) =>
      resolve({
        code,
        err,
        results: out
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      }),
    ),
  );
  return { child, done };
}

function runLog(name: string): string[] {
  const file = ws.path(`${name}.log`);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe('lease', () => {
  it.concurrent('8 runners × 10 keys started together run each key once; the others hit', async () => {
    const api = await startApiServer(ws.path('api8'));
    servers.push(api);
    const env = { ...remoteEnv(api.url), LOG_NAME: 'eight', WORK_MS: '1500' };
    const runs = Array.from({ length: 8 }, (_, i) => runner(env, entries, `r${i}`));
    const finished = await Promise.all(runs.map((r) => r.done));
    for (const f of finished) expect(f.code, f.err).toBe(0);
    const log = runLog('eight');
    const perKey = new Map<string, number>();
    for (const line of log) perKey.set(line.split(' ')[0], (perKey.get(line.split(' ')[0]) ?? 0) + 1);
    expect([...perKey.values()]).toEqual(Array(10).fill(1));
    const outcomes = finished.flatMap((f) => f.results.map((r) => r.outcome));
    expect(outcomes.filter((o) => o === 'ran')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'hit')).toHaveLength(70);
    expect(finished.flatMap((f) => f.results.flatMap((r) => r.warnings))).toEqual([]);
  }, 180_000);

  it.concurrent('a SIGKILLed holder is replaced once its beat has not moved for 30 s', async () => {
    const api = await startApiServer(ws.path('apikill'));
    servers.push(api);
    const env = { ...remoteEnv(api.url), LOG_NAME: 'kill', WORK_MS: '600000' };
    const holder = runner(env, [entries[0]], 'holder');
    const waitFor = async (n: number) => {
      for (let i = 0; i < 600 && runLog('kill').length < n; i++) await new Promise((r) => setTimeout(r, 100));
    };
    await waitFor(1);
    expect(runLog('kill')).toHaveLength(1);
    const leaseLog = ws.path('kill-lease.log');
    const waiter = runner({ ...env, WORK_MS: '10', LEASE_LOG: leaseLog }, [entries[0]], 'waiter');
    // Kill only once the waiter is about to ask for the lease (a slow start on a busy machine is not charged).
    for (let i = 0; i < 600 && !existsSync(leaseLog); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(leaseLog)).toBe(true);
    holder.child.kill('SIGKILL');
    const killed = performance.now();
    const w = await waiter.done;
    expect(w.code, w.err).toBe(0);
    expect(w.results[0].outcome).toBe('ran');
    expect(runLog('kill')).toHaveLength(2);
    expect((performance.now() - killed) / 1000).toBeLessThan(33);
  }, 120_000);
});
