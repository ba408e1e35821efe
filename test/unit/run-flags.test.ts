/**
 * The pure rules behind `run`/`exec` flags: --publish names, --out, --link,
 * flag-like values, and what `cachex exec` accepts (tasks/exec-task.ts). Cases
 * moved from the spawn-per-case e2e tables (publish.test.ts,
 * reliability/bad-input.test.ts, exec.test.ts); each e2e file keeps one case
 * per family to prove the CLI wires the rule (exit 2, nothing run or written).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refuseMissingCommand } from '../../src/cli/exec.js';
import { checkRunFlags } from '../../src/cli/run-flags.js';
import { refuseFlagLikeValues } from '../../src/cli/task-flags.js';
import { UsageError } from '../../src/errors.js';
import { DigestCache } from '../../src/key/digest.js';
import { execTaskName, outputPath, prepareExec, type ExecRequest } from '../../src/tasks/exec-task.js';

/** Expects a usage error (exit 2) whose message is one sentence matching `message`. */
function refused(attempt: () => unknown, message: RegExp): void {
  let error: unknown;
  try {
    attempt();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(UsageError);
  expect((error as UsageError).exitCode).toBe(2);
  expect((error as Error).message).toMatch(message);
  expect((error as Error).message).not.toContain('\n');
}

describe('--publish names', () => {
  it.each(['web', 'site-1.2_x', 'A'])('accepts %j', (name) =>
    expect(() => checkRunFlags({ publish: name })).not.toThrow(),
  );

  // from publish.test.ts ('../x' stays there) and reliability/bad-input.test.ts ('../x' stays there)
  it.each(['a/b', '..', '.', '.hidden', '', '-x', 'x\\y', '/tmp/x', '../x'])('refuses %j', (name) =>
    refused(
      () => checkRunFlags({ publish: name }),
      /^--publish .* is not a valid name; use letters, digits, "\.", "_" and "-" \(no slashes or "\.\."\)\.$/,
    ),
  );
});

describe('--out and --link', () => {
  it('refuses an empty --out (from reliability/bad-input.test.ts)', () =>
    refused(() => checkRunFlags({ out: '' }), /^--out needs a folder path\.$/));
  it('refuses a NUL in --out', () => refused(() => checkRunFlags({ out: 'a\0b' }), /--out needs a folder path/));
  it('refuses an unknown --link mode (from run.test.ts and reliability/bad-input.test.ts)', () =>
    refused(() => checkRunFlags({ link: 'teleport' }), /^--link must be one of auto, .*, got "teleport"\.$/));
  it('accepts every documented --link mode', () => {
    for (const link of ['auto', 'hardlink', 'symlink', 'copy']) expect(() => checkRunFlags({ link })).not.toThrow();
  });
});

describe('flag-like values', () => {
  const schema = { file: { type: 'file' as const }, n: { type: 'number' as const }, v: { type: 'boolean' as const } };
  it('refuses a flag where a value belongs, and says how to mean it (e2e: run.test.ts, bad-input.test.ts)', () =>
    refused(
      () => refuseFlagLikeValues(['run', 'potree', '--file', '--force'], schema),
      /^--file got "--force", which looks like a flag; give --file a value \(or write --file=--force if you mean it\)\.$/,
    ));
  it('accepts negative numbers, =-joined values, boolean flags and anything after --', () => {
    for (const argv of [
      ['--n', '-1'],
      ['--n', '-.5'],
      ['--file=--force'],
      ['--v', '--file', 'x'],
      ['--', '--file', '--force'],
    ])
      expect(() => refuseFlagLikeValues(argv, schema), argv.join(' ')).not.toThrow();
  });
});

describe('cachex exec requests', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'cachex-exec-unit-'));
    writeFileSync(path.join(cwd, 'a.txt'), 'a');
    mkdirSync(path.join(cwd, 'src'));
    writeFileSync(path.join(cwd, 'tool.sh'), '#!/bin/sh\n');
    chmodSync(path.join(cwd, 'tool.sh'), 0o755);
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  const request = (over: Partial<ExecRequest>): ExecRequest => ({
    argv: ['./tool.sh'],
    inputs: [],
    env: [],
    outputs: [],
    cwd,
    keyRoot: cwd,
    dataFolder: path.join(cwd, '.cachex'),
    ...over,
  });
  const prepare = (over: Partial<ExecRequest>) => prepareExec(request(over), new DigestCache(null));

  it('names the entry after the command, or --name', () => {
    expect(execTaskName('./build.sh')).toBe('build.sh');
    expect(execTaskName('/usr/bin/fake converter')).toBe('fake_converter');
    expect(execTaskName('...')).toBe('command');
    expect(execTaskName('x', 'potree-ci')).toBe('potree-ci');
  });

  it('normalises --output paths', () => {
    expect(outputPath('./dist/')).toBe('dist');
    expect(outputPath('a/./b//c')).toBe('a/b/c');
    expect(outputPath('a/../b')).toBe('b');
  });

  // from exec.test.ts ('../escape' stays there)
  it.each(['../escape', '/tmp/abs', 'a/../../b', ''])('refuses the --output %j', (given) =>
    refused(
      () => outputPath(given),
      /^--output ".*" must be a path inside the current folder \(relative, without "\.\."\); outputs are restored to the same place\.$/,
    ),
  );

  it.each([
    // from exec.test.ts
    [{ inputs: ['missing.txt'] }, /^--input missing\.txt does not exist; check the path\.$/],
    [{ name: '../x' }, /^--name "\.\.\/x" is not a valid name/],
    [{ env: ['A-B'] }, /^--env "A-B" is not an environment variable name; use letters, digits and "_"\.$/],
    [{ argv: ['no-such-command-xyz'] }, /^The command "no-such-command-xyz" was not found or is not executable/],
    [{ inputs: ['.'] }, /^--input \. contains the data folder .*; name the folders the command reads instead/],
    [{ inputs: [''] }, /^--input needs a path to a file or folder, got ""\.$/],
    [{ argv: [''] }, /^Name the command after --/],
  ] as [Partial<ExecRequest>, RegExp][])('refuses %j', (over, message) => refused(() => prepare(over), message));

  it('keys inputs by path as written and content, and never by the cwd', () => {
    const a = prepare({ inputs: ['a.txt', 'src'], outputs: ['out/'], env: ['Z', 'A', 'Z'] });
    expect(a.inputs.params).toMatchObject({
      inputs: [
        { path: 'a.txt', type: 'file' },
        { path: 'src', type: 'dir' },
      ],
      outputs: ['out'],
    });
    expect(Object.keys(a.inputs.env)).toEqual(['A', 'Z']);
    expect(JSON.stringify(a.inputs.params)).not.toContain(cwd);
    const swapped = prepare({ inputs: ['src', 'a.txt'], outputs: ['out/'], env: ['Z', 'A', 'Z'] });
    expect(swapped.key).not.toBe(a.key);
  });
});

describe('--remote-only', () => {
  it('goes alone with ordinary run flags', () =>
    expect(() => checkRunFlags({ remoteOnly: true, json: true, out: 'x' })).not.toThrow());
  it.each([
    [{ remote: false }, /contradict/],
    [{ force: true }, /--force skips lookups/],
    [{ dryRun: true }, /--dry-run looks at the local store only/],
  ])('refuses %j with it', (flags, message) => refused(() => checkRunFlags({ remoteOnly: true, ...flags }), message));
});

describe('cachex exec: the command after --', () => {
  // Moved from e2e exec.test.ts (["exec","--input","in/a.pcd","--"]); exec.test.ts keeps
  // ["exec","true"] to prove the CLI wires the rule.
  it.each([
    [['exec', 'true'], ['true']],
    [['exec', '--input', 'in/a.pcd', '--'], []],
  ])('refuses %j', (raw, argv) => {
    const attempt = () => refuseMissingCommand(raw, argv);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(/^Put the command after -- \(cachex exec \[--input PATH\]… .*-- CMD ARGS…\)\.$/);
  });

  it('accepts a command after --', () =>
    expect(() => refuseMissingCommand(['exec', '--input', 'a', '--', 'true'], ['true'])).not.toThrow());
});
