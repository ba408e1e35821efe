import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/cli.js';
import { adopt, listTree, makeEntry, remoteEnv, s3Env, stagingIn, tierFor } from '../helpers/remote-entries.js';
import { type RunningServer, startApiServer, startFaultProxy, startS3rver } from '../helpers/remote-servers.js';
import type { RemoteTierOptions } from '../../src/store/remote/tier.js';

/**
 * A writer runs a task and uploads it; a reader with a fresh data folder
 * fetches it into staging and, once committed, `cachex run` hits without
 * running the task and `cachex verify` finds nothing wrong.
 */
const servers: RunningServer[] = [];
let base: Workspace;
let api: RunningServer;
let s3: RunningServer;
let apiOverS3: RunningServer;

beforeAll(async () => {
  base = new Workspace('cachex-remote-');
  [api, s3] = await Promise.all([startApiServer(base.dir), startS3rver(base.dir)]);
  apiOverS3 = await startApiServer(base.path('unused'), { s3Endpoint: s3.url });
  servers.push(api, s3, apiOverS3);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  base.cleanup();
});

async function roundTrip(env: NodeJS.ProcessEnv, args: string[] = [], options: Partial<RemoteTierOptions> = {}) {
  const writer = new Workspace('cachex-writer-');
  const reader = new Workspace('cachex-reader-');
  try {
    const made = await makeEntry(writer, args);
    const up = await tierFor(writer, env, options).upload(made.ref, made.dir, 100);
    expect(up).toEqual({ status: 'stored', warnings: [] });
    expect(listTree(path.join(writer.data, 'tmp'))).toEqual([]);

    const tier = tierFor(reader, env, options);
    const staging = stagingIn(reader);
    const got = await tier.fetchInto(made.ref, made.keyInputs, staging);
    expect(got.warnings).toEqual([]);
    expect(got.status).toBe('hit');
    expect(listTree(staging)).toEqual(listTree(made.dir).filter((f) => f !== 'verified.json'));
    for (const f of ['meta.yaml', 'stdout.log', 'stderr.log', 'result.v8', 'out/sub/deep/data.bin', 'out/top.txt'])
      expect(readFileSync(path.join(staging, f)).equals(readFileSync(path.join(made.dir, f))), f).toBe(true);
    adopt(reader, made.ref, staging);
    reader.config(readFileSync(writer.path('cachex.config.ts'), 'utf8'));
    const hit = reader.run(['run', 'make', '--json', ...args]);
    expect(hit.code, hit.stderr).toBe(0);
    expect(JSON.parse(hit.stdout).status).toBe('hit');
    expect(reader.taskRuns()).toBe(0);
    const verify = reader.run(['verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    return { tier, made };
  } finally {
    writer.cleanup();
    reader.cleanup();
  }
}

describe('remote round trip', () => {
  it('Turborepo API (local storage): a fresh data folder hits what another uploaded', async () => {
    await roundTrip(remoteEnv(api.url));
  });

  it('S3 (s3rver): a fresh data folder hits what another uploaded', async () => {
    await roundTrip(s3Env(s3.url));
  });

  it('Turborepo API over S3 storage: a fresh data folder hits what another uploaded', async () => {
    await roundTrip(remoteEnv(apiOverS3.url));
  });

  it('S3 multipart: a 20 MiB artifact goes up in parts and comes back byte-identical', async () => {
    const proxy = await startFaultProxy(s3.url);
    servers.push(proxy);
    // This case is about the parts, not about timeouts: on a loaded machine s3rver can take longer
    // than the default 5 s to answer a 10 MiB part (it hashes and writes it first), and the upload
    // then fails over, as it should; the timeouts have their own tests (test/remote/faults.test.ts).
    const roomy = { timeouts: { connectMs: 10_000, headersMs: 60_000, idleMs: 60_000 } };
    await roundTrip(s3Env(proxy.url), ['--size', String(20 * 1024 * 1024), '--random'], roomy);
    const counts = await proxy.counts();
    // CreateMultipartUpload + CompleteMultipartUpload are POSTs; two parts are PUTs.
    expect(counts.POST).toBe(2);
    expect(counts.PUT).toBe(2);
  });

  it('a key nobody uploaded is a miss, with no warning', async () => {
    const ws = new Workspace('cachex-miss-');
    try {
      const made = await makeEntry(ws, ['--label', 'never-uploaded']);
      for (const env of [remoteEnv(api.url), s3Env(s3.url)]) {
        const staging = stagingIn(ws);
        const got = await tierFor(ws, env).fetchInto(made.ref, made.keyInputs, staging);
        expect(got).toEqual({ status: 'miss', warnings: [] });
        expect(listTree(staging)).toEqual([]);
      }
    } finally {
      ws.cleanup();
    }
  });

  it('another namespace does not see the artifact', async () => {
    const ws = new Workspace('cachex-ns-');
    try {
      const made = await makeEntry(ws, ['--label', 'namespaced']);
      expect((await tierFor(ws, remoteEnv(api.url)).upload(made.ref, made.dir)).status).toBe('stored');
      const pr = tierFor(ws, remoteEnv(api.url, { CACHEX_REMOTE_NAMESPACE: 'pr' }));
      expect((await pr.fetchInto(made.ref, made.keyInputs, stagingIn(ws))).status).toBe('miss');
    } finally {
      ws.cleanup();
    }
  });
});
