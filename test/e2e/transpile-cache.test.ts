import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliResult, REPO, Workspace } from '../helpers/cli.js';

/**
 * The config's transpile cache (src/config/transpile-cache.ts): keyed by content, so the same
 * TypeScript config in another folder — a CI job's fresh checkout, a worktree — is not handed to
 * babel again; an edited config is; a damaged cache file is ignored.
 */

const LOG_IMPORTS = path.join(REPO, 'test', 'fixtures', 'log-imports.mjs');

let ws: Workspace;
/** The temp folder of the runs (jiti keeps its cache, and so ours, in <tmp>/jiti). */
let tmp: string;
beforeEach(() => {
  ws = new Workspace('cachex-transpile-');
  tmp = ws.path('tmp');
  mkdirSync(tmp);
});
afterEach(() => ws.cleanup());

const config = (word: string) => `import { defineConfig } from 'cachex';
import { suffix } from './suffix.ts';

const greeting: string = '${word}';
export default defineConfig({
  tasks: {
    hello: { params: { name: { type: 'string', default: 'world' } }, command: ['sh', '-c', 'echo "$0 $1"', greeting + suffix, '{name}'] },
  },
});
`;

/** A project folder (its own data folder) holding the config and a TypeScript file it imports. */
function project(name: string, word = 'hello'): string {
  const dir = ws.path(name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'cachex.config.ts'), config(word));
  writeFileSync(path.join(dir, 'suffix.ts'), `export const suffix: string = '!';\n`);
  return dir;
}

let logs = 0;
/** Runs a miss in `dir` with every module the process resolves logged; `babel` when jiti's babel loaded. */
function observe(dir: string, name: string): CliResult & { babel: boolean } {
  const log = ws.path(`imports-${++logs}.log`);
  const result = ws.run(['run', 'hello', '--name', name], {
    cwd: dir,
    env: {
      TMPDIR: tmp,
      DATA_FOLDER: path.join(dir, '.data'),
      LOG_IMPORTS: log,
      NODE_OPTIONS: `--import ${LOG_IMPORTS}`,
    },
  });
  const modules = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  rmSync(log, { force: true });
  expect(result.stderr).toMatch(/^miss hello /m);
  return { ...result, babel: modules.some((m) => /node_modules\/jiti\/dist\/babel\.cjs$/.test(m)) };
}

const cacheFiles = () =>
  readdirSync(path.join(tmp, 'jiti'))
    .filter((n) => n.startsWith('cachex-transpiled-'))
    .map((n) => path.join(tmp, 'jiti', n));

describe('the transpile cache', () => {
  it('a second project at another path with the same config does not load babel', () => {
    const first = observe(project('a'), 'one');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('hello! one\n');
    expect(first.babel).toBe(true);
    expect(cacheFiles()).toHaveLength(2); // the config and the file it imports

    const second = observe(project('b'), 'two');
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('hello! two\n');
    expect(second.babel).toBe(false);
  });

  it('an edited config, and an edited file it imports, are transpiled again and their change is seen', () => {
    const dir = project('a');
    expect(observe(dir, 'one').stdout).toBe('hello! one\n');
    writeFileSync(path.join(dir, 'cachex.config.ts'), config('howdy'));
    const edited = observe(dir, 'two');
    expect(edited.stdout).toBe('howdy! two\n');
    expect(edited.babel).toBe(true);
    writeFileSync(path.join(dir, 'suffix.ts'), `export const suffix: string = '?';\n`);
    expect(observe(dir, 'three').stdout).toBe('howdy? three\n');
    // And back: the first version is served from the cache, not stale.
    writeFileSync(path.join(dir, 'cachex.config.ts'), config('hello'));
    writeFileSync(path.join(dir, 'suffix.ts'), `export const suffix: string = '!';\n`);
    const back = observe(project('b'), 'four');
    expect(back.stdout).toBe('hello! four\n');
    expect(back.babel).toBe(false);
  });

  it('a damaged cache file is ignored (babel runs again) and replaced', () => {
    observe(project('a'), 'one');
    for (const file of cacheFiles()) {
      // Still valid JavaScript, but not what babel made of this config: it must not run.
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.replaceAll("'hello'", "'HACKED'").replaceAll("'!'", "'#'"));
    }
    const damaged = observe(project('b'), 'two');
    expect(damaged.code).toBe(0);
    expect(damaged.stdout).toBe('hello! two\n');
    expect(damaged.babel).toBe(true);

    for (const file of cacheFiles()) writeFileSync(file, 'garbage');
    expect(observe(project('c'), 'three').stdout).toBe('hello! three\n');
    // Replaced by good ones: the next project is served from the cache again.
    const after = observe(project('d'), 'four');
    expect(after.stdout).toBe('hello! four\n');
    expect(after.babel).toBe(false);
  });
});
