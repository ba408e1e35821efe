import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, Workspace } from '../helpers/cli.js';
import { MAKE_CONFIG, remoteEnv, s3Env, SIGNING_KEY } from '../helpers/remote-entries.js';
import { type RunningServer, startApiServer, startFaultProxy, startS3rver } from '../helpers/remote-servers.js';

/**
 * `cachex run` through the tiered store against real servers: local first,
 * then the remote; a remote hit becomes a local entry; server trouble is a
 * warning and never changes the exit code or the output.
 */
const servers: RunningServer[] = [];
const workspaces: Workspace[] = [];
let base: Workspace;
let api: RunningServer;
let s3: RunningServer;
const everyOutput: string[] = [];

beforeAll(async () => {
  base = new Workspace('cachex-rrun-');
  [api, s3] = await Promise.all([startApiServer(base.dir), startS3rver(base.dir)]);
  servers.push(api, s3);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const ws of workspaces) ws.cleanup();
  base.cleanup();
});

function workspace(): Workspace {
  const ws = new Workspace('cachex-rrun-ws-');
  workspaces.push(ws);
  ws.config(MAKE_CONFIG);
  return ws;
}

function run(ws: Workspace, env: NodeJS.ProcessEnv, args: string[] = []) {
  const r = ws.run(['run', 'make', ...args], { env });
  everyOutput.push(r.stdout, r.stderr);
  return r;
}

