import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, Workspace } from '../helpers/cli.js';
import { remoteEnv, SIGNING_KEY, s3Env } from '../helpers/remote-entries.js';
import { type RunningServer, startApiServer, startFaultProxy, startS3rver } from '../helpers/remote-servers.js';

/**
 * The library API with a remote: the same CACHEX_REMOTE_* settings as the CLI,
 * remote counters in stats(), uploads in the background and flushRemote()
 * awaiting them. Each caller is its own node process on the built dist/.
 */
const SCRIPT = path.join(REPO, 'test', 'fixtures', 'lib-remote.mjs');
const servers: RunningServer[] = [];
const workspaces: Workspace[] = [];
let api: RunningServer;
let s3: RunningServer;
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
let base: Workspace;
const outputs: string[] = [];

beforeAll(async () => {
  expect(existsSync(path.join(REPO, 'dist', 'library', 'remote.js')), 'run `npm run build` first').toBe(true);
  base = new Workspace('cachex-lib-remote-');
  [api, s3] = await Promise.all([startApiServer(base.dir), startS3rver(base.dir)]);
  proxy = await startFaultProxy(api.url);
  servers.push(api, s3, proxy);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const ws of workspaces) ws.cleanup();
  base.cleanup();
});

function call(env: NodeJS.ProcessEnv, label: string) {
  const ws = new Workspace('cachex-lib-remote-ws-');
  workspaces.push(ws);
  return callIn(ws, env, label);
}

/** As call(), awaited instead of a synchronous spawn, so cases that wait on a slow server run at once. */
async function callAsync(env: NodeJS.ProcessEnv, label: string) {
  const ws = new Workspace('cachex-lib-remote-ws-');
  workspaces.push(ws);
  const child = spawn(process.execPath, [SCRIPT, label], {
    cwd: ws.dir,
    env: { ...ws.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  outputs.push(stdout, stderr);
  expect(status, stderr).toBe(0);
  return { ws, out: JSON.parse(stdout), stderr };
}

/** A fault proxy of the case's own in front of the API server. */
async function ownProxy() {
  const p = await startFaultProxy(api.url);
  servers.push(p);
  return p;
}

function callIn(ws: Workspace, env: NodeJS.ProcessEnv, label: string) {
  const r = spawnSync(process.execPath, [SCRIPT, label], {
    cwd: ws.dir,
    env: { ...ws.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  outputs.push(r.stdout, r.stderr);
  expect(r.status, r.stderr).toBe(0);
  return { ws, out: JSON.parse(r.stdout), stderr: r.stderr };
}

describe.each([
  ['Turborepo API', () => remoteEnv(api.url)],
  ['S3', () => s3Env(s3.url)],
])('library with a remote (%s)', (name, envOf) => {
  it('a fresh data folder gets the result from the remote: not computed, same value and outDir file', () => {
    const label = `lib-${name.length}`;
    const writer = call(envOf(), label);
    expect(writer.out.statsAfterFlush).toMatchObject({ misses: 1, remoteMisses: 1, remoteUploads: 1, remoteHits: 0 });
    expect(writer.ws.taskRuns()).toBe(1);
    const reader = call(envOf(), label);
    expect(reader.ws.taskRuns()).toBe(0);
    expect(reader.out.value).toEqual(writer.out.value);
    expect(reader.out.file).toBe(`cloud ${label}`);
    expect(reader.out.statsAfterFlush).toMatchObject({
      misses: 0,
      diskHits: 1,
      remoteHits: 1,
      remoteMisses: 0,
      remoteUploads: 0,
      remoteErrors: 0,
    });
    // The CLI sees the pulled entry as a healthy local one.
    const verify = reader.ws.run(['verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});

// These cases wait on delayed or hung servers, each behind its own proxy: they run at once.
describe('background uploads and flushRemote()', () => {
  it.concurrent('the call returns before its upload ends; flushRemote() waits for it', async () => {
    const proxy = await ownProxy();
    // Every PUT is slow (the lease's too, which the call waits for); the counters around the flush tell.
    await proxy.fault({ mode: 'delay', ms: 2500, methods: ['PUT'] });
    const writer = await callAsync(remoteEnv(proxy.url), 'lib-flush');
    expect(writer.out.statsAfterCall).toMatchObject({ misses: 1, remoteUploads: 0 });
    expect(writer.out.statsAfterFlush).toMatchObject({ remoteUploads: 1, remoteErrors: 0 });
    const reader = await callAsync(remoteEnv(api.url), 'lib-flush');
    expect(reader.out.statsAfterFlush).toMatchObject({ remoteHits: 1 });
  });

  it.concurrent('without flushRemote(), process.exit() drops the running upload (why the README says to await it)', async () => {
    const proxy = await ownProxy();
    await proxy.fault({ mode: 'delay', ms: 2500, methods: ['PUT'] });
    const writer = await callAsync(remoteEnv(proxy.url, { NO_FLUSH: '1' }), 'lib-noflush');
    expect(writer.out.statsAfterFlush.remoteUploads).toBe(0);
    // Read-only, so the reader does not wait out the lease the exited writer left behind.
    const reader = await callAsync(remoteEnv(api.url, { CACHEX_REMOTE_READ_ONLY: '1' }), 'lib-noflush');
    expect(reader.out.statsAfterFlush).toMatchObject({ remoteHits: 0, remoteMisses: 1 });
  });

  it.concurrent('a hung server: the call still returns its computed value, with one warning', async () => {
    const hung = await ownProxy();
    await hung.fault({ mode: 'hang' });
    const r = await callAsync(remoteEnv(hung.url), 'lib-hung');
    expect(r.out.value).toEqual({ label: 'lib-hung', points: 8000 });
    expect(r.out.statsAfterFlush).toMatchObject({ misses: 1, remoteErrors: 1, remoteUploads: 0 });
    expect(r.stderr.match(/CachexWarning: remote /g)).toHaveLength(1);
  });
});

describe('settings', () => {
  it('a local hit sends nothing; remote: false sends nothing at all', async () => {
    const first = call(remoteEnv(api.url), 'lib-local');
    await proxy.reset();
    const again = callIn(first.ws, remoteEnv(proxy.url), 'lib-local');
    expect(again.out.statsAfterFlush).toMatchObject({ diskHits: 1, remoteHits: 0, remoteMisses: 0 });
    const off = call(remoteEnv(proxy.url, { LIB_REMOTE: 'false' }), 'lib-off');
    expect(off.out.statsAfterFlush).toMatchObject({ misses: 1, remoteMisses: 0, remoteUploads: 0 });
    expect(await proxy.counts()).toEqual({});
  });

  it('no signing key: the call rejects with the configuration sentence, even on a local hit', () => {
    const first = call({ CACHEX_REMOTE_URL: '' }, 'lib-nokey');
    const r = callIn(first.ws, remoteEnv(api.url, { CACHEX_REMOTE_SIGNING_KEY: '' }), 'lib-nokey');
    expect(r.out).toMatchObject({ name: 'ConfigError' });
    expect(r.out.error).toContain('CACHEX_REMOTE_SIGNING_KEY is not set');
  });

  it('token and signing key appear in no output of this file', () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const text of outputs) {
      expect(text).not.toContain(SIGNING_KEY);
      expect(text).not.toMatch(/\btok\b/);
    }
  });
});
