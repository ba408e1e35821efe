import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_CONVERTER, Workspace, isOneSentence } from '../helpers/cli.js';
import { demoConfig } from '../helpers/configs.js';

let ws: Workspace;
let staticDir: string;

beforeEach(() => {
  ws = new Workspace();
  ws.config(demoConfig());
  staticDir = path.join(ws.data, 'static');
});
afterEach(() => ws.cleanup());

function runPublish(variant: string, name: string) {
  const file = ws.samplePcd(`in/${variant}.pcd`, variant);
  return ws.run(['run', 'potree', '--file', file, '--publish', name, '--json']);
}

function entryOut(key: string): string {
  return path.join(ws.data, 'cache', 'tasks', 'potree', key, 'out');
}

describe('run --publish NAME', () => {
  it('puts the outputs under DATA_FOLDER/static/NAME, outside the cache', () => {
    const result = runPublish('a', 'web');
    expect(result.code).toBe(0);
    const { key } = JSON.parse(result.stdout);
    const published = path.join(staticDir, 'web');
    expect(readdirSync(published).sort()).toEqual(['cloud.bin', 'hierarchy.bin', 'metadata.json', 'octree.bin']);
    for (const name of ['cloud.bin', 'hierarchy.bin', 'metadata.json', 'octree.bin']) {
      expect(readFileSync(path.join(published, name))).toEqual(readFileSync(path.join(entryOut(key), name)));
      expect(realpathSync(path.join(published, name)).startsWith(realpathSync(staticDir) + path.sep)).toBe(true);
    }
  });

  it('publishes on a hit too', () => {
    runPublish('a', 'first');
    const hit = runPublish('a', 'second');
    expect(hit.code).toBe(0);
    expect(JSON.parse(hit.stdout).status).toBe('hit');
    expect(readFileSync(path.join(staticDir, 'second', 'metadata.json'), 'utf8')).toContain('"source":"a.pcd"');
    expect(ws.converterRuns()).toBe(1);
  });

  it('a second publish under the same name replaces the first whole, leaving no older copy behind', () => {
    runPublish('a', 'web');
    const result = runPublish('b', 'web');
    expect(result.code).toBe(0);
    const published = path.join(staticDir, 'web');
    expect(readFileSync(path.join(published, 'metadata.json'), 'utf8')).toContain('"source":"b.pcd"');
    expect(readFileSync(path.join(published, 'cloud.bin'))).toEqual(
      readFileSync(path.join(entryOut(JSON.parse(result.stdout).key), 'cloud.bin')),
    );
    // The name is swapped in one rename (a symlink to a complete folder): one folder behind it, no temporaries.
    expect(lstatSync(published).isSymbolicLink()).toBe(true);
    const rest = readdirSync(staticDir).filter((n) => n !== 'web');
    expect(rest).toHaveLength(1);
    expect(rest[0]).toMatch(/^\.web\./);
    expect(rest[0]).not.toMatch(/link-/);
  });

  it('survives cachex prune --all: the published files stay readable after the entry is gone', () => {
    const result = runPublish('a', 'web');
    const { key } = JSON.parse(result.stdout);
    const before = readFileSync(path.join(staticDir, 'web', 'cloud.bin'));
    const pruned = ws.run(['prune', '--all', '--json']);
    expect(pruned.code).toBe(0);
    expect(JSON.parse(pruned.stdout).removed.map((e: { key: string }) => e.key)).toEqual([key]);
    expect(existsSync(entryOut(key))).toBe(false);
    expect(readFileSync(path.join(staticDir, 'web', 'cloud.bin'))).toEqual(before);
    expect(readFileSync(path.join(staticDir, 'web', 'metadata.json'), 'utf8')).toContain('"source":"a.pcd"');
  });

  it('publishes the --output files of cachex exec', () => {
    ws.samplePcd('in/a.pcd');
    const result = ws.run([
      'exec',
      '--input',
      'in/a.pcd',
      '--output',
      'conv',
      '--publish',
      'ci',
      '--',
      FAKE_CONVERTER,
      'in/a.pcd',
      '-o',
      'conv',
    ]);
    expect(result.code).toBe(0);
    expect(readFileSync(path.join(staticDir, 'ci', 'conv', 'metadata.json'), 'utf8')).toContain('"source":"a.pcd"');
  });

  it('refuses to replace a static/NAME that --publish did not make', () => {
    mkdirSync(path.join(staticDir, 'mine'), { recursive: true });
    const result = runPublish('a', 'mine');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/exists and was not made by --publish; move it away first/);
    expect(readdirSync(path.join(staticDir, 'mine'))).toEqual([]);
  });

  // The other hostile names ('a/b', '..', '.', '.hidden', '', '-x', 'x\\y') are unit tests of the
  // same rule in test/unit/run-flags.test.ts.
  it.each(['../x'])('refuses the hostile name %j with exit 2 and writes nothing', (name) => {
    const file = ws.samplePcd();
    const result = ws.run(['run', 'potree', '--file', file, `--publish=${name}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--publish .* is not a valid name/);
    expect(isOneSentence(result.stderr)).toBe(true);
    expect(ws.converterRuns()).toBe(0);
    expect(existsSync(staticDir)).toBe(false);
    expect(existsSync(path.join(ws.data, 'x'))).toBe(false);
    expect(existsSync(ws.path('x'))).toBe(false);
    expect(existsSync(ws.path('a'))).toBe(false);
  });
});

describe('run --publish safety', () => {
  it('does not replace a good publish with the outputs of a failed run', () => {
    const file = ws.samplePcd('in/a.pcd', 'a');
    expect(ws.run(['run', 'flaky', '--file', file, '--publish', 'web']).code).toBe(0);
    const before = readFileSync(path.join(staticDir, 'web', 'cloud.bin'));
    const other = ws.samplePcd('in/b.pcd', 'b');
    const failed = ws.run(['run', 'flaky', '--file', other, '--publish', 'web'], { env: { FAKE_EXIT: '5' } });
    expect(failed.code).toBe(5);
    expect(failed.stderr).toMatch(/not published as web: the run was not stored/);
    expect(readFileSync(path.join(staticDir, 'web', 'cloud.bin'))).toEqual(before);
  });

  it('refuses a foreign static/NAME folder before running anything', () => {
    mkdirSync(path.join(staticDir, 'mine'), { recursive: true });
    const result = ws.run(['run', 'potree', '--file', ws.samplePcd(), '--publish', 'mine']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/was not made by --publish; move it away first/);
    expect(ws.converterRuns()).toBe(0);
    expect(existsSync(path.join(ws.data, 'cache'))).toBe(false);
  });
});
