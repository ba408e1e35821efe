import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packArtifact } from '../../src/store/remote/artifact-pack.js';
import { ApiBackend } from '../../src/store/remote/api-backend.js';
import { apiArtifactId } from '../../src/store/remote/ids.js';
import { RemotePolicy } from '../../src/store/remote/policy.js';
import { Workspace } from '../helpers/cli.js';
import {
  listTree,
  type MadeEntry,
  makeEntry,
  remoteEnv,
  settingsFrom,
  stagingIn,
  tierFor,
} from '../helpers/remote-entries.js';
import { type RunningServer, startApiServer, startFaultProxy } from '../helpers/remote-servers.js';

/**
 * Every damaged or foreign artifact is a miss with one warning and leaves
 * nothing behind; the writer's next upload replaces it and a later fresh
 * data folder hits.
 */
let ws: Workspace;
let api: RunningServer;
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
let entry: MadeEntry;
let other: MadeEntry;

beforeAll(async () => {
  ws = new Workspace('cachex-refused-');
  api = await startApiServer(ws.dir);
  proxy = await startFaultProxy(api.url);
  entry = await makeEntry(ws, ['--size', '300000', '--random']);
  other = await makeEntry(ws, ['--label', 'other']);
});

afterAll(async () => {
  await Promise.all([proxy?.stop(), api?.stop()]);
  ws.cleanup();
});

/** Puts any bytes where the entry's artifact goes, as a broken or hostile writer could. */
async function putRaw(body: Buffer, tag = 'unsigned'): Promise<void> {
  const settings = settingsFrom(remoteEnv(api.url));
  const policy = new RemotePolicy(settings.server, { stateFile: ws.path('raw-state.json') });
  const backend = new ApiBackend(settings, policy.exchange.bind(policy));
  const status = await backend.put('artifact', entry.ref, { body, size: body.length, tag }, performance.now() + 20_000);
  expect(status).toBe(200);
}

async function packed(signingKey: Buffer | null): Promise<{ bytes: Buffer; tag: string }> {
  const p = await packArtifact(entry.dir, { ref: entry.ref, namespace: 'main', signingKey, tmpDir: ws.path('pack') });
  const bytes = readFileSync(p.file);
  p.remove();
  return { bytes, tag: p.signature ?? 'unsigned' };
}

async function uploadGood(): Promise<void> {
  expect((await tierFor(ws, remoteEnv(api.url)).upload(entry.ref, entry.dir)).status).toBe('stored');
}

const cases: { name: string; prepare: () => Promise<void>; reason: RegExp }[] = [
  {
    name: 'truncated (200 with the first 200 bytes)',
    prepare: async () => {
      await uploadGood();
      await proxy.fault({ mode: 'truncate', keepBytes: 200, methods: ['GET'] });
    },
    reason: /truncated|ends before|gzip/,
  },
  {
    name: 'bit-flipped',
    prepare: async () => {
      await uploadGood();
      await proxy.fault({ mode: 'flip', methods: ['GET'] });
    },
    reason: /SHA-256|gzip|damaged|tar|digest|header|member/,
  },
  {
    name: 'empty',
    prepare: async () => {
      await uploadGood();
      await proxy.fault({ mode: 'truncate', keepBytes: 0, methods: ['GET'] });
    },
    reason: /gzip|ends before/,
  },
  { name: 'garbage', prepare: () => putRaw(randomBytes(5000)), reason: /gzip|tar/ },
  {
    name: 'unsigned',
    prepare: async () => {
      const p = await packed(null);
      await putRaw(p.bytes, p.tag);
    },
    reason: /unsigned/,
  },
  {
    name: 'signed with another key',
    prepare: async () => {
      const p = await packed(Buffer.from('another-signing-key-of-32-bytes-or-more'));
      await putRaw(p.bytes, p.tag);
    },
    reason: /signature does not match/,
  },
  {
    name: "another entry's artifact (other id)",
    prepare: async () => {
      await uploadGood();
      const settings = settingsFrom(remoteEnv(api.url));
      expect((await tierFor(ws, remoteEnv(api.url)).upload(other.ref, other.dir)).status).toBe('stored');
      const id = apiArtifactId(settings.namespace, other.ref);
      await proxy.fault({ mode: 'other-id', path: `/v8/artifacts/${id}?slug=team`, methods: ['GET'] });
    },
    reason: /another entry/,
  },
  {
    name: 'partial (what a server SIGKILLed mid-write keeps serving)',
    prepare: async () => {
      const p = await packed(Buffer.from(remoteEnv('').CACHEX_REMOTE_SIGNING_KEY as string));
      await putRaw(p.bytes.subarray(0, p.bytes.length >> 1), p.tag);
    },
    reason: /gzip|truncated|ends/,
  },
];

describe('refused artifacts', () => {
  it.each(cases)('$name: a miss with one warning, nothing left behind, repaired by the next upload', async (c) => {
    await proxy.reset();
    await c.prepare();
    const reader = new Workspace('cachex-reader-');
    try {
      const env = remoteEnv(proxy.url);
      const tier = tierFor(reader, env);
      const staging = stagingIn(reader);
      const got = await tier.fetchInto(entry.ref, entry.keyInputs, staging);
      expect(got.status).toBe('rejected');
      expect(got.warnings).toHaveLength(1);
      expect(got.warnings[0]).toMatch(c.reason);
      expect(got.warnings[0]).toContain(proxy.url);
      expect(listTree(staging)).toEqual([]);
      expect(listTree(path.join(reader.data, 'tmp'))).toEqual([path.basename(staging)]);
      expect(listTree(path.join(reader.data, 'cache'))).toEqual([]);
      // The writer's upload after its local run replaces the bad artifact.
      await proxy.reset();
      expect((await tier.upload(entry.ref, entry.dir)).status).toBe('stored');
      const fresh = new Workspace('cachex-fresh-');
      try {
        const again = await tierFor(fresh, env).fetchInto(entry.ref, entry.keyInputs, stagingIn(fresh));
        expect(again).toMatchObject({ status: 'hit', warnings: [] });
      } finally {
        fresh.cleanup();
      }
    } finally {
      reader.cleanup();
    }
  });

  it('a stripped x-artifact-tag is no problem: the signature travels inside the artifact', async () => {
    await proxy.reset();
    await uploadGood();
    await proxy.fault({ mode: 'strip-tag' });
    const got = await tierFor(ws, remoteEnv(proxy.url)).fetchInto(entry.ref, entry.keyInputs, stagingIn(ws));
    expect(got).toMatchObject({ status: 'hit', warnings: [] });
  });

  it('key inputs that differ from this run (a key collision) are refused', async () => {
    await proxy.reset();
    await uploadGood();
    const changed = { ...entry.keyInputs, params: { ...entry.keyInputs.params, size: 1 } };
    const staging = stagingIn(ws);
    const got = await tierFor(ws, remoteEnv(api.url)).fetchInto(entry.ref, changed, staging);
    expect(got.status).toBe('rejected');
    expect(got.warnings[0]).toMatch(/key inputs differ/);
    expect(listTree(staging)).toEqual([]);
  });
});
