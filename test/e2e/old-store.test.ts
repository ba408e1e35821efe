/**
 * Existing stores keep hitting after an upgrade: test/fixtures/store-v0.1/
 * holds a store written by cachex 0.1.0 (record.mjs there says how) with the
 * project that wrote it. Copied under two different absolute paths, its TS task
 * and library entries must be hits with this build: status hit, nothing run,
 * the same bytes replayed.
 *
 * The one deliberate exception: the working folder entered the keys of command
 * tasks and `exec` (issue 12, item 10), so their old entries recompute once —
 * a plain miss (no error, no corrupt-entry warning) that `why` explains, then
 * hits under the new key. The README's upgrade note says so.
 */
import { chmodSync, cpSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, Workspace } from '../helpers/cli.js';
import { goldenEnv, runLibrary } from '../helpers/golden.js';

const STORE = path.join(REPO, 'test', 'fixtures', 'store-v0.1');

interface Expected {
  recordedWith: string;
  cli: Record<string, { args: string[]; key: string; result?: unknown; stdout: string; out: Record<string, string> }>;
  library: Record<string, unknown>;
}
/** Entries of the kinds whose keys moved on purpose (command tasks and exec): they recompute once. */
const RECOMPUTED = new Set(['command']);
const expected = JSON.parse(readFileSync(path.join(STORE, 'expected.json'), 'utf8')) as Expected;

let ws: Workspace;
beforeAll(() => {
  ws = new Workspace('cachex-old-store-');
  goldenEnv(ws);
});
afterAll(() => ws.cleanup());

/**
 * A copy of the old store and its project at `where`. Git keeps neither empty
 * folders nor read-only modes: the empty out/ of entries without outputs is
 * put back (a real store has it), and files come back writable.
 */
function install(where: string): { project: string; data: string } {
  const root = ws.path(where);
  cpSync(STORE, root, { recursive: true, verbatimSymlinks: true });
  chmodSync(path.join(root, 'project', 'bin', 'tool.sh'), 0o755);
  const cache = path.join(root, 'data', 'cache');
  for (const module of readdirSync(cache))
    for (const task of readdirSync(path.join(cache, module)))
      for (const key of readdirSync(path.join(cache, module, task)))
        mkdirSync(path.join(cache, module, task, key, 'out'), { recursive: true });
  return { project: path.join(root, 'project'), data: path.join(root, 'data') };
}

function outFiles(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(path.join(dir, name), 'utf8')]));
}

describe.each(['first', 'second/copy/deeper'])('a store written by cachex 0.1.0, copied to %s', (where) => {
  let project: string;
  let data: string;
  beforeAll(() => {
    ({ project, data } = install(where));
  });

  it.each(Object.keys(expected.cli).filter((label) => !RECOMPUTED.has(label)))(
    'its %s task entry is a hit that replays the same bytes',
    (label) => {
      const { args, key, result, stdout, out } = expected.cli[label];
      const count = ws.path(where, 'count.txt');
      const env = { DATA_FOLDER: data, COUNT_FILE: count };
      const json = ws.run([...args, '--json'], { cwd: project, env });
      expect(json.code, json.stderr).toBe(0);
      const summary = JSON.parse(json.stdout);
      expect(summary).toMatchObject({ status: 'hit', key, exitCode: 0 });
      if (result !== undefined) expect(summary.result).toEqual(result);
      expect(outFiles(summary.outDir)).toEqual(out);
      expect(summary.outDir.startsWith(data)).toBe(true);
      const plain = ws.run(args, { cwd: project, env });
      expect(plain.stderr).toMatch(/^hit /m);
      expect(plain.stdout).toBe(stdout);
      expect(() => readFileSync(count), 'the TS task ran').toThrow();
    },
  );

  it.each([...RECOMPUTED])(
    'its %s task entry recomputes once (the working folder is in the key now), then hits',
    (label) => {
      const { args, key, stdout, out } = expected.cli[label];
      const env = { DATA_FOLDER: data, COUNT_FILE: ws.path(where, 'count.txt') };
      const why = ws.run(['why', ...args.slice(1)], { cwd: project, env });
      expect(why.stdout).toContain('working folder . (the entry was stored before cachex keyed the working folder)');
      const first = ws.run([...args, '--json'], { cwd: project, env });
      expect(first.code, first.stderr).toBe(0);
      const summary = JSON.parse(first.stdout);
      expect(summary).toMatchObject({ status: 'miss', exitCode: 0, stored: true });
      expect(summary.key).not.toBe(key);
      expect(first.stderr).not.toMatch(/corrupt|error|warning/i);
      expect(outFiles(summary.outDir)).toEqual(out);
      const again = ws.run(args, { cwd: project, env });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(new RegExp(`^hit \\S+ ${summary.key.slice(0, 12)} `, 'm'));
      expect(again.stdout).toBe(stdout);
    },
  );

  it('its library entries are hits that return the stored values and out folders', async () => {
    const count = ws.path(where, 'lib-count.txt');
    const calls = await runLibrary(ws, project, 'call', { DATA_FOLDER: data, COUNT_FILE: count });
    // The stored values hold the recording machine's paths: a recomputation would show this copy's.
    expect(calls).toEqual(expected.library);
    expect(() => readFileSync(count)).toThrow();
  });
});
