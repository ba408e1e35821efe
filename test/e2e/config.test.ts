import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace, isOneSentence } from '../helpers/cli.js';
import { demoConfig } from '../helpers/configs.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.cleanup());

describe('configuration', () => {
  it('finds the config walking up from a sub-folder and keys a file relative to the cwd', () => {
    ws.config(demoConfig());
    ws.samplePcd('deep/er/a.pcd');
    const result = ws.run(['run', 'potree', '--file', 'a.pcd'], { cwd: ws.path('deep', 'er') });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('converted a.pcd\n');
  });

  it('loads a plain .mjs config and an explicit --config', () => {
    ws.write('conf/tasks.mjs', demoConfig().replace(/ctx\) =>/, 'ctx) =>'));
    ws.samplePcd();
    const result = ws.run(['--config', 'conf/tasks.mjs', 'run', 'potree', '--file', 'in/a.pcd']);
    expect(result.code).toBe(0);
    const after = ws.run(['run', 'potree', '--file', 'in/a.pcd', '--config', 'conf/tasks.mjs']);
    expect(after.stderr).toMatch(/^hit /m);
  });

  it('says how to create a config when there is none (exit 3)', () => {
    const result = ws.run(['run', 'convert', '--file', 'x']);
    expect(result.code).toBe(3);
    // Every name the search tried, not just one.
    expect(result.stderr).toMatch(/No cachex\.config\.ts, \.mts, \.js or \.mjs found in this folder or any parent/);
    expect(isOneSentence(result.stderr)).toBe(true);
  });

  // A param whose flag clashes with a cachex option (--force) is refused when the config loads:
  // a unit test of validateConfig with the same sentence in test/unit/config-validate.test.ts;
  // test/e2e/config-keys.test.ts proves the CLI refuses a config validateConfig rejects (exit 3).

  it('reports a config that does not compile as one configuration error', () => {
    ws.config('export default {{{');
    const result = ws.run(['tasks']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/Could not load the config file/);
    expect(isOneSentence(result.stderr)).toBe(true);
  });

  it('data folder precedence: --data-folder, then DATA_FOLDER, then .env, then the config, then .cachex', () => {
    ws.config(demoConfig().replace('tasks: {', "dataFolder: 'from-config',\n  tasks: {"));
    const folder = (env: NodeJS.ProcessEnv, args: string[] = []) =>
      JSON.parse(ws.run(['config', '--json', ...args], { env }).stdout)['data folder'];
    expect(folder({ DATA_FOLDER: '' })).toEqual({ value: ws.path('from-config'), source: 'dataFolder in the config' });
    writeFileSync(ws.path('.env'), 'DATA_FOLDER=from-dotenv\nPOTREE_CONVERTER=/opt/potree\n');
    expect(folder({ DATA_FOLDER: '' })).toEqual({ value: ws.path('from-dotenv'), source: 'DATA_FOLDER (.env)' });
    expect(folder({ DATA_FOLDER: ws.path('from-env') })).toEqual({
      value: ws.path('from-env'),
      source: 'DATA_FOLDER (environment)',
    });
    expect(folder({ DATA_FOLDER: ws.path('from-env') }, ['--data-folder', 'flag'])).toEqual({
      value: ws.path('flag'),
      source: '--data-folder',
    });
    const text = ws.run(['config'], { env: { DATA_FOLDER: '', POTREE_CONVERTER: '' } }).stdout;
    expect(text).toMatch(/converter \(POTREE_CONVERTER\)\s+\/opt\/potree\s+\[POTREE_CONVERTER \(\.env\)\]/);
  });

  it('defaults the data folder to .cachex beside the config', () => {
    ws.config(demoConfig());
    const result = ws.run(['run', 'sum'], { env: { DATA_FOLDER: '' } });
    expect(result.code).toBe(0);
    expect(existsSync(ws.path('.cachex', 'cache', 'tasks', 'sum'))).toBe(true);
  });

  it('params file defaults override task defaults and flags override both', () => {
    ws.config(demoConfig());
    ws.write('cachex.params.yaml', 'sum:\n  a: 10\n');
    expect(JSON.parse(ws.run(['run', 'sum', '--json']).stdout).result.sum).toBe(12);
    expect(JSON.parse(ws.run(['run', 'sum', '--a', '5', '--json']).stdout).result.sum).toBe(7);
    ws.write('other.json', JSON.stringify({ sum: { b: 100 } }));
    expect(JSON.parse(ws.run(['run', 'sum', '--params', 'other.json', '--json']).stdout).result.sum).toBe(101);
    ws.write('cachex.params.yaml', 'sum:\n  zzz: 1\n');
    const bad = ws.run(['run', 'sum']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/sets "sum\.zzz", which is not a param of sum/);
  });
});

