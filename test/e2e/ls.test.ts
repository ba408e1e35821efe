import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REPO, Workspace, isOneSentence } from '../helpers/cli.js';

/** The root config: `convert` (TS) with a file param, a number param and the ignored `debug`. */
const CONFIG = ['--config', path.join(REPO, 'cachex.config.ts')];

interface Record {
  key: string;
  task: string;
  module: string;
  params: { file: string; resolution: number; debug: boolean };
  ignoredParams: string[];
  diskBytes: number;
  hits: number;
  dir: string;
  created: string;
  exitCode: number;
}

function lsJson(ws: Workspace, ...args: string[]): Record[] {
  const result = ws.run([...CONFIG, 'ls', '--json', ...args]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record[];
}

/** Bytes on disk as du counts them (allocated blocks). */
function du(dir: string): number {
  const result = spawnSync('du', ['-s', '--block-size=1', dir], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return Number(result.stdout.split('\t')[0]);
}

describe('cachex ls on an empty store', () => {
  let ws: Workspace;
  beforeEach(() => {
    ws = new Workspace();
  });
  afterEach(() => ws.cleanup());

  it('prints an empty table and exits 0 when the data folder does not exist', () => {
    const result = ws.run(['ls']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^task\s+key\s+params\s+size\s+created\s+last used\s+hits$/m);
    expect(result.stdout).toMatch(/^0 entries, 0 B on disk, 0 hits$/m);
    const json = ws.run(['ls', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it('prints an empty table for an empty data folder', () => {
    mkdirSync(path.join(ws.data, 'cache'), { recursive: true });
    const result = ws.run(['ls']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^0 entries/m);
    expect(JSON.parse(ws.run(['ls', '--json']).stdout)).toEqual([]);
  });
});

describe('cachex ls after three runs and two hits', () => {
  let ws: Workspace;
  const keyOf: { [resolution: string]: string } = {};

  beforeAll(() => {
    ws = new Workspace();
    ws.samplePcd('in/cloud.pcd');
    for (const resolution of ['0.1', '0.2', '0.5']) {
      const run = ws.run([...CONFIG, 'run', 'convert', '--file', 'in/cloud.pcd', '--resolution', resolution, '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).status).toBe('miss');
      keyOf[resolution] = JSON.parse(run.stdout).key;
    }
    // Two hits: 0.10 normalises to the 0.1 entry; --debug is ignored in the key.
    for (const args of [
      ['--resolution', '0.10'],
      ['--resolution', '0.5', '--debug'],
    ]) {
      const run = ws.run([...CONFIG, 'run', 'convert', '--file', 'in/cloud.pcd', ...args, '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).status).toBe('hit');
    }
  });
  afterAll(() => ws.cleanup());

  it('reports three entries with their hit counts and sizes that match du within 5 %', () => {
    const records = lsJson(ws);
    expect(records).toHaveLength(3);
    const byKey = new Map(records.map((r) => [r.key, r]));
    expect(byKey.get(keyOf['0.1'])?.hits).toBe(1);
    expect(byKey.get(keyOf['0.2'])?.hits).toBe(0);
    expect(byKey.get(keyOf['0.5'])?.hits).toBe(1);
    for (const record of records) {
      expect(record.task).toBe('convert');
      expect(record.module).toBe('tasks');
      expect(record.exitCode).toBe(0);
      expect(record.ignoredParams).toEqual(['debug']);
      expect(record.params.file).toBe(ws.path('in', 'cloud.pcd'));
      const measured = du(record.dir);
      expect(Math.abs(record.diskBytes - measured)).toBeLessThanOrEqual(measured * 0.05);
    }
  });

  it('prints a table with the short key, the key params (file by name, ignored ones left out) and a summary line', () => {
    const result = ws.run([...CONFIG, 'ls']);
    expect(result.code).toBe(0);
    const row = result.stdout.split('\n').find((line) => line.includes(keyOf['0.1'].slice(0, 12)));
    expect(row).toMatch(
      /^convert\s+[0-9a-f]{12}\s+file=cloud\.pcd resolution=0\.1 grid=origin format=binary\s+\S+ \S*B\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+1$/,
    );
    expect(result.stdout).not.toContain(keyOf['0.1'].slice(0, 13));
    expect(result.stdout).not.toContain('debug');
    expect(result.stdout).toMatch(/^3 entries, \S+ \S*B on disk, 2 hits$/m);
  });

  it('filters with --where on the stored, normalised param values', () => {
    expect(lsJson(ws, '--where', 'resolution=0.10').map((r) => r.key)).toEqual([keyOf['0.1']]);
    expect(lsJson(ws, '--where', 'file=cloud.pcd')).toHaveLength(3);
    expect(lsJson(ws, '--where', 'file=in/cloud.pcd', '--where', 'resolution=.5').map((r) => r.key)).toEqual([
      keyOf['0.5'],
    ]);
    expect(lsJson(ws, '--where', 'resolution=0.3')).toEqual([]);
    expect(lsJson(ws, '--where', 'nosuchparam=1')).toEqual([]);
    const table = ws.run([...CONFIG, 'ls', '--where', 'resolution=0.2']);
    expect(table.stdout).toMatch(/^1 entry, /m);
  });

  it('lists only the named task', () => {
    expect(lsJson(ws, 'convert')).toHaveLength(3);
    expect(lsJson(ws, 'potree')).toEqual([]);
  });

  it('sorts by size, hits and created time, largest and newest first', () => {
    const bySize = lsJson(ws, '--sort', 'size').map((r) => r.diskBytes);
    expect(bySize).toEqual([...bySize].sort((a, b) => b - a));
    const byHits = lsJson(ws, '--sort', 'hits').map((r) => r.hits);
    expect(byHits).toEqual([1, 1, 0]);
    const byCreated = lsJson(ws, '--sort', 'created').map((r) => r.key);
    expect(byCreated).toEqual([keyOf['0.5'], keyOf['0.2'], keyOf['0.1']]);
    expect(lsJson(ws, '--sort', 'used')).toHaveLength(3);
  });

  it('refuses a malformed --where or an unknown --sort with exit 2 and one sentence', () => {
    // A --where without "=" ('resolution') was a case here too: the same parseWhere rule, a unit
    // test with the same input in test/unit/ls-where.test.ts.
    for (const args of [
      ['--where', '=0.1'],
      ['--sort', 'name'],
    ]) {
      const result = ws.run([...CONFIG, 'ls', ...args]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(isOneSentence(result.stderr, 1)).toBe(true);
    }
  });
});
