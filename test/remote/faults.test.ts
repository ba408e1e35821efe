import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/cli.js';
import {
  listTree,
  type MadeEntry,
  makeEntry,
  remoteEnv,
  SIGNING_KEY,
  s3Env,
  stagingIn,
  tierFor,
} from '../helpers/remote-entries.js';
import { type RunningServer, startApiServer, startFaultProxy, startS3rver } from '../helpers/remote-servers.js';

/**
 * A slow, dead or refusing server costs at most its budget, gives one
 * warning naming the server and the reason, and then stays out of the way.
 */
let ws: Workspace;
let api: RunningServer;
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
let entry: MadeEntry;
const allWarnings: string[] = [];

beforeAll(async () => {
  ws = new Workspace('cachex-faults-');
  api = await startApiServer(ws.dir);
  proxy = await startFaultProxy(api.url);
  entry = await makeEntry(ws, ['--size', '200000', '--random']);
  expect((await tierFor(ws, remoteEnv(api.url)).upload(entry.ref, entry.dir)).status).toBe('stored');
});

afterAll(async () => {
  // Secrets never appear in a message.
  for (const w of allWarnings) {
    expect(w).not.toContain(SIGNING_KEY);
    expect(w).not.toMatch(/\btok\b/);
  }
  await Promise.all([proxy?.stop(), api?.stop()]);
  ws.cleanup();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** One lookup by a fresh process (its own tier, its own data folder). */
async function lookup(env: NodeJS.ProcessEnv, data = new Workspace('cachex-fault-reader-')) {
  const tier = tierFor(data, env);
  const staging = stagingIn(data);
  const started = performance.now();
  const got = await tier.fetchInto(entry.ref, entry.keyInputs, staging);
  const seconds = (performance.now() - started) / 1000;
  allWarnings.push(...got.warnings);
  if (got.status !== 'hit') expect(listTree(staging)).toEqual([]);
  return { got, seconds, tier, data };
}

describe('a failing server costs at most its budget and one warning', () => {
  const cases: { name: string; fault?: Record<string, unknown>; closed?: boolean; max: number; reason: RegExp }[] = [
    { name: 'closed port', closed: true, max: 6, reason: /connection refused/ },
    { name: 'hang', fault: { mode: 'hang' }, max: 6, reason: /no response headers within 5 s/ },
    { name: '1 byte/s', fault: { mode: 'throttle', bytesPerSecond: 1, methods: ['GET'] }, max: 35, reason: /budget/ },
    { name: 'reset', fault: { mode: 'reset', afterBytes: 100, methods: ['GET'] }, max: 6, reason: /reset/ },
    { name: '500', fault: { mode: 'status', status: 500 }, max: 6, reason: /server error 500/ },
  ];
  // Each case has its own proxy so the cases, which mostly wait out a budget, run at the same
  // time (CPU-heavy tests stay sequential: they would delay these timers and their clocks).
  it.concurrent.for(cases)('$name: an error within $max s, one warning, then no upload', async (c, { expect }) => {
    const own = await startFaultProxy(api.url);
    try {
      if (c.fault) await own.fault(c.fault);
      const url = c.closed ? `http://127.0.0.1:${await freePort()}` : own.url;
      const { got, seconds, tier, data } = await lookup(remoteEnv(url));
      try {
        expect(got.status).toBe('error');
        expect(seconds).toBeLessThan(c.max);
        expect(got.warnings).toHaveLength(1);
        expect(got.warnings[0]).toContain(`remote ${url}`);
        expect(got.warnings[0]).toMatch(c.reason);
        const gets = (await own.counts()).GET ?? 0;
        if (c.name === '500') expect(gets).toBe(2); // one retry
        // After an outage this process uploads nothing and sends nothing more.
        const up = await tier.upload(entry.ref, entry.dir);
        expect(up).toEqual({ status: 'skipped', warnings: [] });
        expect((await tier.fetchInto(entry.ref, entry.keyInputs, stagingIn(data))).status).toBe('error');
        if (!c.closed) expect(await own.counts()).toEqual(gets ? { GET: gets } : {});
      } finally {
        data.cleanup();
      }
    } finally {
      await own.stop();
    }
  });

  it.concurrent('10 consecutive processes against a hung server add at most 20 s in all (3 outages switch it off for 60 s)', async ({
    expect,
  }) => {
    const hung = await startFaultProxy(api.url);
    await hung.fault({ mode: 'hang' });
    const shared = new Workspace('cachex-hung-');
    try {
      const started = performance.now();
      const statuses: string[] = [];
      for (let i = 0; i < 10; i++) {
        const { got } = await lookup(remoteEnv(hung.url), shared);
        statuses.push(got.status);
        expect(got.warnings).toHaveLength(1);
      }
      expect((performance.now() - started) / 1000).toBeLessThan(20);
      expect(statuses).toEqual(Array(10).fill('error'));
      expect((await hung.counts()).GET).toBe(3);
      expect(listTree(shared.data)).toContain('remote-state.json');
    } finally {
      shared.cleanup();
      await hung.stop();
    }
  });

  it('a reset mid-body is an outage every time, however the socket error surfaces (20 tries)', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      await proxy.reset();
      await proxy.fault({ mode: 'reset', afterBytes: 100, methods: ['GET'] });
      const { got, data } = await lookup(remoteEnv(proxy.url));
      data.cleanup();
      expect(got.status).toBe('error');
      seen.add(got.warnings.join('|').replace(/127\.0\.0\.1:\d+/, 'proxy'));
    }
    // Node reports a reset body as ECONNRESET or as "aborted"; both are the one outage warning.
    expect([...seen]).toEqual([
      'remote http://proxy: reading make ' +
        entry.ref.key.slice(0, 12) +
        ': connection reset; running without it for the rest of this process',
    ]);
  });

  it('a refused token (401) switches the remote off for the process after one request', async () => {
    await proxy.reset();
    const { got, tier, data } = await lookup(remoteEnv(proxy.url, { CACHEX_REMOTE_TOKEN: 'wrong' }));
    try {
      expect(got.status).toBe('error');
      expect(got.warnings).toEqual([expect.stringMatching(/refused the token \(401\)/)]);
      await tier.fetchInto(entry.ref, entry.keyInputs, stagingIn(data));
      expect(await tier.upload(entry.ref, entry.dir)).toEqual({ status: 'skipped', warnings: [] });
      expect(await proxy.counts()).toEqual({ GET: 1 });
    } finally {
      data.cleanup();
    }
  });

  it('S3 with an unknown access key id (403): off for the process, one warning', async () => {
    const s3 = await startS3rver(ws.path('s3-bad'));
    try {
      const { got, data } = await lookup(s3Env(s3.url, { AWS_ACCESS_KEY_ID: 'NOBODY' }));
      data.cleanup();
      expect(got.status).toBe('error');
      expect(got.warnings).toEqual([expect.stringMatching(/\(403\)/)]);
    } finally {
      await s3.stop();
    }
  });
  it('server SIGKILLed mid-upload: the upload ends in an error within its budget', async () => {
    const dying = await startApiServer(ws.path('dying'));
    const slow = await startFaultProxy(dying.url);
    const writer = new Workspace('cachex-dying-');
    try {
      const big = await makeEntry(writer, ['--size', String(8 * 1024 * 1024), '--random']);
      await slow.fault({ mode: 'delay', ms: 1500, methods: ['PUT'] });
      const tier = tierFor(writer, remoteEnv(slow.url));
      const started = performance.now();
      const uploading = tier.upload(big.ref, big.dir);
      setTimeout(() => dying.kill(), 500);
      const up = await uploading;
      expect(up.status).toBe('error');
      expect(up.warnings).toHaveLength(1);
      expect((performance.now() - started) / 1000).toBeLessThan(60);
      expect(listTree(path.join(writer.data, 'tmp'))).toEqual([]);
    } finally {
      await Promise.all([slow.stop(), dying.stop()]);
      writer.cleanup();
    }
  });
});