describe('tasks, help and dry runs', () => {
  beforeEach(() => ws.config(demoConfig()));

  it('lists tasks with params, defaults and ignore lists', () => {
    const text = ws.run(['tasks']).stdout;
    expect(text).toMatch(/^potree — stand-in converter$/m);
    expect(text).toMatch(/--verbose\s+boolean, default false, ignored in key/);
    expect(text).toMatch(/--quality\s+enum\(low\|high\), default "low"/);
    const json = JSON.parse(ws.run(['tasks', '--json']).stdout);
    expect(json.map((t: { name: string }) => t.name)).toEqual(['potree', 'echo', 'flaky', 'sum']);
  });

  it('generates --help per task with its flags', () => {
    const help = ws.run(['run', 'potree', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--file <file>/);
    expect(help.stdout).toMatch(/--quality <choice>\s+one of low, high; default "low"/);
    expect(help.stdout).toMatch(/--no-verbose/);
  });

  it('--dry-run prints the key, each key input and hit or miss, and runs nothing', () => {
    const file = ws.samplePcd();
    const dry = ws.run(['run', 'potree', '--file', file, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^status: miss$/m);
    expect(dry.stdout).toMatch(/^ {2}param file: \{"digest":"[0-9a-f]{64}"\}$/m);
    expect(dry.stdout).toMatch(/^ {2}executable: \{"digest":"[0-9a-f]{64}","path":".*fake-converter"\}$/m);
    expect(ws.converterRuns()).toBe(0);
    expect(existsSync(path.join(ws.data, 'cache'))).toBe(false);
    const key = dry.stdout.match(/^key: {4}([0-9a-f]{64})$/m)![1];
    const run = ws.run(['run', 'potree', '--file', file, '--json']);
    expect(JSON.parse(run.stdout).key).toBe(key);
    const again = JSON.parse(ws.run(['run', 'potree', '--file', file, '--dry-run', '--json']).stdout);
    expect(again.status).toBe('hit');
  });

  it('--quiet prints only the task output; --json keeps stdout machine-readable', () => {
    const file = ws.samplePcd();
    const quiet = ws.run(['run', 'potree', '--file', file, '--quiet']);
    expect(quiet.stdout).toBe('converted a.pcd\n');
    expect(quiet.stderr).toBe('note: demo\n');
    const json = ws.run(['run', 'potree', '--file', file, '--json']);
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({ status: 'hit', task: 'potree', exitCode: 0, stored: true });
    expect(json.stderr).toContain('converted a.pcd');
  });
});

describe('file and dir params', () => {
  it('keys a dir param by its tree and a keyBy path param by its path', () => {
    ws.config(`import { defineConfig } from 'cachex';
import { readdirSync, appendFileSync } from 'node:fs';
export default defineConfig({ tasks: {
  tree: { params: { src: { type: 'dir', required: true } }, run: ({ src }) => { appendFileSync(process.env.COUNT_FILE, 'x\\n'); return readdirSync(src).length; } },
  named: { params: { file: { type: 'file', required: true, keyBy: 'path' } }, run: ({ file }) => { appendFileSync(process.env.COUNT_FILE, 'x\\n'); return file.length; } },
} });`);
    // Each keying rule (unchanged tree hits, a change deep inside misses, another path misses) is
    // a unit test in test/unit/key-inputs.test.ts; here, that the CLI keys both kinds that way.
    mkdirSync(ws.path('src/sub'), { recursive: true });
    writeFileSync(ws.path('src/a.txt'), 'a');
    expect(ws.run(['run', 'tree', '--src', 'src']).stderr).toMatch(/^miss /m);
    writeFileSync(ws.path('src/sub/b.txt'), 'b');
    expect(ws.run(['run', 'tree', '--src', 'src']).stderr).toMatch(/^miss /m);

    writeFileSync(ws.path('one.txt'), '1');
    expect(ws.run(['run', 'named', '--file', 'one.txt']).stderr).toMatch(/^miss /m);
    writeFileSync(ws.path('one.txt'), 'changed');
    expect(ws.run(['run', 'named', '--file', 'one.txt']).stderr).toMatch(/^hit /m);
    expect(ws.taskRuns()).toBe(3);
    expect(readdirSync(path.join(ws.data, 'cache', 'tasks'))).toEqual(['named', 'tree']);
  });

  it('accepts unicode file names', () => {
    ws.config(demoConfig());
    const file = ws.samplePcd('in/nuage-ünïcödé ☁.pcd');
    const result = ws.run(['run', 'potree', '--file', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('converted nuage-ünïcödé ☁.pcd\n');
  });
});
