import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../../src/errors.js';
import { apiArtifactId, s3ArtifactKey } from '../../src/store/remote/ids.js';
import { readRemoteSettings, secretsOf } from '../../src/store/remote/settings.js';
import { sign } from '../../src/store/remote/signing.js';
import { REPO } from '../helpers/cli.js';

const KEY = 'x'.repeat(32);
const ref = { module: 'tasks', task: 'make', key: 'a'.repeat(64) };

function error(env: NodeJS.ProcessEnv, config = {}): ConfigError {
  const r = readRemoteSettings(env, config);
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

describe('remote settings', () => {
  it('no URL or CACHEX_REMOTE=off: no remote', () => {
    expect(readRemoteSettings({})).toEqual({ ok: true, settings: null });
    expect(readRemoteSettings({ CACHEX_REMOTE_URL: 'http://h', CACHEX_REMOTE: 'off' })).toEqual({
      ok: true,
      settings: null,
    });
  });

  it('a missing or short signing key is a config error (exit 3) unless signing is off', () => {
    const e = error({ CACHEX_REMOTE_URL: 'http://h' });
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/CACHEX_REMOTE_SIGNING_KEY is not set.*remote\.signing: false/);
    expect(error({ CACHEX_REMOTE_URL: 'http://h', CACHEX_REMOTE_SIGNING_KEY: 'short' }).message).toMatch(
      /shorter than 32/,
    );
    const off = readRemoteSettings({ CACHEX_REMOTE_URL: 'http://h' }, { signing: false });
    expect(off.ok && off.settings?.signingKey).toBe(null);
  });

  it('an invalid team is a config error; no team by default', () => {
    const env = { CACHEX_REMOTE_URL: 'https://cache.example/api', CACHEX_REMOTE_SIGNING_KEY: KEY };
    expect(error({ ...env, CACHEX_REMOTE_TEAM: 'bad team!' }).message).toMatch(/CACHEX_REMOTE_TEAM/);
    expect(error({ ...env, CACHEX_REMOTE_TEAM: 'x'.repeat(65) }).exitCode).toBe(3);
    const ok = readRemoteSettings({ ...env, CACHEX_REMOTE_TEAM: 'my_team-1' });
    expect(ok.ok && ok.settings?.team).toBe('my_team-1');
    const none = readRemoteSettings(env);
    expect(none.ok && none.settings).toMatchObject({
      team: null,
      server: 'https://cache.example/api',
      namespace: 'main',
    });
  });

  it('s3:// reads bucket, prefix, region, endpoint and the AWS_* credentials', () => {
    const r = readRemoteSettings({
      CACHEX_REMOTE_URL: 's3://bucket-1/ci/cache?region=eu-west-1&endpoint=http://127.0.0.1:9000',
      CACHEX_REMOTE_SIGNING_KEY: KEY,
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'secret-value',
    });
    expect(r.ok && r.settings).toMatchObject({
      kind: 's3',
      server: 's3://bucket-1/ci/cache/',
      maxArtifactSize: 5 * 1024 ** 3,
      s3: { bucket: 'bucket-1', prefix: 'ci/cache/', region: 'eu-west-1', pathStyle: true },
    });
    expect(r.ok && r.settings?.url.href).toBe('http://127.0.0.1:9000/bucket-1/');
    expect(error({ CACHEX_REMOTE_URL: 's3://bucket-1', CACHEX_REMOTE_SIGNING_KEY: KEY }).message).toMatch(
      /AWS_ACCESS_KEY_ID/,
    );
  });

  it('no message contains a secret', () => {
    const env = {
      CACHEX_REMOTE_URL: 'http://u:pw@h',
      CACHEX_REMOTE_TOKEN: 'tok-secret',
      CACHEX_REMOTE_SIGNING_KEY: 'k',
    };
    expect(error(env).message).not.toMatch(/pw|tok-secret/);
    const r = readRemoteSettings({
      CACHEX_REMOTE_URL: 'http://h',
      CACHEX_REMOTE_TOKEN: 'tok-secret',
      CACHEX_REMOTE_SIGNING_KEY: KEY,
    });
    expect(r.ok && secretsOf(r.settings!)).toEqual(['tok-secret', KEY]);
  });

  it('the settings module loads no remote code (a hit can check the configuration cheaply)', () => {
    const source = readFileSync(path.join(REPO, 'src/store/remote/settings.ts'), 'utf8');
    const staticImports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(staticImports).toEqual(['../../errors.js']);
  });
});

describe('ids and signatures', () => {
  it('API id is sha256("cachex\\0" format \\0 namespace \\0 module/task/key); S3 key is the documented path', () => {
    const expected = createHash('sha256').update(`cachex\u00001\u0000main\u0000tasks/make/${ref.key}`).digest('hex');
    expect(apiArtifactId('main', ref)).toBe(expected);
    expect(apiArtifactId('pr', ref)).not.toBe(expected);
    expect(s3ArtifactKey('p/', 'main', ref)).toBe(`p/cachex/v1/main/tasks/make/${ref.key}.tgz`);
  });

  it('length-prefixed, domain-separated: moved field boundaries or another domain sign differently', () => {
    const k = Buffer.from(KEY);
    expect(sign(k, 'd', ['ab', 'c'])).not.toBe(sign(k, 'd', ['a', 'bc']));
    expect(sign(k, 'd', ['a'])).not.toBe(sign(k, 'e', ['a']));
    expect(sign(k, 'd', ['a'])).toBe(sign(k, 'd', ['a']));
  });
});
