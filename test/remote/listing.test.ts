import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/cli.js';
import { type MadeEntry, makeEntry, remoteEnv, s3Env, tierFor } from '../helpers/remote-entries.js';
import { type RunningServer, startApiServer, startS3rver } from '../helpers/remote-servers.js';

/** RemoteTier.list and .has (behind `cachex remote ls|push|pull`) against s3rver and turborepo-remote-cache. */
let ws: Workspace;
let s3: RunningServer;
let api: RunningServer;
let entries: MadeEntry[];

beforeAll(async () => {
  ws = new Workspace('cachex-listing-');
  [s3, api] = await Promise.all([startS3rver(ws.dir), startApiServer(ws.dir)]);
  entries = [];
  for (let i = 0; i < 5; i++) entries.push(await makeEntry(ws, ['--label', `list${i}`]));
  const writer = tierFor(ws, s3Env(s3.url));
  for (const e of entries) expect((await writer.upload(e.ref, e.dir)).status).toBe('stored');
  // A lease object of a key not uploaded, and an artifact of another namespace: neither is listed.
  const leased = await makeEntry(ws, ['--label', 'leased']);
  expect((await writer.acquireLease(leased.ref)).status).toBe('acquired');
  const other = tierFor(ws, s3Env(s3.url, { CACHEX_REMOTE_NAMESPACE: 'other' }));
  expect((await other.upload(entries[1].ref, entries[1].dir)).status).toBe('stored');
}, 120_000);

afterAll(async () => {
  await Promise.all([s3?.stop(), api?.stop()]);
  ws.cleanup();
});

describe('listing the remote', () => {
  // Pages (IsTruncated, continuation tokens) are not exercised: s3rver 3.7.1 builds its continuation token with
  // DES, which Node 20's OpenSSL 3 no longer has, so any truncated listing is a 500 there.
  it('S3: every artifact of the namespace, no leases, no other namespace', async () => {
    const got = await tierFor(ws, s3Env(s3.url)).list();
    expect(got.status).toBe('listed');
    if (got.status !== 'listed') return;
    expect(got.artifacts.map((a) => a.ref.key).sort()).toEqual(entries.map((e) => e.ref.key).sort());
    for (const a of got.artifacts) {
      expect(a.ref).toMatchObject({ module: entries[0].ref.module, task: 'make' });
      expect(a.size).toBeGreaterThan(100);
      expect(Number.isNaN(Date.parse(a.modified ?? ''))).toBe(false);
    }
  });

  it('S3 refusing the credentials: an error with the status, not an empty list', async () => {
    const got = await tierFor(ws, s3Env(s3.url, { AWS_ACCESS_KEY_ID: 'NOBODY' })).list();
    expect(got).toMatchObject({ status: 'error', code: 403 });
  });

  it('the Turborepo API cannot list; has() answers per key', async () => {
    const tier = tierFor(ws, remoteEnv(api.url));
    expect(await tier.list()).toEqual({ status: 'cannot-list' });
    expect(await tier.has(entries[0].ref)).toBe(false);
    expect((await tier.upload(entries[0].ref, entries[0].dir)).status).toBe('stored');
    expect(await tier.has(entries[0].ref)).toBe(true);
  });
});