function runJson(ws: Workspace, env: NodeJS.ProcessEnv, args: string[] = []) {
  const r = run(ws, env, ['--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return { ...r, json: JSON.parse(r.stdout) };
}

const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('cachex: remote '));

describe.each([
  ['Turborepo API', () => remoteEnv(api.url)],
  ['S3', () => s3Env(s3.url)],
])('%s', (_name, envOf) => {
  it('a fresh data folder after another one missed: remote hit, task not run, output identical, verify clean', () => {
    const label = `fresh-${_name.length}`;
    const writer = workspace();
    const first = runJson(writer, envOf(), ['--label', label]);
    expect(first.json).toMatchObject({ status: 'miss', remote: 'miss', upload: 'stored' });
    expect(writer.taskRuns()).toBe(1);
    expect(warnings(first.stderr)).toEqual([]);

    const reader = workspace();
    const hit = runJson(reader, envOf(), ['--label', label]);
    expect(hit.json).toMatchObject({ status: 'hit', remote: 'hit', upload: 'skipped', key: first.json.key });
    expect(reader.taskRuns()).toBe(0);
    expect(hit.stderr).toContain('made', label);
    expect(warnings(hit.stderr)).toEqual([]);
    const entry = (ws: Workspace) => path.join(ws.data, 'cache', first.json.module, 'make', first.json.key);
    for (const f of ['meta.yaml', 'stdout.log', 'stderr.log', 'result.v8', 'out/sub/deep/data.bin', 'out/top.txt'])
      expect(readFileSync(path.join(entry(reader), f)).equals(readFileSync(path.join(entry(writer), f))), f).toBe(true);
    const verify = reader.run(['verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    // The plain (non-JSON) output of the reader's hit equals a local hit's.
    const plainRemote = run(workspace(), envOf(), ['--label', label]);
    const plainLocal = run(writer, { CACHEX_REMOTE_URL: '' }, ['--label', label]);
    expect(plainRemote.code).toBe(0);
    expect(plainRemote.stdout).toBe(plainLocal.stdout);
  });
});

describe('local hits and a troubled server', () => {
  it('a local hit sends 0 requests and loads no remote module', async () => {
    const proxy = await startFaultProxy(api.url);
    servers.push(proxy);
    const ws = workspace();
    const env = remoteEnv(proxy.url);
    runJson(ws, env, ['--label', 'local-hit']);
    await proxy.reset();
    const log = ws.path('imports.log');
    const hit = runJson(
      ws,
      { ...env, LOG_IMPORTS: log, NODE_OPTIONS: `--import ${path.join(REPO, 'test', 'fixtures', 'log-imports.mjs')}` },
      ['--label', 'local-hit'],
    );
    expect(hit.json).toMatchObject({ status: 'hit', remote: 'skipped' });
    expect(await proxy.counts()).toEqual({});
    const loaded = readFileSync(log, 'utf8');
    expect(loaded).toContain('bin/cachex.js'); // the hook saw the CLI itself (the hit bundle is compiled by vm, unresolved)
    expect(loaded).not.toMatch(/aws4fetch|tar-stream|store\/remote\/tier/);
  });

  it.each([
    ['hang', { mode: 'hang' }],
    ['reset', { mode: 'reset', afterBytes: 0 }],
    ['500', { mode: 'status', status: 500 }],
  ])('a %s server: exit 0, output equal to a local run, one warning', async (_n, fault) => {
    const proxy = await startFaultProxy(api.url);
    servers.push(proxy);
    await proxy.fault(fault);
    const ws = workspace();
    const r = run(ws, remoteEnv(proxy.url), ['--label', `trouble-${_n}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toHaveLength(1);
    const local = run(workspace(), { CACHEX_REMOTE: 'off', CACHEX_REMOTE_URL: proxy.url }, [
      '--label',
      `trouble-${_n}`,
    ]);
    expect(r.stdout).toBe(local.stdout);
    expect(ws.taskRuns()).toBe(1);
  });

  it('a closed port: exit 0 and one warning', () => {
    const ws = workspace();
    const r = run(ws, remoteEnv('http://127.0.0.1:9'), ['--label', 'closed']);
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toHaveLength(1);
  });

  it('read-only mode sends 0 PUTs and still hits', async () => {
    const proxy = await startFaultProxy(api.url);
    servers.push(proxy);
    const env = remoteEnv(proxy.url, { CACHEX_REMOTE_READ_ONLY: '1' });
    const miss = runJson(workspace(), env, ['--label', 'read-only']);
    expect(miss.json).toMatchObject({ status: 'miss', upload: 'read-only' });
    expect((await proxy.counts()).PUT ?? 0).toBe(0);
    runJson(workspace(), remoteEnv(api.url), ['--label', 'read-only']); // a writer uploads it
    await proxy.reset();
    const hit = runJson(workspace(), env, ['--label', 'read-only']);
    expect(hit.json).toMatchObject({ status: 'hit', remote: 'hit' });
    expect((await proxy.counts()).PUT ?? 0).toBe(0);
  });

  it('--no-remote: local only, remote "off"', async () => {
    const proxy = await startFaultProxy(api.url);
    servers.push(proxy);
    const r = runJson(workspace(), remoteEnv(proxy.url), ['--label', 'no-remote', '--no-remote']);
    expect(r.json).toMatchObject({ status: 'miss', remote: 'off', upload: 'skipped' });
    expect(await proxy.counts()).toEqual({});
  });

  it('no signing key: exit 3 even on a local hit, naming the fix', () => {
    const ws = workspace();
    runJson(ws, { CACHEX_REMOTE_URL: '' }, ['--label', 'no-key']);
    const r = run(ws, remoteEnv(api.url, { CACHEX_REMOTE_SIGNING_KEY: '' }), ['--label', 'no-key']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('CACHEX_REMOTE_SIGNING_KEY is not set');
    expect(r.stderr).not.toContain('made');
  });

  it('remote.signing: false in the config needs no key', () => {
    const ws = workspace();
    ws.config(MAKE_CONFIG.replace('tasks: {', 'remote: { signing: false, namespace: "unsigned" },\n  tasks: {'));
    const r = runJson(ws, remoteEnv(api.url, { CACHEX_REMOTE_SIGNING_KEY: '' }), ['--label', 'unsigned']);
    expect(r.json).toMatchObject({ status: 'miss', remote: 'miss', upload: 'stored' });
  });

  it('an unknown remote option is refused with exit 3', () => {
    const ws = workspace();
    ws.config(MAKE_CONFIG.replace('tasks: {', 'remote: { signin: false },\n  tasks: {'));
    const r = run(ws, {});
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('"signin" is not a remote option (did you mean "signing"?)');
  });

  it('cachex exec goes through the remote too: a fresh folder restores the output without running', () => {
    const script = "require('fs').writeFileSync('made.txt', 'exec ' + Date.now()); console.log('ran')";
    const args = ['exec', '--output', 'made.txt', '--json', '--', process.execPath, '-e', script];
    const writer = workspace();
    const first = writer.run(args, { env: remoteEnv(api.url) });
    everyOutput.push(first.stdout, first.stderr);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'miss', remote: 'miss', upload: 'stored' });
    const reader = workspace();
    const hit = reader.run(args, { env: remoteEnv(api.url) });
    everyOutput.push(hit.stdout, hit.stderr);
    expect(hit.code, hit.stderr).toBe(0);
    expect(JSON.parse(hit.stdout)).toMatchObject({ status: 'hit', remote: 'hit' });
    expect(readFileSync(reader.path('made.txt'), 'utf8')).toBe(readFileSync(writer.path('made.txt'), 'utf8'));
  });

  it('token and signing key appear in no output of this file', () => {
    expect(everyOutput.length).toBeGreaterThan(10);
    for (const text of everyOutput) {
      expect(text).not.toContain(SIGNING_KEY);
      expect(text).not.toMatch(/\btok\b/);
    }
    expect(existsSync(base.dir)).toBe(true);
  });
});
