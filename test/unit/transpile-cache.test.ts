import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cachedTransform,
  readTranspiled,
  type Transform,
  type TransformOptions,
  transpileCacheName,
  writeTranspiled,
} from '../../src/config/transpile-cache.js';

/** jiti's own babel transform, as src/config/import.ts loads it. */
const require = createRequire(import.meta.url);
const jitiDir = path.dirname(require.resolve('jiti/package.json'));
const babel = require(path.join(jitiDir, 'dist', 'babel.cjs')) as Transform;
const { version } = require('jiti/package.json') as { version: string };

/** What jiti hands its transform for a config file (jiti's dist/jiti.cjs, transform()). */
const options = (source: string, filename: string): TransformOptions => ({
  babel: {},
  interopDefault: true,
  filename,
  source,
  ts: true,
  async: true,
  jsx: false,
});

const CONFIG = `import { defineConfig } from 'cachex';
const n: number = 2;
export default defineConfig({ tasks: { hello: { command: ['echo', String(n)] } } });
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-transpile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the transpile cache key', () => {
  it("is the same for the same source at another path: babel's output does not depend on it", () => {
    const a = options(CONFIG, '/ci/job-1/cachex.config.ts');
    const b = options(CONFIG, '/ci/job-2/project/cachex.config.ts');
    expect(transpileCacheName(a, version)).toBe(transpileCacheName(b, version));
    expect(babel(a).code).toBe(babel(b).code);
  });

  it('keeps the path when the source may use import.meta, which babel replaces by the path', () => {
    const source = `export const here = import.meta.dirname;\n${CONFIG}`;
    const a = options(source, '/ci/job-1/cachex.config.ts');
    const b = options(source, '/ci/job-2/cachex.config.ts');
    expect(babel(a).code).not.toBe(babel(b).code);
    expect(transpileCacheName(a, version)).not.toBe(transpileCacheName(b, version));
  });

  it('changes with the source, the options, the extension and the jiti version', () => {
    const base = options(CONFIG, '/p/cachex.config.ts');
    const name = transpileCacheName(base, version);
    expect(transpileCacheName({ ...base, source: CONFIG.replace('2', '3') }, version)).not.toBe(name);
    expect(transpileCacheName({ ...base, async: false }, version)).not.toBe(name);
    expect(transpileCacheName({ ...base, babel: { sourceMaps: 'inline' } }, version)).not.toBe(name);
    expect(transpileCacheName({ ...base, filename: '/p/cachex.config.mts' }, version)).not.toBe(name);
    expect(transpileCacheName(base, '0.0.0')).not.toBe(name);
  });

  it('is none when an option is a function (a babel plugin has no text to key on)', () => {
    const base = options(CONFIG, '/p/cachex.config.ts');
    expect(transpileCacheName({ ...base, babel: { plugins: [() => ({})] } }, version)).toBeNull();
  });
});

describe('cache files', () => {
  it('round-trip, and a damaged or foreign-looking file reads as none', () => {
    const file = path.join(dir, 'cachex-transpiled-x.js');
    writeTranspiled(file, 'exports.default = 1;');
    expect(readTranspiled(file)).toBe('exports.default = 1;');
    expect(readdirSync(dir)).toEqual(['cachex-transpiled-x.js']); // no temporary file left

    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('= 1', '= 2')); // the code no longer matches its digest
    expect(readTranspiled(file)).toBeNull();
    writeFileSync(file, text.slice(0, text.length - 3)); // cut short
    expect(readTranspiled(file)).toBeNull();
    writeFileSync(file, 'exports.default = 1;'); // no header
    expect(readTranspiled(file)).toBeNull();
    writeFileSync(file, '');
    expect(readTranspiled(file)).toBeNull();
    expect(readTranspiled(path.join(dir, 'missing.js'))).toBeNull();
  });
});

describe('cachedTransform', () => {
  let calls = 0;
  const counting: Transform = (opts) => {
    calls++;
    return babel(opts);
  };
  const transform = () =>
    cachedTransform(
      () => counting,
      version,
      () => dir,
    );
  beforeEach(() => {
    calls = 0;
  });

  it('transforms once per content, whatever the path, and serves what babel made', () => {
    const first = transform()(options(CONFIG, '/a/cachex.config.ts'));
    const second = transform()(options(CONFIG, '/b/cachex.config.ts'));
    expect(calls).toBe(1);
    expect(second.code).toBe(first.code);
    expect(second.code).toBe(babel(options(CONFIG, '/b/cachex.config.ts')).code);
  });

  it('transforms an edited source again', () => {
    transform()(options(CONFIG, '/a/cachex.config.ts'));
    const edited = transform()(options(CONFIG.replace('2', '3'), '/a/cachex.config.ts'));
    expect(calls).toBe(2);
    expect(edited.code).toContain('= 3');
  });

  it('ignores a damaged cache file and writes a good one in its place', () => {
    const opts = options(CONFIG, '/a/cachex.config.ts');
    transform()(opts);
    const file = path.join(dir, transpileCacheName(opts, version) as string);
    writeFileSync(file, readFileSync(file, 'utf8').replace("'echo'", "'rm'"));
    expect(transform()(opts).code).toContain("'echo'");
    expect(calls).toBe(2);
    expect(readTranspiled(file)).toContain("'echo'");
    transform()(opts);
    expect(calls).toBe(2);
  });

  it("writing a transform removes our transforms unused for 30 days, not jiti's own files", () => {
    const old = path.join(dir, `cachex-transpiled-${'0'.repeat(40)}.js`);
    const jitis = path.join(dir, 'cachex.config.0123abcd.cjs');
    const monthsAgo = Date.now() / 1000 - 40 * 24 * 3600;
    for (const file of [old, jitis]) {
      writeFileSync(file, '// old');
      utimesSync(file, monthsAgo, monthsAgo);
    }
    transform()(options(CONFIG, '/a/cachex.config.ts'));
    expect(existsSync(old)).toBe(false);
    expect(existsSync(jitis)).toBe(true);
    expect(readdirSync(dir).filter((name) => name.startsWith('cachex-transpiled-'))).toHaveLength(1);
  });

  it('does not cache a syntax error (its code carries the path) and caches nothing without a folder', () => {
    const broken = options('export default {', '/a/cachex.config.ts');
    expect(transform()(broken).code).toContain('__JITI_ERROR__');
    expect(readdirSync(dir)).toEqual([]);
    cachedTransform(
      () => counting,
      version,
      () => false,
    )(options(CONFIG, '/a/cachex.config.ts'));
    expect(readdirSync(dir)).toEqual([]);
  });
});
