import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, Workspace } from '../helpers/cli.js';

/**
 * `ls` over a big store reads a derived summary of each task's entries
 * (store/local/summary.ts) instead of every meta.yaml: here, that it does,
 * and that nothing it remembers is ever shown over what the entry says now.
 */
const CONFIG = ['--config', path.join(REPO, 'cachex.config.ts')];

interface Row {
  key: string;
  dir: string;
  hits: number;
  diskBytes: number;
  params: Record<string, unknown>;
  problem: string | null;
}

function lsJson(ws: Workspace): Row[] {
  const result = ws.run([...CONFIG, 'ls', '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Row[];
}

/** The task's summaries: one file per first hex digit of the key. */
const summaryFolder = (ws: Workspace) => path.join(ws.data, 'summaries', 'tasks', 'convert');
const summaryFile = (ws: Workspace, key: string) => path.join(summaryFolder(ws), `${key[0]}.txt`);
const summaryText = (ws: Workspace, key: string) =>
  existsSync(summaryFile(ws, key)) ? readFileSync(summaryFile(ws, key), 'utf8') : '';

/** Lists until the summary records every key (a meta.yaml written a moment ago is not recorded yet). */
async function summarised(ws: Workspace, keys: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    lsJson(ws);
    if (keys.every((key) => summaryText(ws, key).includes(`\n${key}\t`))) return;
    if (Date.now() > deadline) throw new Error('the summary never recorded the entries');
    await sleep(50);
  }
}

/** The files a command opened, from strace. */
function opened(ws: Workspace, args: string[]): { stdout: string; files: string[] } {
  const trace = ws.path(`trace-${Date.now()}.txt`);
  const result = spawnSync(
    'strace',
    ['-f', '-qq', '-e', 'trace=open,openat', '-o', trace, process.execPath, CLI, ...args],
    {
      cwd: ws.dir,
      env: ws.env,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  expect(result.status, result.stderr).toBe(0);
  const files = readFileSync(trace, 'utf8')
    .split('\n')
    .map((line) => /open(?:at)?\([^"]*"([^"]+)"/.exec(line)?.[1])
    .filter((f): f is string => Boolean(f));
  return { stdout: result.stdout, files };
}

describe('cachex ls through the summary of a task', () => {
  let ws: Workspace;
  const keys: string[] = [];

  beforeAll(async () => {
    ws = new Workspace();
    ws.samplePcd('in/cloud.pcd');
    for (const resolution of ['0.1', '0.2', '0.5']) {
      const run = ws.run([...CONFIG, 'run', 'convert', '--file', 'in/cloud.pcd', '--resolution', resolution, '--json']);
      expect(run.code, run.stderr).toBe(0);
      keys.push(JSON.parse(run.stdout).key);
    }
    await summarised(ws, keys);
  });
  afterAll(() => ws.cleanup());

  it('reads no meta.yaml for unchanged entries, and prints what a listing read afresh prints', () => {
    const through = opened(ws, [...CONFIG, 'ls']);
    expect(through.files.filter((f) => f.endsWith('meta.yaml'))).toEqual([]);
    for (const key of keys) expect(through.files).toContain(summaryFile(ws, key));
    // The checked metas are beside the briefs, read by what needs them (prune's checks), not by ls.
    expect(through.files.filter((f) => f.endsWith('.metas'))).toEqual([]);
    const prune = opened(ws, [...CONFIG, 'prune', '--max-size', '1TB', '--dry-run']);
    expect(prune.files.filter((f) => f.endsWith('meta.yaml'))).toEqual([]);
    expect(prune.files.filter((f) => f.endsWith('.metas')).length).toBeGreaterThan(0);
    const summaries = path.join(ws.data, 'summaries');
    renameSync(summaries, `${summaries}-aside`);
    const afresh = opened(ws, [...CONFIG, 'ls']);
    expect(afresh.files.filter((f) => f.endsWith('meta.yaml'))).toHaveLength(3);
    expect(through.stdout).toBe(afresh.stdout);
    rmSync(summaries, { recursive: true, force: true });
    renameSync(`${summaries}-aside`, summaries);
  });

  it('counts a hit made after the summary was written', () => {
    const hit = ws.run([...CONFIG, 'run', 'convert', '--file', 'in/cloud.pcd', '--resolution', '0.2', '--json']);
    expect(JSON.parse(hit.stdout).status).toBe('hit');
    const row = lsJson(ws).find((r) => r.key === keys[1]);
    expect(row?.hits).toBe(1);
  });

  it('never shows a value of a meta.yaml altered in place with its mtime set back: ls and inspect report it damaged', async () => {
    await summarised(ws, keys);
    const row = lsJson(ws).find((r) => r.key === keys[2])!;
    const file = path.join(row.dir, 'meta.yaml');
    const before = statSync(file, { bigint: true });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('value: 0.5\n');
    spawnSync('chmod', ['u+w', file]);
    writeFileSync(file, text.replace('value: 0.5\n', 'value: 0.9\n'));
    const sec = before.mtimeNs / 1_000_000_000n;
    const ns = (before.mtimeNs % 1_000_000_000n).toString().padStart(9, '0');
    expect(spawnSync('touch', ['-m', '-d', `@${sec}.${ns}`, file]).status).toBe(0);
    const after = statSync(file, { bigint: true });
    expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);

    const table = ws.run([...CONFIG, 'ls']);
    expect(table.code, table.stderr).toBe(0);
    const line = table.stdout.split('\n').find((l) => l.includes(keys[2].slice(0, 12)));
    expect(line).toMatch(/\(meta\.yaml digest mismatch/);
    expect(table.stdout).not.toContain('resolution=0.9');
    expect(table.stdout).not.toMatch(new RegExp(`${keys[2].slice(0, 12)}.*resolution=0\\.5`));
    const damaged = lsJson(ws).find((r) => r.key === keys[2])!;
    expect([damaged.problem, damaged.params]).toEqual([expect.stringMatching(/digest mismatch/), {}]);
    const inspect = ws.run([...CONFIG, 'inspect', keys[2].slice(0, 12)]);
    expect(inspect.stdout).toMatch(/problem: +meta\.yaml digest mismatch/);
    expect(inspect.stdout).not.toContain('0.9');
  });

  it('an entry folder removed by hand is not listed', () => {
    const row = lsJson(ws).find((r) => r.key === keys[0])!;
    rmSync(row.dir, { recursive: true, force: true });
    expect(lsJson(ws).map((r) => r.key)).not.toContain(keys[0]);
    // No temporary file left; no file of a digit no key starts with.
    const digits = [...new Set(keys.slice(1).flatMap((key) => [`${key[0]}.txt`, `${key[0]}.metas`]))].sort();
    expect(readdirSync(summaryFolder(ws)).sort()).toEqual(digits);
    expect(summaryText(ws, keys[0])).not.toContain(keys[0]);
  });
});

describe('what a listing through the summary stats', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = new Workspace();
    ws.config(`export default {
  tasks: {
    plain: { params: { n: { type: 'integer', default: 1 } }, command: ['sh', '-c', 'echo "n=$0"', '{n}'] },
    files: { params: { n: { type: 'integer', default: 1 } }, command: ['sh', '-c', 'echo "$0" > "$1/a.txt"', '{n}', '{out}'] },
  },
};
`);
  });
  afterAll(() => ws.cleanup());

  /** The paths a command stat'ed, from strace. */
  function statted(args: string[]): string[] {
    const trace = ws.path(`stat-trace-${Date.now()}.txt`);
    const result = spawnSync(
      'strace',
      ['-f', '-qq', '-e', 'trace=stat,lstat,newfstatat,statx', '-o', trace, process.execPath, CLI, ...args],
      { cwd: ws.dir, env: ws.env, encoding: 'utf8', timeout: 120_000 },
    );
    expect(result.status, result.stderr).toBe(0);
    return readFileSync(trace, 'utf8')
      .split('\n')
      .map((line) => /"([^"]+)"/.exec(line)?.[1])
      .filter((f): f is string => Boolean(f));
  }

  it("reads verified.json's size only for entries with outputs (without outputs nothing ever rewrites it), and sizes as a fresh listing", async () => {
    const keys: Record<string, string> = {};
    for (const task of ['plain', 'files']) {
      const run = ws.run(['run', task, '--json']);
      expect(run.code, run.stderr).toBe(0);
      keys[task] = JSON.parse(run.stdout).key;
    }
    const listing = () => {
      const r = ws.run(['ls', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Row[];
    };
    const rows = listing();
    const dirs = Object.fromEntries(
      Object.entries(keys).map(([task, key]) => [task, rows.find((r) => r.key === key)!.dir]),
    );
    // Until both are recorded (a meta.yaml written a moment ago is not).
    const deadline = Date.now() + 30_000;
    const summaries = path.join(ws.data, 'summaries', 'tasks');
    const recorded = (task: string) =>
      readdirSync(path.join(summaries, task)).some((name) =>
        readFileSync(path.join(summaries, task, name), 'utf8').includes(path.basename(dirs[task])),
      );
    for (;;) {
      listing();
      if (['plain', 'files'].every((task) => existsSync(path.join(summaries, task)) && recorded(task))) break;
      if (Date.now() > deadline) throw new Error('the summary never recorded the entries');
      await sleep(50);
    }
    const through = statted(['ls']);
    expect(through).toContain(path.join(dirs.files, 'verified.json'));
    expect(through).not.toContain(path.join(dirs.plain, 'verified.json'));
    expect(through).toContain(path.join(dirs.plain, 'meta.yaml'));
    const sizes = (rows: Row[]) => Object.fromEntries(rows.map((r) => [r.dir, r.diskBytes]));
    const summarisedSizes = sizes(listing());
    renameSync(path.join(ws.data, 'summaries'), path.join(ws.data, 'summaries-aside'));
    expect(sizes(listing())).toEqual(summarisedSizes);
    const du = (dir: string) => Number(spawnSync('du', ['-s', '-B1', dir], { encoding: 'utf8' }).stdout.split('\t')[0]);
    for (const dir of Object.values(dirs)) expect(summarisedSizes[dir]).toBe(du(dir));
  });
});
