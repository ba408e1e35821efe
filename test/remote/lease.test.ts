import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiBackend } from '../../src/store/remote/api-backend.js';
import type { Backend } from '../../src/store/remote/backend.js';
import { DEFAULT_LEASE_TIMINGS, LeaseClient, type LeaseOutcome } from '../../src/store/remote/lease.js';
import { RemotePolicy } from '../../src/store/remote/policy.js';
import { REPO, Workspace } from '../helpers/cli.js';
import { type MadeEntry, makeEntry, remoteEnv, settingsFrom } from '../helpers/remote-entries.js';
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

  it.concurrent('a claim whose PUT lands after the other claimant first read back the lease leaves one holder', async () => {
    const api = await startApiServer(ws.path('apirace'));
    servers.push(api);
    const settings = settingsFrom(remoteEnv(api.url));
    const backend = (name: string): Backend => {
      const policy = new RemotePolicy(settings.server, { stateFile: ws.path(`race-${name}.json`) });
      return new ApiBackend(settings, policy.exchange.bind(policy));
    };
    // A fault injector in front of one claimant: its lease PUTs reach the server 400 ms late (a loaded
    // machine or server), after the other claimant's first read-back 250 ms after its own PUT.
    const direct = backend('late');
    let issued: () => void = () => {};
    const putIssued = new Promise<void>((resolve) => (issued = resolve));
    const late: Backend = {
      server: direct.server,
      get: (kind, ref, deadline) => direct.get(kind, ref, deadline),
      head: (kind, ref, deadline) => direct.head(kind, ref, deadline),
      put: async (kind, ref, upload, deadline) => {
        if (kind === 'lease') {
          issued();
          await sleep(400);
        }
        return direct.put(kind, ref, upload, deadline);
      },
    };
    const timings = { ...DEFAULT_LEASE_TIMINGS, pollMs: 100 };
    const ref = { module: 'race', task: 'race', key: 'f'.repeat(64) };
    const holders: { who: string; lease: LeaseOutcome }[] = [];
    const claim = (who: string, client: LeaseClient) =>
      client.acquire(ref).then((lease) => {
        holders.push({ who, lease });
      });
    const b = claim('late', new LeaseClient(late, 'main', null, timings));
    await putIssued; // it read "no lease" and sent its PUT: now the other one claims
    const a = claim('direct', new LeaseClient(backend('direct'), 'main', null, timings));
    await Promise.race([a, b]);
    // Two holders came 250 ms apart when the claim was decided by one read-back; give it several times that.
    await sleep(2000);
    expect(holders.map((h) => h.who)).toHaveLength(1);
    const [first] = holders;
    expect(first.lease.status).toBe('acquired');
    if (first.lease.status === 'acquired') await first.lease.release();
    // Released without an artifact: the other claimant takes the lease now.
    await Promise.all([a, b]);
    expect(holders).toHaveLength(2);
    expect(holders[1].lease.status).toBe('acquired');
    if (holders[1].lease.status === 'acquired') await holders[1].lease.release();
  }, 120_000);
});
