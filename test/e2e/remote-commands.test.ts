import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOneSentence, Workspace } from '../helpers/cli.js';
import { listTree, MAKE_CONFIG, remoteEnv, SIGNING_KEY, s3Env } from '../helpers/remote-entries.js';
import { type RunningServer, startApiServer, startFaultProxy, startS3rver } from '../helpers/remote-servers.js';

/** `cachex remote status|ls|push|pull` against the real servers. */
const servers: RunningServer[] = [];
const workspaces: Workspace[] = [];
let api: RunningServer;
let s3: RunningServer;
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
let base: Workspace;
const outputs: string[] = [];

beforeAll(async () => {
  base = new Workspace('cachex-rcmd-');
  [api, s3] = await Promise.all([startApiServer(base.dir), startS3rver(base.dir)]);
  proxy = await startFaultProxy(api.url);
  servers.push(api, s3, proxy);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const ws of workspaces) ws.cleanup();
  base.cleanup();
});

function workspace(): Workspace {
  const ws = new Workspace('cachex-rcmd-ws-');
  workspaces.push(ws);
  ws.config(MAKE_CONFIG);
  return ws;
}

function cli(ws: Workspace, env: NodeJS.ProcessEnv, args: string[]) {
  const r = ws.run(args, { env });
  outputs.push(r.stdout, r.stderr);
  return r;
}

