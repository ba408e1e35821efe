import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../src/index.js';
import { REPO } from '../helpers/cli.js';

let dir: string;
let data: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-conc-'));
  data = path.join(dir, 'data');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const SCRIPT = path.join(REPO, 'test', 'fixtures', 'lib-count.mjs');

function runScript(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('one computation per key', () => {
  it('20 concurrent calls with one key in one process share one computation', async () => {
    let calls = 0;
    const f = cache(
      async function slow({ x }: { x: number }) {
        calls++;
        await sleep(200);
        return { x, list: [1, 2, 3] };
      },
      { dataFolder: data },
    );
    const results = await Promise.all(Array.from({ length: 20 }, () => f({ x: 1 })));
    expect(calls).toBe(1);
    for (const r of results) expect(r).toEqual({ x: 1, list: [1, 2, 3] });
    // Each caller has its own copy.
    results[1].list.push(4);
    expect(results[2].list).toEqual([1, 2, 3]);
    expect(f.stats()).toMatchObject({ misses: 1, joined: 19, memoryHits: 0 });
    // Concurrent calls that throw reject together and store nothing.
    const failing = cache(
      async function failing() {
        calls++;
        await sleep(100);
        throw new Error('nope');
      },
      { dataFolder: data },
    );
    const settled = await Promise.allSettled(Array.from({ length: 5 }, () => failing()));
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    expect(calls).toBe(2);
  });

  it('two processes with one data folder compute once; the other waits and hits', { timeout: 60_000 }, async () => {
    expect(existsSync(path.join(REPO, 'dist', 'index.js')), 'run `npm run build` first').toBe(true);
    const countFile = path.join(dir, 'count.txt');
    const env = { DATA_FOLDER: data, COUNT_FILE: countFile };
    const [a, b] = await Promise.all([runScript(env), runScript(env)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const lines = readFileSync(countFile, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const [ra, rb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    expect(ra.computedBy).toBe(Number(lines[0]));
    expect(rb.computedBy).toBe(Number(lines[0]));
    expect(ra.at).toBe(rb.at);
    // They overlapped: each started before the other finished, so one waited on the key's lock.
    expect(Math.max(ra.startedAt, rb.startedAt)).toBeLessThan(Math.min(ra.endedAt, rb.endedAt));
    expect(ra.module).toBe('lib-count');
    expect(ra.stats.misses + rb.stats.misses).toBe(1);
    expect(ra.stats.diskHits + rb.stats.diskHits).toBe(1);
    expect(existsSync(path.join(data, 'cache', 'lib-count', 'slowCount', ra.key, 'meta.yaml'))).toBe(true);
  });
});
