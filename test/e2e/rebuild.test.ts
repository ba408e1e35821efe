import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Workspace, isOneSentence } from '../helpers/cli.js';
import { demoConfig } from '../helpers/configs.js';

let ws: Workspace;

function fresh(): void {
  ws = new Workspace();
  ws.config(demoConfig());
}

function store(variant: string): string {
  const file = ws.samplePcd(`in/${variant}.pcd`, variant);
  const result = ws.run(['run', 'potree', '--file', file, '--json']);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout).key as string;
}

function keys(task = 'potree'): string[] {
  const dir = path.join(ws.data, 'cache', 'tasks', task);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

function created(key: string): string {
  const meta = readFileSync(path.join(ws.data, 'cache', 'tasks', 'potree', key, 'meta.yaml'), 'utf8');
  return /^created: "?([^"\n]+)"?$/m.exec(meta)![1];
}

describe('cachex rebuild', () => {
  beforeEach(fresh);
  afterEach(() => ws.cleanup());

  it('re-runs an entry named by a key prefix: the converter runs again and the created time changes', () => {
    const key = store('a');
    const before = created(key);
    expect(ws.converterRuns()).toBe(1);
    const result = ws.run(['rebuild', key.slice(0, 8)]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`^forced potree ${key.slice(0, 12)} \\(ran .*stored`, 'm'));
    expect(result.stderr).toMatch(/^rebuilt 1, failed 0$/m);
    expect(result.stdout).toContain('converted a.pcd');
    expect(ws.converterRuns()).toBe(2);
    expect(created(key)).not.toBe(before);
    expect(keys()).toEqual([key]);
    expect(ws.run(['run', 'potree', '--file', ws.path('in/a.pcd')]).stderr).toMatch(/^hit /m);
    expect(ws.converterRuns()).toBe(2);
  });

  it('keeps the old entry when the rebuild fails, and exits 1', () => {
    const key = store('a');
    const before = created(key);
    const result = ws.run(['rebuild', key.slice(0, 8)], { env: { FAKE_EXIT: '1' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^failed potree [0-9a-f]{12}: the run exited with code 1; the stored entry was kept\.$/m,
    );
    expect(result.stderr).toMatch(/^rebuilt 0, failed 1$/m);
    expect(ws.converterRuns()).toBe(2);
    expect(created(key)).toBe(before);
    const again = ws.run(['run', 'potree', '--file', ws.path('in/a.pcd')]);
    expect(again.stderr).toMatch(/^hit /m);
    expect(again.code).toBe(0);
  });

  it('--task rebuilds every entry of that task and nothing else', () => {
    store('a');
    store('b');
    expect(ws.run(['run', 'sum']).code).toBe(0);
    const result = ws.run(['rebuild', '--task', 'potree', '--json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.rebuilt).toHaveLength(2);
    expect(summary.failed).toEqual([]);
    expect(ws.converterRuns()).toBe(4);
    expect(ws.taskRuns()).toBe(1);
  });

  it('--all rebuilds every entry with its stored params, TypeScript tasks included', () => {
    store('a');
    expect(ws.run(['run', 'sum', '--a', '5', '--note', 'x']).code).toBe(0);
    const result = ws.run(['rebuild', '--all']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^rebuilt 2, failed 0$/m);
    expect(result.stdout).toContain('sum is 7');
    expect(ws.taskRuns()).toBe(2);
    expect(ws.run(['run', 'sum', '--a', '5', '--note', 'x']).stderr).toMatch(/^hit /m);
  });

  it('stores a run whose input file changed since as a new entry and keeps the old one', () => {
    const key = store('a');
    const file = ws.path('in/a.pcd');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n# edited\n`);
    const result = ws.run(['rebuild', key.slice(0, 8)]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /inputs changed since it was stored .*; stored as a new entry [0-9a-f]{12} and kept the old one/,
    );
    expect(result.stderr).toMatch(/^rebuilt 1 \(1 as new entries\), failed 0$/m);
    expect(keys()).toHaveLength(2);
    expect(keys()).toContain(key);
  });

  it('counts an entry whose input file is gone as failed, saying which file', () => {
    const key = store('a');
    rmSync(ws.path('in/a.pcd'));
    const result = ws.run(['rebuild', key.slice(0, 8)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`its input file ${ws.path('in/a.pcd')} (--file) no longer exists`);
    expect(ws.converterRuns()).toBe(1);
    expect(keys()).toEqual([key]);
  });

  it('says a library entry can only be rebuilt from code: failed when named, skipped by --all', () => {
    ws.config(demoConfig().replace('    sum: {', "    libsum: { module: 'scripts', run: async () => 1 },\n    sum: {"));
    const key = JSON.parse(ws.run(['run', 'libsum', '--json']).stdout).key as string;
    ws.config(demoConfig());
    const named = ws.run(['rebuild', key.slice(0, 8)]);
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(
      /^failed libsum [0-9a-f]{12} is a library entry \(module scripts\); it can only be rebuilt from code \(call libsum\.make\(\{ force: true, … \}\)/m,
    );
    const all = ws.run(['rebuild', '--all', '--json']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).toMatch(/^skipped libsum [0-9a-f]{12} is a library entry/m);
    expect(all.stderr).toMatch(/^rebuilt 0, failed 0, skipped 1$/m);
    expect(JSON.parse(all.stdout).skipped).toEqual([expect.objectContaining({ task: 'libsum', key })]);
  });

  it('says a library entry can only be rebuilt from code also where there is no config', () => {
    ws.config(demoConfig().replace('    sum: {', "    libsum: { module: 'scripts', run: async () => 1 },\n    sum: {"));
    const key = JSON.parse(ws.run(['run', 'libsum', '--json']).stdout).key as string;
    rmSync(ws.path('cachex.config.ts'));
    const result = ws.run(['rebuild', key.slice(0, 8)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^failed libsum [0-9a-f]{12} is a library entry \(module scripts\); it can only be rebuilt from code/m,
    );
    expect(result.stderr).not.toContain('No cachex.config.ts found');
  });

  it('reports exec entries as skipped by --all (rebuilt by running the same cachex exec with --force)', () => {
    expect(ws.run(['exec', '--', 'sh', '-c', 'echo hi']).code).toBe(0);
    const result = ws.run(['rebuild', '--all']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^skipped sh [0-9a-f]{12} was stored by `cachex exec`; run the same `cachex exec --force -- …` command again to rebuild it\.$/m,
    );
    expect(result.stderr).toMatch(/^rebuilt 0, failed 0, skipped 1$/m);
  });
});

describe('cachex rebuild: bad input', () => {
  // One stored entry for the whole table (it was stored again for each case): a refused rebuild
  // runs nothing, which each case checks (the converter ran once, for this entry).
  beforeAll(() => {
    fresh();
    store('a');
  });
  afterAll(() => ws.cleanup());

  it.each([
    [
      [],
      /^error: Name what to rebuild: `cachex rebuild <key-prefix>…`, `cachex rebuild --task <task>` or `cachex rebuild --all`\.$/m,
    ],
    // Key prefix rules (hex only, 6 to 64 characters) are in test/unit/key-prefix.test.ts.
    [['../../etc'], /is not a key prefix/],
    [['--task', '../x'], /is not a task name/],
    [['--task', 'nosuch'], /Unknown task "nosuch"/],
  ])('rebuild %j exits 2 with one sentence and runs nothing', (args, message) => {
    const result = ws.run(['rebuild', ...(args as string[])]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message as RegExp);
    expect(isOneSentence(result.stderr)).toBe(true);
    expect(ws.converterRuns()).toBe(1);
  });
});
