import { mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { KeyInputs } from '../../src/key/inputs.js';
import type { EntryRef } from '../../src/store/layout.js';
import { parseMeta } from '../../src/store/meta.js';
import { readRemoteSettings, type RemoteSettings } from '../../src/store/remote/settings.js';
import { RemoteTier, type RemoteTierOptions } from '../../src/store/remote/tier.js';
import type { Workspace } from './cli.js';

export const SIGNING_KEY = 'k'.repeat(16) + 'signing-key-for-tests-0123456789';

/**
 * A TS task writing nested outputs, a symlink and `size` bytes (random-looking
 * when `random`, so gzip cannot shrink them), counting its runs in $COUNT_FILE.
 */
export const MAKE_CONFIG = `import { appendFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createCipheriv, createHash } from 'node:crypto';
import { defineConfig } from 'cachex';
export default defineConfig({
  tasks: {
    make: {
      params: { size: { type: 'integer', default: 1000 }, label: { type: 'string', default: 'a' }, random: { type: 'boolean', default: false } },
      run: async ({ size, label, random }, ctx) => {
        appendFileSync(process.env.COUNT_FILE, 'x\\n');
        mkdirSync(ctx.outDir + '/sub/deep', { recursive: true });
        let data = Buffer.alloc(size, label);
        // A keystream keyed by the label: the same bytes every run, and nothing gzip can shrink (20 MB in 0.1 s).
        if (random) {
          const key = createHash('sha256').update(label).digest();
          data = createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
        }
        writeFileSync(ctx.outDir + '/sub/deep/data.bin', data);
        writeFileSync(ctx.outDir + '/top.txt', 'top ' + label);
        symlinkSync('sub/deep/data.bin', ctx.outDir + '/link');
        console.log('made', label);
        console.error('made on stderr');
        return { label, size };
      },
    },
  },
});
`;

export interface MadeEntry {
  ref: EntryRef;
  dir: string;
  keyInputs: KeyInputs;
}

/** Runs `make` with the real CLI in `ws` and returns the entry it stored. */
export async function makeEntry(ws: Workspace, args: string[] = []): Promise<MadeEntry> {
  ws.config(MAKE_CONFIG);
  const r = ws.run(['run', 'make', '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout);
  const ref = { module: out.module, task: out.task, key: out.key };
  const dir = path.join(ws.data, 'cache', ref.module, ref.task, ref.key);
  const meta = await parseMeta(readFileSync(path.join(dir, 'meta.yaml'), 'utf8'));
  return { ref, dir, keyInputs: meta.keyInputs };
}

/** A fresh, empty staging folder under the workspace's data folder tmp/. */
export function stagingIn(ws: Workspace, name = 'stage'): string {
  const dir = path.join(ws.data, 'tmp', `${name}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Moves a filled staging folder into the cache like a commit would, for `cachex run`/`verify` to see. */
export function adopt(ws: Workspace, ref: EntryRef, stagingDir: string): void {
  const target = path.join(ws.data, 'cache', ref.module, ref.task, ref.key);
  mkdirSync(path.dirname(target), { recursive: true });
  renameSync(stagingDir, target);
}

export function remoteEnv(url: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    CACHEX_REMOTE_URL: url,
    CACHEX_REMOTE_TOKEN: 'tok',
    CACHEX_REMOTE_TEAM: 'team',
    CACHEX_REMOTE_SIGNING_KEY: SIGNING_KEY,
    ...extra,
  };
}

export function s3Env(endpoint: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    CACHEX_REMOTE_URL: `s3://cachex/some/prefix?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1`,
    CACHEX_REMOTE_SIGNING_KEY: SIGNING_KEY,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    ...extra,
  };
}

export function settingsFrom(env: NodeJS.ProcessEnv, config = {}): RemoteSettings {
  const s = readRemoteSettings(env, config);
  if (!s.ok) throw s.error;
  if (!s.settings) throw new Error('no remote configured');
  return s.settings;
}

export function tierFor(ws: Workspace, env: NodeJS.ProcessEnv, options: Partial<RemoteTierOptions> = {}): RemoteTier {
  return new RemoteTier(settingsFrom(env), { dataFolder: ws.data, ...options });
}

/** Files and folders under a folder (relative), to show nothing was left or written. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(path.join(dir, rel));
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const r = rel ? `${rel}/${n}` : n;
      out.push(r);
      walk(r);
    }
  };
  walk('');
  return out;
}
