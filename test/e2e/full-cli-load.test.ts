import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, REPO, Workspace } from '../helpers/cli.js';
import { cannotStrace } from '../helpers/faults.js';

/**
 * The full CLI (dist/cli/full-cli.cjs, see scripts/build-cli.mjs) runs only what a command
 * reaches: a local miss and the commands that are not a hit load none of the remote tier's
 * network builtins nor the result codecs' zlib (an ES-module bundle loaded them all at start).
 * It is compiled from a V8 code cache (src/cli/load-full.ts) that is used only when whole and
 * its own.
 */

const LOG_BUILTINS = path.join(REPO, 'test', 'fixtures', 'log-builtins.cjs');
const REMOTE_ONLY = ['http', 'https', 'tls', 'zlib'];

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-fullload-');
  ws.config(`import { defineConfig } from 'cachex';
export default defineConfig({
  tasks: { hello: { params: { n: { type: 'number', default: 1 } }, command: ['sh', '-c', 'echo "hi $0"', '{n}'] } },
});
`);
});
afterEach(() => ws.cleanup());

let logs = 0;
function builtins(args: string[]): { stdout: string; stderr: string; code: number | null; loaded: string[] } {
  const log = ws.path(`builtins-${++logs}.log`);
  const r = ws.run(args, { env: { LOG_BUILTINS: log, NODE_OPTIONS: `--require ${LOG_BUILTINS}` } });
  return { ...r, loaded: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

describe('the full CLI loads what the command needs', () => {
  it('a local miss, ls, verify, why and prune load no network builtins and no zlib; ls, verify and prune no child_process', () => {
    const miss = builtins(['run', 'hello', '--n', '2']);
    expect(miss.code, miss.stderr).toBe(0);
    expect(miss.stdout).toBe('hi 2\n');
    expect(miss.stderr).toMatch(/^miss hello /m);
    expect(miss.loaded).toContain('child_process'); // the observer sees the run's own builtins
    expect(miss.loaded.filter((m) => REMOTE_ONLY.includes(m))).toEqual([]);
    for (const args of [['ls'], ['verify'], ['why', 'hello'], ['prune', '--older-than', '30d', '--dry-run']]) {
      const r = builtins(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(
        r.loaded.filter((m) => REMOTE_ONLY.includes(m)),
        args.join(' '),
      ).toEqual([]);
      // Nothing of these spawns: commander's own require of it waits for a spawn (scripts/build-cli.mjs).
      if (args[0] !== 'why') expect(r.loaded, args.join(' ')).not.toContain('child_process');
    }
  });
});

describe('the code cache of the full CLI', () => {
  /** The runs' temp folder, where the cache folder goes (<tmp>/cachex-v8-<uid>). */
  let tmp: string;
  let cacheDir: string;
  beforeEach(() => {
    tmp = ws.path('tmp');
    mkdirSync(tmp);
    cacheDir = path.join(tmp, `cachex-v8-${process.getuid?.()}`);
  });
  const run = (args: string[]) => ws.run(args, { env: { TMPDIR: tmp } });
  const allCacheFiles = () => (existsSync(cacheDir) ? readdirSync(cacheDir).map((n) => path.join(cacheDir, n)) : []);
  /** The code caches made for `bundle` (the full CLI's; a miss also writes jiti's). */
  const cacheFiles = (bundle = 'dist/cli/full-cli.cjs') =>
    allCacheFiles().filter((file) => readFileSync(file, 'latin1').split('\n', 1)[0].includes(`${bundle}"`));
  /** The identity line of a cache file whose data matches its digest, else null. */
  const whole = (bytes: Buffer) => {
    const first = bytes.indexOf(10);
    const second = bytes.indexOf(10, first + 1);
    const digest = createHash('sha256')
      .update(bytes.subarray(second + 1))
      .digest('hex');
    return bytes.toString('latin1', first + 1, second) === digest ? bytes.toString('utf8', 0, first) : null;
  };
  const stamp = (file: string) => {
    const st = statSync(file);
    return `${st.ino}:${st.mtimeMs}:${st.size}`;
  };

  it('is written by the first command and then used as it is (not rewritten), import() included', () => {
    ws.write('params.yaml', 'hello:\n  n: 7\n');
    // --params loads the yaml package by what was an import(): it must work from the cache too.
    const first = run(['run', 'hello', '--params', 'params.yaml']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('hi 7\n');
    expect(cacheFiles()).toHaveLength(1);
    const [file] = cacheFiles();
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    const before = stamp(file);
    // jiti's bundle, which the miss loaded the TS config with, has its own.
    expect(cacheFiles('node_modules/jiti/dist/jiti.cjs')).toHaveLength(1);
    const [jiti] = cacheFiles('node_modules/jiti/dist/jiti.cjs');
    const jitiBefore = stamp(jiti);

    const again = run(['run', 'hello', '--params', 'params.yaml', '--n', '8']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('hi 8\n');
    const ls = run(['ls']);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/hello/);
    // V8 accepted it: a rejected or missing cache is written again after the command.
    expect(stamp(file)).toBe(before);
    expect(stamp(jiti)).toBe(jitiBefore);
    expect(allCacheFiles()).toHaveLength(2);
  });

  it("jiti's cache serves the task worker too, and a damaged one is replaced", () => {
    ws.config(`import { defineConfig } from 'cachex';
export default defineConfig({
  tasks: { twice: { params: { n: { type: 'number', default: 1 } }, run: async ({ n }) => n * 2 } },
});
`);
    const first = run(['run', 'twice', '--n', '2', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).result).toBe(4);
    const [jiti] = cacheFiles('node_modules/jiti/dist/jiti.cjs');
    const identity = whole(readFileSync(jiti));
    expect(identity).toMatch(/^\["cachex-v8-1",/);
    const before = stamp(jiti);
    // The next miss loads jiti in the main thread and in the worker: both take the cache as it is.
    const second = run(['run', 'twice', '--n', '3', '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout).result).toBe(6);
    expect(stamp(jiti)).toBe(before);
    writeFileSync(jiti, Buffer.from('garbage'));
    const third = run(['run', 'twice', '--n', '4', '--json']);
    expect(third.code, third.stderr).toBe(0);
    expect(JSON.parse(third.stdout).result).toBe(8);
    expect(whole(readFileSync(jiti)), 'replaced by a whole cache for jiti').toBe(identity);
  });

  it('a damaged cache, or one made for another bundle, is ignored and replaced', () => {
    expect(run(['ls']).code).toBe(0);
    const [file] = cacheFiles();
    const good = readFileSync(file);
    const header = good.subarray(0, good.indexOf(10, good.indexOf(10) + 1) + 1);
    const garbage = Buffer.alloc(good.length - header.length, 0x41);
    const identity = whole(good);
    expect(identity).toMatch(/^\["cachex-v8-1",/);
    for (const damaged of [
      Buffer.concat([header, garbage]), // the data does not match its digest
      good.subarray(0, good.length >> 1), // cut short
      Buffer.concat([
        Buffer.from(good.toString('latin1').replace(/^\["cachex-v8-1",/, '["cachex-v8-1","other",'), 'latin1'),
      ]), // another identity
      Buffer.from('garbage'),
    ]) {
      writeFileSync(file, damaged);
      const r = run(['ls', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([]);
      expect(whole(readFileSync(file)), 'replaced by a whole cache for this bundle').toBe(identity);
    }
  });

  it('writing a cache removes the caches unused for 30 days and keeps the rest', () => {
    // Caches of bundles at other paths (other checkouts, other Node versions) that nobody read for 40 days, one read
    // yesterday, and a file that is not a cache: only the first go once a command writes a cache of its own.
    mkdirSync(cacheDir, { mode: 0o700 });
    const day = 24 * 3600;
    const now = Date.now() / 1000;
    const old = ['0'.repeat(32), '1'.repeat(32)].map((name) => path.join(cacheDir, `${name}.bin`));
    const recent = path.join(cacheDir, `${'2'.repeat(32)}.bin`);
    const foreign = path.join(cacheDir, 'notes.txt');
    for (const file of [...old, recent, foreign]) writeFileSync(file, 'x');
    for (const file of [...old, foreign]) utimesSync(file, now - 40 * day, now - 40 * day);
    utimesSync(recent, now - day, now - 40 * day);
    const first = run(['ls']);
    expect(first.code, first.stderr).toBe(0);
    expect(cacheFiles()).toHaveLength(1);
    for (const file of old) expect(existsSync(file), file).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(foreign)).toBe(true);
  });

  it('a cache folder others can write into is not used', () => {
    mkdirSync(cacheDir, { mode: 0o777 });
    chmodSync(cacheDir, 0o777);
    const r = run(['ls', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(cacheFiles()).toEqual([]);
  });
});

describe('the caches beside the store', () => {
  it.skipIf(cannotStrace() !== null)(
    'writing the transpile and code caches makes no rename(2): the crash tests count the store’s renames',
    () => {
      const tmp = ws.path('tmp');
      mkdirSync(tmp);
      /** The main thread's rename calls in a miss of a new project (as test/helpers/faults.ts counts them). */
      const renames = (name: string) => {
        const dir = ws.path(name);
        mkdirSync(dir);
        writeFileSync(path.join(dir, 'cachex.config.ts'), readFileSync(ws.path('cachex.config.ts')));
        const trace = ws.path(`${name}.trace`);
        const r = spawnSync('strace', ['-o', trace, '-e', 'trace=rename', process.execPath, CLI, 'run', 'hello'], {
          cwd: dir,
          env: { ...ws.env, TMPDIR: tmp, DATA_FOLDER: path.join(dir, '.data') },
          encoding: 'utf8',
        });
        expect(r.status, r.stderr).toBe(0);
        return readFileSync(trace, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('rename('));
      };
      const first = renames('a'); // writes both caches
      expect(readdirSync(path.join(tmp, 'jiti')).some((n) => n.startsWith('cachex-transpiled-'))).toBe(true);
      expect(existsSync(path.join(tmp, `cachex-v8-${process.getuid?.()}`))).toBe(true);
      expect(first.some((l) => l.includes('/cache/tasks/hello/'))).toBe(true); // the store's own renames are seen
      const second = renames('b'); // uses them
      expect([...first, ...second].filter((l) => l.includes(tmp))).toEqual([]);
    },
  );
});
