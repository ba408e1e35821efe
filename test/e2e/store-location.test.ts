import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_CONVERTER, REPO, Workspace } from '../helpers/cli.js';
import { demoConfig } from '../helpers/configs.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-where-');
  mkdirSync(ws.path('sub', 'deeper'), { recursive: true });
});
afterEach(() => ws.cleanup());

const NO_DATA_FOLDER = { DATA_FOLDER: '' };

/** A script using the built library: one cached function that counts its runs in $COUNT_FILE. */
function writeLibraryScript(): string {
  return ws.write(
    'job.mjs',
    `import { appendFileSync } from 'node:fs';
import { cache } from ${JSON.stringify(pathToFileURL(path.join(REPO, 'dist', 'index.js')).href)};
const double = cache(async function double({ n }) {
  appendFileSync(process.env.COUNT_FILE, 'x\\n');
  return n * 2;
});
const value = await double({ n: 21 });
process.stdout.write(JSON.stringify({ value, outDir: double.outDir({ n: 21 }) }));
`,
  );
}

function runScript(script: string, cwd: string): { value: number; outDir: string } {
  const r = spawnSync(process.execPath, [script], { cwd, env: { ...ws.env, ...NO_DATA_FOLDER }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('one store location rule for the CLI and the library', () => {
  it('library calls from the project root and from sub/ share the store beside package.json: a hit', () => {
    ws.write('package.json', '{ "name": "someone-else", "private": true }\n');
    const script = writeLibraryScript();
    const first = runScript(script, ws.dir);
    const second = runScript(script, ws.path('sub', 'deeper'));
    expect(second).toEqual(first);
    expect(ws.taskRuns()).toBe(1);
    expect(first.outDir.startsWith(ws.path('.cachex', 'cache', 'job', 'double'))).toBe(true);
    expect(existsSync(ws.path('sub', 'deeper', '.cachex'))).toBe(false);
    expect(existsSync(ws.path('sub', '.cachex'))).toBe(false);
  });

  it('the folder of the nearest config wins over a nearer package.json, for the library as for the CLI', () => {
    ws.config(demoConfig());
    ws.write('sub/package.json', '{ "name": "inner", "private": true }\n');
    const script = writeLibraryScript();
    runScript(script, ws.dir);
    runScript(script, ws.path('sub', 'deeper'));
    expect(ws.taskRuns()).toBe(1);
    expect(existsSync(ws.path('.cachex', 'cache', 'job', 'double'))).toBe(true);
    // The CLI, started from the sub-folder, lists the library's entry from the same store.
    const ls = ws.run(['ls', '--json'], { cwd: ws.path('sub', 'deeper'), env: NO_DATA_FOLDER });
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout).map((e: { task: string }) => e.task)).toEqual(['double']);
  });

  it('DATA_FOLDER=.cachex in .env beside the config: runs from the root and from sub/ share one store', () => {
    ws.config(demoConfig());
    ws.write('.env', 'DATA_FOLDER=.cachex\n');
    const fromRoot = ws.run(['run', 'sum'], { env: NO_DATA_FOLDER });
    expect(fromRoot.code, fromRoot.stderr).toBe(0);
    expect(fromRoot.stderr).toMatch(/^miss sum /m);
    const fromSub = ws.run(['run', 'sum'], { cwd: ws.path('sub', 'deeper'), env: NO_DATA_FOLDER });
    expect(fromSub.stderr).toMatch(/^hit sum /m);
    expect(ws.taskRuns()).toBe(1);
    expect(existsSync(ws.path('.cachex', 'cache', 'tasks', 'sum'))).toBe(true);
    expect(existsSync(ws.path('sub', 'deeper', '.cachex'))).toBe(false);
    const shown = ws.run(['config', '--json'], { cwd: ws.path('sub', 'deeper'), env: NO_DATA_FOLDER });
    expect(JSON.parse(shown.stdout)['data folder']).toEqual({
      value: ws.path('.cachex'),
      source: 'DATA_FOLDER (.env)',
    });
  });

  it('the library reads DATA_FOLDER from the project .env too, relative to that file', () => {
    ws.config(demoConfig());
    ws.write('.env', 'DATA_FOLDER=shared-store\n');
    const script = writeLibraryScript();
    const fromSub = runScript(script, ws.path('sub'));
    expect(fromSub.outDir.startsWith(ws.path('shared-store', 'cache', 'job', 'double'))).toBe(true);
    runScript(script, ws.dir);
    expect(ws.taskRuns()).toBe(1);
    expect(ws.run(['run', 'sum'], { cwd: ws.path('sub'), env: NO_DATA_FOLDER }).code).toBe(0);
    expect(existsSync(ws.path('shared-store', 'cache', 'tasks', 'sum'))).toBe(true);
  });

  it('a relative DATA_FOLDER from the real environment stays relative to the current folder', () => {
    ws.config(demoConfig());
    const shown = ws.run(['config', '--json'], { cwd: ws.path('sub'), env: { DATA_FOLDER: 'here' } });
    expect(JSON.parse(shown.stdout)['data folder']).toEqual({
      value: ws.path('sub', 'here'),
      source: 'DATA_FOLDER (environment)',
    });
  });

  it('a converter path in .env is relative to the .env, so a run from sub/ finds it', () => {
    ws.config(demoConfig());
    mkdirSync(ws.path('tools'));
    copyFileSync(FAKE_CONVERTER, ws.path('tools', 'converter'));
    chmodSync(ws.path('tools', 'converter'), 0o755);
    ws.write('.env', 'POTREE_CONVERTER=tools/converter\n');
    const file = ws.samplePcd('sub/a.pcd');
    const r = ws.run(['run', 'potree', '--file', file], { cwd: ws.path('sub'), env: { POTREE_CONVERTER: '' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('converted a.pcd\n');
  });

  it('cachex config names the rule that found the project root', () => {
    const root = (cwd: string) =>
      JSON.parse(ws.run(['config', '--json'], { cwd, env: NO_DATA_FOLDER }).stdout)['project root'];
    expect(root(ws.path('sub'))).toEqual({
      value: ws.path('sub'),
      source: 'current folder (no config file or package.json found)',
    });
    ws.write('package.json', '{ "private": true }\n');
    expect(root(ws.path('sub'))).toEqual({
      value: ws.dir,
      source: 'folder of the nearest package.json (no config file found)',
    });
    const data = JSON.parse(ws.run(['config', '--json'], { cwd: ws.path('sub'), env: NO_DATA_FOLDER }).stdout)[
      'data folder'
    ];
    expect(data).toEqual({ value: ws.path('.cachex'), source: 'default (<project root>/.cachex)' });
    ws.config(demoConfig(), 'sub/cachex.config.ts');
    expect(root(ws.path('sub', 'deeper'))).toEqual({ value: ws.path('sub'), source: 'folder of the config file' });
  });
});
