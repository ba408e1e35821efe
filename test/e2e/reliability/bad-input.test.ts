/**
 * Bad input (SPEC §7): hostile or malformed input is refused with exit 2 and
 * one sentence, executes nothing and writes nothing; hostile strings reach a
 * command as one literal argument; legitimate odd file names work; restoring
 * outputs never writes outside the target folder.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, Workspace, isOneSentence } from '../../helpers/cli.js';
import { RELIABILITY_CONFIG, cx, entryDirs, treeHash } from '../../helpers/faults.js';

describe('bad input is refused with exit 2, one sentence, nothing run and nothing written', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = new Workspace();
    ws.samplePcd('in/a.pcd');
    ws.write('in/empty.pcd', '');
    mkdirSync(ws.path('in/folder'));
    // One stored entry, so the data folder exists and has content to keep unchanged.
    expect(ws.run(cx(['run', 'potree', '--file', 'in/a.pcd'])).code).toBe(0);
  });
  afterAll(() => ws.cleanup());

  // One case per rule family proves the CLI wires it (exit 2, one sentence, nothing run or
  // written). Every value rule behind them is a unit test: numbers, integers (1.5 moved there from
  // this table), strings and paths in test/unit/params.test.ts; --publish, --out and --link in
  // test/unit/run-flags.test.ts. The sentences named here were also asserted, each by a spawn of
  // its own, in test/e2e/run.test.ts "cachex run: refusing bad input" (merged into this table);
  // the task suggestion ("did you mean") is test/e2e/edges.test.ts "did you mean".
  const cases: [string, string[], RegExp?][] = [
    ['an unknown task', ['run', 'nope'], /^error: Unknown task 'nope'/m],
    ['a task name with path traversal', ['run', '../../etc/passwd']],
    ['an unknown flag', ['run', 'potree', '--file', 'in/a.pcd', '--bogus', '1']],
    ['a misspelt flag', ['run', 'convert', '--fiel', 'in/a.pcd'], /unknown option '--fiel'.*did you mean --file/i],
    [
      'a number given "abc"',
      ['run', 'convert', '--file', 'in/a.pcd', '--resolution', 'abc'],
      /--resolution expects a number, got "abc"/,
    ],
    ['a number given -Infinity (with =)', ['run', 'convert', '--file', 'in/a.pcd', '--resolution=-Infinity']],
    ['a repeated single-valued flag', ['run', 'count', '--n', '1', '--n', '2']],
    ['a missing required file', ['run', 'potree']],
    [
      'a flag given as a value (--file --force)',
      ['run', 'potree', '--file', '--force'],
      /--file got "--force", which looks like a flag/,
    ],
    ['a missing file', ['run', 'potree', '--file', 'in/missing.pcd']],
    ['--publish with path traversal', ['run', 'potree', '--file', 'in/a.pcd', '--publish', '../x']],
    ['an unknown --link mode', ['run', 'potree', '--file', 'in/a.pcd', '--out', 'o', '--link', 'teleport']],
  ];

  it.each(cases)('%s', (_label, args, message) => {
    const before = treeHash(ws.data);
    const calls = ws.converterRuns();
    const result = ws.run(cx(args));
    expect(result.code, result.stderr).toBe(2);
    if (message) expect(result.stderr).toMatch(message);
    expect(isOneSentence(result.stderr, 1), result.stderr).toBe(true);
    expect(result.stderr).toMatch(/^error: .+[.?]\)?$/m);
    expect(result.stdout).toBe('');
    expect(ws.converterRuns()).toBe(calls);
    expect(treeHash(ws.data)).toBe(before);
  });
});

describe('bad input writes nothing, not even the config it loaded to refuse it', () => {
  it('a refused run in a data folder without a saved config leaves the folder as it was', () => {
    // The saved config (for the fast hit path) is written after a run loads the config; a refused
    // run loaded it too. In the table above, whether the setup's run had already saved it depended
    // on timing, so its first case failed now and then.
    const ws = new Workspace();
    try {
      mkdirSync(ws.data);
      const result = ws.run(cx(['run', 'nope']));
      expect(result.code, result.stderr).toBe(2);
      expect(readdirSync(ws.data)).toEqual([]);
    } finally {
      ws.cleanup();
    }
  });
});

describe('hostile strings reach a command as one literal argument', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = new Workspace();
    ws.samplePcd('in/a.pcd');
  });
  afterAll(() => ws.cleanup());

  it.each([
    ['a command separator', 'x; touch PWNED'],
    ['a command substitution', '$(touch PWNED)'],
    ['backticks', '`touch PWNED`'],
    ['a pipe and redirection', 'a | tee PWNED > PWNED'],
    ['quotes and a newline', `it's "quoted"\nsecond line`],
    ['an rm -rf', '; rm -rf ~ #'],
    ['a flag-like value given with =', '--force'],
  ])('%s', (_label, label) => {
    const pwned = ws.path('PWNED');
    const result = ws.run(cx(['run', 'echo-args', `--label=${label}`, '--file', 'in/a.pcd']));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${label}\nconverted a.pcd\n`);
    expect(existsSync(pwned)).toBe(false);
    const [call] = readFileSync(ws.fakeLog, 'utf8')
      .trim()
      .split('\n')
      .slice(-1)
      .map((l) => JSON.parse(l));
    expect(call.argv[0]).toBe('--echo');
    expect(call.argv[1]).toBe(label); // exactly one argument, byte for byte
  });
});

describe('legitimate odd file names work', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = new Workspace();
  });
  afterAll(() => ws.cleanup());

  it.each([
    ['a unicode name with spaces', 'in/ünï cødé 点云 🚀.pcd'],
    ['a name starting with a dash', 'in/-dash.pcd'],
    ['a name with shell characters', 'in/$(id);`x` & y.pcd'],
  ])('%s', (_label, rel) => {
    const file = ws.samplePcd(rel, rel);
    for (const status of ['miss', 'hit']) {
      const result = ws.run(cx(['run', 'potree', `--file=${file}`]));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(`converted ${path.basename(file)}\n`);
      expect(result.stderr).toMatch(new RegExp(`^${status} potree `, 'm'));
    }
  });

  it('a file name that is not valid UTF-8 (Latin-1 bytes) works for a command task and a TS task', () => {
    const dir = ws.path('latin1');
    mkdirSync(dir, { recursive: true });
    const name = Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9, 0xff]), Buffer.from('.pcd')]);
    writeFileSync(name, readFileSync(ws.samplePcd('in/plain.pcd', 'latin1')));
    // Spawned through sh so the argument carries the raw bytes (Node would encode a string as UTF-8).
    const run = (task: string) =>
      spawnSync(
        'sh',
        [
          '-c',
          `exec "$0" "$1" --config "$2" run ${task} --file "$(printf '${dir}/caf\\351\\377.pcd')"`,
          process.execPath,
          CLI,
          RELIABILITY_CONFIG,
        ],
        {
          cwd: ws.dir,
          env: ws.env,
          encoding: 'utf8',
        },
      );
    for (const task of ['potree', 'convert']) {
      for (const status of ['miss', 'hit']) {
        const result = run(task);
        expect(result.status, result.stderr).toBe(0);
        expect(result.stderr).toMatch(new RegExp(`^${status} ${task} `, 'm'));
      }
    }
    // Keyed by content: the same bytes under a plain name share the entry.
    const plain = ws.run(cx(['run', 'potree', '--file', 'in/plain.pcd']));
    expect(plain.stderr).toMatch(/^hit potree /m);
  });
});

describe('restoring outputs never writes outside the target folder', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = new Workspace();
    ws.samplePcd('in/a.pcd');
    ws.samplePcd('in/b.pcd', 'b');
    mkdirSync(ws.path('outside'));
    writeFileSync(ws.path('outside/victim'), 'keep me\n');
  });
  afterAll(() => ws.cleanup());

  it.each([
    ['a relative symlink that climbs out', 'esc=>../../outside'],
    ['an absolute symlink', 'esc=>/etc/passwd'],
    ['a symlink through ..', 'esc=>sub/../../x'],
  ])('an output with %s is refused (exit 2), not stored, and nothing is written', (_label, symlink) => {
    const outsideBefore = treeHash(ws.path('outside'));
    const result = ws.run(cx(['run', 'potree', '--file', 'in/a.pcd', '--out', 'target']), {
      env: { FAKE_SYMLINK: symlink },
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(
      /^error: Refusing to restore the symlink esc, which points outside the target folder\.$/m,
    );
    expect(entryDirs(ws.data)).toEqual([]);
    expect(existsSync(ws.path('target'))).toBe(false);
    expect(treeHash(ws.path('outside'))).toBe(outsideBefore);
  });

  it('a symlink that stays inside is stored and restored as a symlink', () => {
    const result = ws.run(cx(['run', 'potree', '--file', 'in/b.pcd', '--out', 'inside']), {
      env: { FAKE_SYMLINK: 'link=>cloud.bin' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(lstatSync(ws.path('inside/link')).isSymbolicLink()).toBe(true);
  });

  it('a symlink planted in the target folder is replaced, not written through', () => {
    mkdirSync(ws.path('planted'));
    symlinkSync(ws.path('outside/victim'), ws.path('planted/cloud.bin'));
    const result = ws.run(cx(['run', 'potree', '--file', 'in/a.pcd', '--out', 'planted']));
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(ws.path('outside/victim'), 'utf8')).toBe('keep me\n');
    expect(lstatSync(ws.path('planted/cloud.bin')).isSymbolicLink()).toBe(false);
  });
});