function make(ws: Workspace, env: NodeJS.ProcessEnv, label: string, extra: string[] = []) {
  const r = cli(ws, env, ['run', 'make', '--json', '--label', label, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('cachex: remote '));

describe('remote status', () => {
  it('Turborepo API: the settings without secrets, the token checked with one request', async () => {
    await proxy.reset();
    const r = cli(workspace(), remoteEnv(proxy.url), ['remote', 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^backend: +Turborepo API$/m);
    expect(r.stdout).toMatch(new RegExp(`^url: +${proxy.url}$`, 'm'));
    expect(r.stdout).toMatch(/^team: +team$/m);
    expect(r.stdout).toMatch(/^namespace: +main$/m);
    expect(r.stdout).toMatch(/^read-only: +no$/m);
    expect(r.stdout).toMatch(/^signing: +on/m);
    expect(r.stdout).toMatch(/^state: +on$/m);
    expect(r.stdout).toMatch(/^check: +token accepted \(a GET answered 404/m);
    expect(await proxy.counts()).toEqual({ GET: 1 });
    const json = JSON.parse(cli(workspace(), remoteEnv(proxy.url), ['remote', 'status', '--json']).stdout);
    expect(json).toMatchObject({ backend: 'api', team: 'team', namespace: 'main', readOnly: false, signing: true });
  });

  it('read-only, namespace and the remote-off state of remote-state.json are shown', () => {
    const ws = workspace();
    mkdirSync(ws.data, { recursive: true });
    writeFileSync(
      path.join(ws.data, 'remote-state.json'),
      JSON.stringify({ [api.url]: { outages: 0, offUntil: Date.now() + 45_000 } }),
    );
    const env = remoteEnv(api.url, { CACHEX_REMOTE_READ_ONLY: '1', CACHEX_REMOTE_NAMESPACE: 'pr-7' });
    const r = cli(ws, env, ['remote', 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^read-only: +yes/m);
    expect(r.stdout).toMatch(/^namespace: +pr-7$/m);
    expect(r.stdout).toMatch(/^state: +off for another 4\d s after repeated outages/m);
  });

  it.each([
    ['a refused token', () => remoteEnv(api.url, { CACHEX_REMOTE_TOKEN: 'wrong' }), /refused the token \(401\)/],
    ['a closed port', () => remoteEnv('http://127.0.0.1:9'), /cannot be reached \(.*refused/],
    [
      'S3 with an unknown key id',
      () => s3Env(s3.url, { AWS_ACCESS_KEY_ID: 'NOBODY' }),
      /refused the S3 credentials \(403\)/,
    ],
    [
      'S3 with a bucket that does not exist',
      () =>
        s3Env(s3.url, { CACHEX_REMOTE_URL: s3Env(s3.url).CACHEX_REMOTE_URL?.replace('s3://cachex/', 's3://nosuch/') }),
      /answered 404 \(the bucket does not exist\)/,
    ],
    [
      'Turborepo API without a team',
      () => remoteEnv(api.url, { CACHEX_REMOTE_TEAM: '' }),
      /answered 400 to a GET; check CACHEX_REMOTE_URL and CACHEX_REMOTE_TEAM/,
    ],
  ])('%s: exit 1 and one sentence', (_n, envOf, words) => {
    const r = cli(workspace(), envOf(), ['remote', 'status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(words);
    expect(isOneSentence(r.stderr)).toBe(true);
  });

  it('S3: backend, bucket URL and the credentials checked', () => {
    const r = cli(workspace(), s3Env(s3.url), ['remote', 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^backend: +S3$/m);
    expect(r.stdout).toMatch(/^url: +s3:\/\/cachex\/some\/prefix\/$/m);
    expect(r.stdout).toMatch(/^check: +credentials accepted/m);
    expect(r.stdout).not.toContain('S3RVER');
  });

  it('no remote configured: exit 3, naming CACHEX_REMOTE_URL', () => {
    const r = cli(workspace(), { CACHEX_REMOTE_URL: '' }, ['remote', 'status']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('No remote is configured; set CACHEX_REMOTE_URL');
  });
});

describe('remote ls', () => {
  it('S3 lists the namespace and marks what is local', () => {
    const writer = workspace();
    const a = make(writer, s3Env(s3.url), 'ls-a');
    const b = make(writer, s3Env(s3.url), 'ls-b');
    const other = make(writer, s3Env(s3.url, { CACHEX_REMOTE_NAMESPACE: 'elsewhere' }), 'ls-c');
    const reader = workspace();
    const r = cli(reader, s3Env(s3.url), ['remote', 'ls', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout);
    const keys = rows.map((row: { key: string }) => row.key);
    expect(keys).toEqual(expect.arrayContaining([a.key, b.key]));
    expect(keys).not.toContain(other.key);
    expect(rows.every((row: { local: boolean; remote: boolean }) => !row.local && row.remote)).toBe(true);
    const mine = cli(writer, s3Env(s3.url), ['remote', 'ls', 'make']);
    expect(mine.code, mine.stderr).toBe(0);
    expect(mine.stdout).toMatch(new RegExp(`make +${a.key.slice(0, 12)} .* yes +yes`));
    expect(mine.stdout).toMatch(/\d+ artifacts on s3:\/\/cachex\/some\/prefix\/ \(namespace main\)/);
  });

  it('Turborepo API: says it cannot list, and marks which local entries the remote has', () => {
    const ws = workspace();
    const up = make(ws, remoteEnv(api.url), 'ls-api-up');
    const local = make(ws, remoteEnv(api.url), 'ls-api-local', ['--no-remote']);
    const r = cli(ws, remoteEnv(api.url), ['remote', 'ls', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('the Turborepo API cannot list artifacts');
    const rows = JSON.parse(r.stdout);
    expect(rows.find((row: { key: string }) => row.key === up.key)).toMatchObject({ local: true, remote: true });
    expect(rows.find((row: { key: string }) => row.key === local.key)).toMatchObject({ local: true, remote: false });
  });
});

describe('remote push', () => {
  it('uploads the local entries the remote lacks; a fresh folder then hits; a second push sends no artifact', async () => {
    const ws = workspace();
    const a = make(ws, remoteEnv(api.url), 'push-a', ['--no-remote']);
    make(ws, remoteEnv(api.url), 'push-b', ['--no-remote']);
    await proxy.reset();
    const r = cli(ws, remoteEnv(proxy.url), ['remote', 'push', 'make']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('2 pushed, 0 already on');
    expect((await proxy.counts()).PUT).toBe(2);
    const fresh = workspace();
    expect(make(fresh, remoteEnv(api.url), 'push-a')).toMatchObject({ status: 'hit', remote: 'hit', key: a.key });
    expect(fresh.taskRuns()).toBe(0);
    await proxy.reset();
    const again = cli(ws, remoteEnv(proxy.url), ['remote', 'push', a.key.slice(0, 8)]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('0 pushed, 1 already on');
    expect((await proxy.counts()).PUT ?? 0).toBe(0);
  });

  it('read-only: exit 1, nothing sent', async () => {
    const ws = workspace();
    make(ws, remoteEnv(api.url), 'push-ro', ['--no-remote']);
    await proxy.reset();
    const r = cli(ws, remoteEnv(proxy.url, { CACHEX_REMOTE_READ_ONLY: '1' }), ['remote', 'push']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CACHEX_REMOTE_READ_ONLY is set, so push sends nothing');
    expect(await proxy.counts()).toEqual({});
  });

  it('an unknown selector: exit 2, one sentence', () => {
    const r = cli(workspace(), remoteEnv(api.url), ['remote', 'push', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No local entry is of task "nosuch"');
  });
});

describe('remote pull', () => {
  it('by task and flags: imports the verified entry, nothing runs; the next run is a local hit', () => {
    const writer = workspace();
    const made = make(writer, remoteEnv(api.url), 'pull-task');
    const ws = workspace();
    const r = cli(ws, remoteEnv(api.url), ['remote', 'pull', 'make', '--label', 'pull-task']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`make ${made.key.slice(0, 12)}`);
    expect(r.stdout).toContain('pulled and verified');
    expect(make(ws, { CACHEX_REMOTE_URL: '' }, 'pull-task')).toMatchObject({ status: 'hit', key: made.key });
    expect(ws.taskRuns()).toBe(0);
    expect(cli(ws, {}, ['verify']).code).toBe(0);
    const twice = cli(ws, remoteEnv(api.url), ['remote', 'pull', 'make', '--label', 'pull-task']);
    expect(twice.stdout).toContain('already stored locally');
  });

  it('a key the remote lacks: exit 1, nothing stored', () => {
    const ws = workspace();
    const r = cli(ws, remoteEnv(api.url), ['remote', 'pull', 'make', '--label', 'pull-nobody']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('not on the remote');
    expect(listTree(path.join(ws.data, 'cache'))).toEqual([]);
  });

  it('a bit-flipped artifact is refused: exit 1, one warning, nothing stored, nothing left in tmp/', async () => {
    make(workspace(), remoteEnv(api.url), 'pull-flip');
    await proxy.fault({ mode: 'flip', methods: ['GET'] });
    try {
      const ws = workspace();
      const r = cli(ws, remoteEnv(proxy.url), ['remote', 'pull', 'make', '--label', 'pull-flip']);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('refused');
      expect(warnings(r.stderr)).toHaveLength(1);
      expect(listTree(path.join(ws.data, 'cache'))).toEqual([]);
      expect(readdirSync(path.join(ws.data, 'tmp'))).toEqual([]);
    } finally {
      await proxy.reset();
    }
  });

  it('by key prefix on S3 (found by listing); refused on the Turborepo API, which cannot list', () => {
    const made = make(workspace(), s3Env(s3.url), 'pull-prefix');
    const ws = workspace();
    const r = cli(ws, s3Env(s3.url), ['remote', 'pull', made.key.slice(0, 10)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('pulled and verified');
    expect(make(ws, { CACHEX_REMOTE_URL: '' }, 'pull-prefix')).toMatchObject({ status: 'hit', key: made.key });
    expect(ws.taskRuns()).toBe(0);
    const onApi = cli(workspace(), remoteEnv(api.url), ['remote', 'pull', made.key.slice(0, 10)]);
    expect(onApi.code).toBe(2);
    expect(onApi.stderr).toContain('The Turborepo API cannot list artifacts');
    expect(isOneSentence(onApi.stderr)).toBe(true);
  });
});

describe('secrets', () => {
  it('token, signing key and S3 secret appear in no output of this file', () => {
    expect(outputs.length).toBeGreaterThan(20);
    for (const text of outputs) {
      expect(text).not.toContain(SIGNING_KEY);
      expect(text).not.toMatch(/\btok\b/);
      expect(text).not.toContain('S3RVER');
    }
  });
});