describe('read-only', () => {
  it('CACHEX_REMOTE_READ_ONLY=1 sends no PUT, takes no lease, and still hits', async () => {
    await proxy.reset();
    const { got, tier, data } = await lookup(remoteEnv(proxy.url, { CACHEX_REMOTE_READ_ONLY: '1' }));
    try {
      expect(got).toMatchObject({ status: 'hit', warnings: [] });
      expect(await tier.upload(entry.ref, entry.dir)).toEqual({ status: 'read-only', warnings: [] });
      expect(await tier.acquireLease(entry.ref)).toEqual({ status: 'none', warnings: [] });
      expect((await proxy.counts()).PUT).toBeUndefined();
    } finally {
      data.cleanup();
    }
  });

  it('a read-only server twin: one warning on the first upload, no further PUT in that process', async () => {
    const twin = await startApiServer(ws.dir, { readOnly: true });
    const front = await startFaultProxy(twin.url);
    try {
      const tier = tierFor(ws, remoteEnv(front.url));
      const first = await tier.upload(entry.ref, entry.dir);
      expect(first.status).toBe('read-only');
      expect(first.warnings).toEqual([expect.stringMatching(/refused an upload \(403\); read-only/)]);
      expect(await tier.upload(entry.ref, entry.dir)).toEqual({ status: 'read-only', warnings: [] });
      expect((await front.counts()).PUT).toBe(1);
      // It still serves what the writable server stored in the same folder.
      expect((await tier.fetchInto(entry.ref, entry.keyInputs, stagingIn(ws))).status).toBe('hit');
    } finally {
      await Promise.all([front.stop(), twin.stop()]);
    }
  });
});
