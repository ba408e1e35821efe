import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOneSentence, Workspace } from '../helpers/cli.js';
import { MAKE_CONFIG, remoteEnv, SIGNING_KEY } from '../helpers/remote-entries.js';
import { type RunningServer, startApiServer, startFaultProxy } from '../helpers/remote-servers.js';

/**
 * `run --remote-only`: the remote answers. The local entry is neither a hit
 * nor kept: a remote hit is verified and replaces it; a remote miss runs the
 * task, replaces it and uploads; a failing server still only costs a warning.
 */
const servers: RunningServer[] = [];
const workspaces: Workspace[] = [];
let api: RunningServer;
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
let base: Workspace;
const outputs: string[] = [];

beforeAll(async () => {
  base = new Workspace('cachex-ronly-');
  api = await startApiServer(base.dir);
  proxy = await startFaultProxy(api.url);
  servers.push(api, proxy);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const ws of workspaces) ws.cleanup();
  base.cleanup();
});

function workspace(): Workspace {
  const ws = new Workspace('cachex-ronly-ws-');
  workspaces.push(ws);
  ws.config(MAKE_CONFIG);
  return ws;
}

function run(ws: Workspace, env: NodeJS.ProcessEnv, args: string[]) {
  const r = ws.run(['run', 'make', ...args], { env });
  outputs.push(r.stdout, r.stderr);
  return r;
}

function runJson(ws: Workspace, env: NodeJS.ProcessEnv, args: string[]) {
  const r = run(ws, env, ['--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return { ...r, json: JSON.parse(r.stdout) };
}

const entryFile = (ws: Workspace, json: { module: string; key: string }, file: string) =>
  path.join(ws.data, 'cache', json.module, 'make', json.key, file);

describe('run --remote-only', () => {
  it('with a local entry: asks the remote, and the remote hit replaces the local entry (task not run)', async () => {
    const writer = workspace();
    const first = runJson(writer, remoteEnv(api.url), ['--label', 'ro-hit']);
    expect(first.json).toMatchObject({ status: 'miss', upload: 'stored' });

    const reader = workspace();
    // The reader has its own local entry of the key, from a local-only run.
    runJson(reader, { CACHEX_REMOTE_URL: '' }, ['--label', 'ro-hit']);
    expect(reader.taskRuns()).toBe(1);
    const localMeta = readFileSync(entryFile(reader, first.json, 'meta.yaml'), 'utf8');
    await proxy.reset();
    const hit = runJson(reader, remoteEnv(proxy.url), ['--label', 'ro-hit', '--remote-only']);
    expect(hit.json).toMatchObject({ status: 'hit', remote: 'hit', key: first.json.key });
    expect(reader.taskRuns()).toBe(1);
    expect((await proxy.counts()).GET).toBeGreaterThanOrEqual(1);
    // The entry now is the writer's (its meta differs from the local run's by its creation time).
    const writerMeta = readFileSync(entryFile(writer, first.json, 'meta.yaml'), 'utf8');
    expect(readFileSync(entryFile(reader, first.json, 'meta.yaml'), 'utf8')).toBe(writerMeta);
    expect(writerMeta).not.toBe(localMeta);
    const verify = reader.run(['verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    // Without the flag the same run is a local hit that sends nothing.
    await proxy.reset();
    expect(runJson(reader, remoteEnv(proxy.url), ['--label', 'ro-hit']).json).toMatchObject({
      status: 'hit',
      remote: 'skipped',
    });
    expect(await proxy.counts()).toEqual({});
  });

  it('with a local entry the remote lacks: runs the task, replaces the entry and uploads it', () => {
    const ws = workspace();
    runJson(ws, { CACHEX_REMOTE_URL: '' }, ['--label', 'ro-miss']);
    expect(ws.taskRuns()).toBe(1);
    const r = runJson(ws, remoteEnv(api.url), ['--label', 'ro-miss', '--remote-only']);
    expect(r.json).toMatchObject({ status: 'miss', remote: 'miss', upload: 'stored', stored: true });
    expect(ws.taskRuns()).toBe(2);
    const fresh = workspace();
    expect(runJson(fresh, remoteEnv(api.url), ['--label', 'ro-miss']).json).toMatchObject({ remote: 'hit' });
    expect(fresh.taskRuns()).toBe(0);
  });

  it('a hung server: exit 0, one warning, the task runs locally', async () => {
    const hung = await startFaultProxy(api.url);
    servers.push(hung);
    await hung.fault({ mode: 'hang' });
    const ws = workspace();
    runJson(ws, { CACHEX_REMOTE_URL: '' }, ['--label', 'ro-hung']);
    const started = performance.now();
    const r = run(ws, remoteEnv(hung.url), ['--label', 'ro-hung', '--remote-only']);
    expect(r.code, r.stderr).toBe(0);
    expect((performance.now() - started) / 1000).toBeLessThan(30);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('cachex: remote '))).toHaveLength(1);
    expect(ws.taskRuns()).toBe(2);
  });

  it('without a remote: exit 3, one sentence naming the fix', () => {
    const r = run(workspace(), { CACHEX_REMOTE_URL: '' }, ['--remote-only']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('--remote-only needs a remote; set CACHEX_REMOTE_URL');
    expect(isOneSentence(r.stderr)).toBe(true);
  });

  // One case proves the CLI wires the rule (exit 2, one sentence); with --force and with --dry-run
  // were cases here too: unit tests of checkRunFlags with the same sentences in
  // test/unit/run-flags.test.ts "--remote-only".
  it.each([['--no-remote', /contradict/]])('with %s: exit 2, one sentence', (flag, words) => {
    const r = run(workspace(), remoteEnv(api.url), ['--remote-only', flag]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(words);
    expect(isOneSentence(r.stderr)).toBe(true);
  });

  it('run --help documents it', () => {
    const r = workspace().run(['run', 'make', '--help']);
    expect(r.stdout).toContain('--remote-only');
  });

  it('token and signing key appear in no output of this file', () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const text of outputs) {
      expect(text).not.toContain(SIGNING_KEY);
      expect(text).not.toMatch(/\btok\b/);
    }
  });
});
