import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_CONVERTER, Workspace, isOneSentence } from '../helpers/cli.js';

let ws: Workspace;

beforeEach(() => {
  ws = new Workspace();
  ws.samplePcd('in/a.pcd');
});
afterEach(() => ws.cleanup());

/** `cachex exec` of the stand-in converter reading in/a.pcd and writing conv/. */
function convert(extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return ws.run(
    ['exec', '--input', 'in/a.pcd', '--output', 'conv', ...extra, '--', FAKE_CONVERTER, 'in/a.pcd', '-o', 'conv'],
    { env },
  );
}

const execEntries = (name: string) => {
  const dir = path.join(ws.data, 'cache', 'exec', name);
  return existsSync(dir) ? readdirSync(dir) : [];
};

describe('cachex exec: caching an unregistered command', () => {
  it('hits on the second identical call: the command runs once and its stdout is replayed', () => {
    const first = convert();
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^miss fake-converter [0-9a-f]{12} \(ran .*stored/m);
    const second = convert();
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/^hit fake-converter [0-9a-f]{12} \(saved /m);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stdout).toContain('converted a.pcd');
    expect(second.stderr).toContain('note: demo');
    expect(ws.converterRuns()).toBe(1);
    expect(execEntries('fake-converter')).toHaveLength(1);
  });

  it('misses when an --input file changes, and hits again when it changes back', () => {
    const file = ws.path('in/a.pcd');
    const original = readFileSync(file);
    convert();
    writeFileSync(file, Buffer.concat([original, Buffer.from('# edited\n')]));
    expect(convert().stderr).toMatch(/^miss /m);
    writeFileSync(file, original);
    expect(convert().stderr).toMatch(/^hit /m);
    expect(ws.converterRuns()).toBe(2);
  });

  it('keys an --input folder by its tree: a file added inside it misses', () => {
    const run = () =>
      ws.run(['exec', '--input', 'in', '--output', 'conv', '--', FAKE_CONVERTER, 'in/a.pcd', '-o', 'conv']);
    expect(run().stderr).toMatch(/^miss /m);
    expect(run().stderr).toMatch(/^hit /m);
    ws.write('in/notes.txt', 'new');
    expect(run().stderr).toMatch(/^miss /m);
  });

  it('restores the --output files to their paths on a hit after they were deleted', () => {
    convert();
    const before = readFileSync(ws.path('conv', 'cloud.bin'));
    const metadata = readFileSync(ws.path('conv', 'metadata.json'), 'utf8');
    rmSync(ws.path('conv'), { recursive: true });
    const hit = convert();
    expect(hit.stderr).toMatch(/^hit /m);
    expect(readFileSync(ws.path('conv', 'cloud.bin'))).toEqual(before);
    expect(readFileSync(ws.path('conv', 'metadata.json'), 'utf8')).toBe(metadata);
    // Restored outputs are the user's own copies: writable, not read-only links into the store.
    accessSync(ws.path('conv', 'cloud.bin'), constants.W_OK);
    writeFileSync(ws.path('conv', 'cloud.bin'), 'changed');
    expect(convert().stderr).toMatch(/^hit /m);
    expect(ws.converterRuns()).toBe(1);
  });

  it('does not store a failed command: it runs again and exits with its own code each time', () => {
    const failing = () => ws.run(['exec', '--', 'sh', '-c', 'echo partial; echo oops >&2; exit 3']);
    const first = failing();
    expect(first.code).toBe(3);
    expect(first.stdout).toBe('partial\n');
    expect(first.stderr).toMatch(/not stored: the run exited with code 3/);
    const second = failing();
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/^miss /m);
    expect(execEntries('sh')).toEqual([]);
  });

  it('does not store a run whose declared --output was not produced', () => {
    const result = ws.run(['exec', '--output', 'nothing-here', '--', 'sh', '-c', 'echo ok']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/not stored: the declared output nothing-here was not produced/);
    expect(execEntries('sh')).toEqual([]);
  });

  it('puts the value of each --env variable in the key, never the value itself in the entry', () => {
    const run = (value: string) =>
      ws.run(['exec', '--env', 'QUALITY', '--', 'sh', '-c', 'echo "q=$QUALITY"'], { env: { QUALITY: value } });
    expect(run('s3cret-low').stderr).toMatch(/^miss /m);
    expect(run('s3cret-low').stderr).toMatch(/^hit /m);
    const high = run('s3cret-high');
    expect(high.stderr).toMatch(/^miss /m);
    expect(high.stdout).toBe('q=s3cret-high\n');
    const [key] = execEntries('sh');
    const meta = readFileSync(path.join(ws.data, 'cache', 'exec', 'sh', key, 'meta.yaml'), 'utf8');
    expect(meta).toContain('QUALITY');
    expect(meta).not.toContain('s3cret');
  });

  it('misses when the executable itself changes', () => {
    const tool = ws.write('tool.sh', '#!/bin/sh\necho v1\n');
    chmodSync(tool, 0o755);
    const run = () => ws.run(['exec', '--', './tool.sh']);
    expect(run().stdout).toBe('v1\n');
    expect(run().stderr).toMatch(/^hit tool\.sh /m);
    writeFileSync(tool, '#!/bin/sh\necho v2\n');
    const changed = run();
    expect(changed.stderr).toMatch(/^miss /m);
    expect(changed.stdout).toBe('v2\n');
  });

  it('files the entry under --name, and --json gives a summary while output goes to stderr', () => {
    const result = convert(['--name', 'potree-ci', '--json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ status: 'miss', task: 'potree-ci', module: 'exec', exitCode: 0, stored: true });
    expect(result.stderr).toContain('converted a.pcd');
    expect(execEntries('potree-ci')).toEqual([summary.key]);
  });

  it('--force runs again and --dry-run runs nothing', () => {
    convert();
    expect(convert(['--force']).stderr).toMatch(/^forced /m);
    expect(ws.converterRuns()).toBe(2);
    const dry = convert(['--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^status: hit/m);
    expect(ws.converterRuns()).toBe(2);
  });

  it('passes hostile arguments to the command literally, never to a shell', () => {
    const label = '; touch pwned $(touch pwned2) `touch pwned3`';
    const result = ws.run(['exec', '--', FAKE_CONVERTER, '--echo', label, 'in/a.pcd', '-o', 'conv']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(label);
    for (const f of ['pwned', 'pwned2', 'pwned3']) expect(existsSync(ws.path(f))).toBe(false);
  });
});

describe('cachex exec: bad input', () => {
  // What exec's own parsing does, plus one case per rule family; the rules behind them (every
  // --output, --input, --name, --env, --publish and command case) are unit tests in
  // test/unit/run-flags.test.ts.
  it.each([
    [['exec', 'sh', '-c', 'true'], /Unknown option '-c'/],
    // '--' with nothing after it (['exec', '--input', 'in/a.pcd', '--']) is the same rule, a unit test.
    [['exec', 'true'], /Put the command after --/],
    [
      ['exec', '--output', '../escape', '--', 'true'],
      /--output "\.\.\/escape" must be a path inside the current folder/,
    ],
    [['exec', '--input', '--force', '--', 'true'], /--input got "--force", which looks like a flag/],
    [['exec', '--publish', '../x', '--', 'true'], /--publish "\.\.\/x" is not a valid name/],
    [['exec', '--', 'no-such-command-xyz'], /The command "no-such-command-xyz" was not found/],
  ])('%j exits 2 with one sentence and stores nothing', (args, message) => {
    const result = ws.run(args as string[]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message as RegExp);
    expect(isOneSentence(result.stderr)).toBe(true);
    expect(existsSync(path.join(ws.data, 'cache'))).toBe(false);
    expect(existsSync(path.join(ws.dir, '..', 'escape'))).toBe(false);
  });
});
