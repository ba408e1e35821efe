import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace, isOneSentence } from '../helpers/cli.js';
import { demoConfig } from '../helpers/configs.js';

let ws: Workspace;

beforeEach(() => {
  ws = new Workspace();
  ws.config(demoConfig());
});
afterEach(() => ws.cleanup());

/** Runs `potree` on a variant of the sample and returns the entry's key. */
function store(variant: string, extra: string[] = []): string {
  const file = ws.samplePcd(`in/${variant}.pcd`, variant);
  const result = ws.run(['run', 'potree', '--file', file, '--json', ...extra]);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout).key as string;
}

function hit(variant: string): void {
  const result = ws.run(['run', 'potree', '--file', ws.path(`in/${variant}.pcd`)]);
  expect(result.stderr).toMatch(/^hit /m);
}

function keys(task = 'potree'): string[] {
  const dir = path.join(ws.data, 'cache', 'tasks', task);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

function entryDir(key: string, task = 'potree'): string {
  return path.join(ws.data, 'cache', 'tasks', task, key);
}

function createdAt(key: string): number {
  const meta = readFileSync(path.join(entryDir(key), 'meta.yaml'), 'utf8');
  return Date.parse(/^created: "?([^"\n]+)"?$/m.exec(meta)![1]);
}

/** Pretends the entry was last hit `minutes` ago. */
function lastHitAgo(key: string, minutes: number): void {
  const when = new Date(Date.now() - minutes * 60_000);
  utimesSync(path.join(entryDir(key), 'usage.log'), when, when);
}

interface PruneJson {
  removed: { key: string; task: string; module: string; bytes: number; reason: string }[];
  staging: { path: string; bytes: number; reason: string }[];
  staleLocks: { path: string; reason: string }[];
  skipped: { key: string; reason: string }[];
  freedBytes: number;
  remainingBytes: number;
  dryRun: boolean;
}

function prune(args: string[]): PruneJson {
  const result = ws.run(['prune', ...args, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as PruneJson;
}

/** Bytes on disk of each entry, as prune counts them (a dry run of --all). */
function sizes(): Map<string, number> {
  return new Map(prune(['--all', '--dry-run']).removed.map((e) => [e.key, e.bytes]));
}

describe('cachex prune: choosing entries', () => {
  it('removes no entries without a selector and says which selector to add', () => {
    store('a');
    store('b');
    const result = ws.run(['prune']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /No entries were selected; add --older-than, --unused-for, --max-size, --task, --keep or --all/,
    );
    expect(keys()).toHaveLength(2);
  });

  it('--max-size leaves the store under the size, removing least recently used first', () => {
    const a = store('a');
    const b = store('b');
    const c = store('c');
    for (const v of ['a', 'b', 'c']) hit(v);
    lastHitAgo(a, 60);
    lastHitAgo(b, 180);
    lastHitAgo(c, 120);
    const bytes = sizes();
    expect(bytes.size).toBe(3);

    const first = prune(['--max-size', String(bytes.get(a)! + bytes.get(c)!)]);
    expect(first.removed.map((e) => e.key)).toEqual([b]);
    expect(first.removed[0].reason).toMatch(/least recently used/);
    expect(keys()).toEqual([a, c].sort());

    const second = prune(['--max-size', String(bytes.get(a)!)]);
    expect(second.removed.map((e) => e.key)).toEqual([c]);
    expect(keys()).toEqual([a]);
    const left = [...sizes().values()].reduce((n, x) => n + x, 0);
    expect(left).toBeLessThanOrEqual(bytes.get(a)!);
    expect(second.remainingBytes).toBe(left);
  });

  it('--dry-run lists what it would remove and removes nothing', () => {
    store('a');
    store('b');
    const result = ws.run(['prune', '--all', '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout.match(/^would remove potree [0-9a-f]{12} /gm)).toHaveLength(2);
    expect(result.stdout).toMatch(/^would free /m);
    expect(keys()).toHaveLength(2);
  });

  it('--older-than removes entries created before the threshold and keeps newer ones', async () => {
    const old = store('old');
    await sleep(3000);
    const fresh = store('fresh');
    // A threshold just under the old entry's age: the fresh one, created 3 s later, stays younger
    // than it however slowly the prune process starts.
    const threshold = Date.now() - createdAt(old) - 500;
    const result = prune(['--older-than', `${(threshold / 1000).toFixed(3)}s`]);
    expect(result.removed.map((e) => e.key)).toEqual([old]);
    expect(keys()).toEqual([fresh]);
  });

  it('--unused-for goes by the last hit, not by creation', () => {
    const idle = store('idle');
    const busy = store('busy');
    hit('idle');
    hit('busy');
    lastHitAgo(idle, 120);
    lastHitAgo(busy, 2);
    const result = prune(['--unused-for', '1h']);
    expect(result.removed.map((e) => e.key)).toEqual([idle]);
    expect(keys()).toEqual([busy]);
  });

  it('keeps an entry hit in the last minute unless --all is given', () => {
    const key = store('a');
    hit('a');
    const kept = ws.run(['prune', '--older-than', '0s']);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain(`kept potree ${key.slice(0, 12)}: it was used in the last minute`);
    expect(keys()).toEqual([key]);
    expect(prune(['--all']).removed.map((e) => e.key)).toEqual([key]);
    expect(keys()).toEqual([]);
  });

  it('--keep N keeps the newest N entries of each task, also with --all', () => {
    store('a');
    store('b');
    const newest = store('c');
    const sum = ws.run(['run', 'sum', '--json']);
    expect(sum.code).toBe(0);
    const result = prune(['--all', '--keep', '1']);
    expect(result.removed).toHaveLength(2);
    expect(keys()).toEqual([newest]);
    expect(keys('sum')).toHaveLength(1);
  });

  it('--task removes only the entries of that task', () => {
    const key = store('a');
    expect(ws.run(['run', 'sum']).code).toBe(0);
    const result = prune(['--task', 'sum']);
    expect(result.removed.map((e) => e.task)).toEqual(['sum']);
    expect(keys('sum')).toEqual([]);
    expect(keys()).toEqual([key]);
  });

  it('reports each removed entry with its key, task, size and reason, and the space freed', () => {
    const key = store('a');
    const result = ws.run(['prune', '--all']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^removed potree ${key.slice(0, 12)}  [0-9.]+ kB  \\(--all\\)$`, 'm'));
    expect(result.stdout).toMatch(/^freed [0-9.]+ kB \(1 entry, 0 staging leftovers, 0 stale locks\)/m);
  });
});

describe('cachex prune: leftovers and corruption', () => {
  it('removes an entry that fails its integrity check even without a selector', () => {
    const broken = store('broken');
    const fine = store('fine');
    rmSync(path.join(entryDir(broken), 'stdout.log'));
    const result = prune([]);
    expect(result.removed).toEqual([
      expect.objectContaining({ key: broken, reason: expect.stringMatching(/^corrupt: stdout\.log/) }),
    ]);
    expect(keys()).toEqual([fine]);
  });

  it('sweeps the staging folder and the lock of a run that died, and reports them', () => {
    const key = store('a');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const owner = { pid: dead, host: hostname(), bootId, start: '1' };
    const staging = path.join(ws.data, 'tmp', `${key.slice(0, 12)}-${dead}-abcd1234`);
    mkdirSync(path.join(staging, 'out'), { recursive: true });
    writeFileSync(path.join(staging, 'out', 'cloud.bin'), Buffer.alloc(10_000));
    writeFileSync(
      path.join(staging, 'staging-owner.json'),
      JSON.stringify({ ...owner, ref: { module: 'tasks', task: 'potree', key } }),
    );
    const lock = path.join(ws.data, 'locks', 'tasks', 'potree', key);
    mkdirSync(`${lock}.lock`, { recursive: true });
    writeFileSync(`${lock}.owner.json`, JSON.stringify(owner));

    const result = prune([]);
    expect(result.staging).toEqual([
      expect.objectContaining({ path: staging, reason: expect.stringContaining('died') }),
    ]);
    expect(result.staleLocks).toEqual([expect.objectContaining({ path: `${lock}.lock` })]);
    expect(result.freedBytes).toBeGreaterThanOrEqual(10_000);
    expect(existsSync(staging)).toBe(false);
    expect(existsSync(`${lock}.lock`)).toBe(false);
    expect(keys()).toEqual([key]);
  });
});

/** Waits until a run has created its staging folder (it holds the key lock from then until it stores). */
async function stagingAppears(): Promise<void> {
  const tmp = path.join(ws.data, 'tmp');
  for (let i = 0; i < 200; i++) {
    if (existsSync(tmp) && readdirSync(tmp).length > 0) return;
    await sleep(50);
  }
  throw new Error('the run never started staging');
}

describe('cachex prune: running work is safe', () => {
  it('does not touch the staging of a run in progress; the run stores and the next run hits', async () => {
    const file = ws.samplePcd();
    const gate = ws.path('gate');
    const running = ws.start(['run', 'potree', '--file', file], { env: { FAKE_WAIT_FILE: gate } });
    await stagingAppears();
    const result = prune(['--all']);
    expect(result.staging).toEqual([]);
    writeFileSync(gate, ''); // the converter finishes only after the prune, however long it took
    const done = await running.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toMatch(/^miss potree [0-9a-f]{12} \(ran .*stored/m);
    expect(ws.run(['run', 'potree', '--file', file]).stderr).toMatch(/^hit /m);
    expect(ws.converterRuns()).toBe(1);
  });

  it('skips an entry whose key a running --force holds, and the replaced entry is whole', async () => {
    const key = store('a');
    const file = ws.path('in/a.pcd');
    const gate = ws.path('gate');
    const running = ws.start(['run', 'potree', '--file', file, '--force'], { env: { FAKE_WAIT_FILE: gate } });
    await stagingAppears();
    const result = ws.run(['prune', '--all']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`kept potree ${key.slice(0, 12)}: a running command holds its key`);
    expect(keys()).toEqual([key]);
    writeFileSync(gate, '');
    const done = await running.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toMatch(/^forced potree /m);
    expect(ws.run(['run', 'potree', '--file', file]).stderr).toMatch(/^hit /m);
    expect(ws.run(['verify']).code).toBe(0);
    expect(ws.converterRuns()).toBe(2);
  });
});

describe('cachex prune: bad input', () => {
  // One case proves the CLI wires prune's flags (exit 2, one sentence, nothing removed); each
  // flag's refusal (--older-than, --unused-for, --max-size, --keep, --task) is a unit test of the
  // same parser in test/unit/prune-flags.test.ts, and every duration, size and count rule is in
  // test/unit/units.test.ts.
  it.each([[['--older-than', '3x'], /--older-than "3x" is not a duration/]])(
    'prune %j exits 2 with one sentence and removes nothing',
    (args, message) => {
      store('a');
      const result = ws.run(['prune', ...(args as string[])]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message as RegExp);
      expect(isOneSentence(result.stderr)).toBe(true);
      expect(keys()).toHaveLength(1);
    },
  );
});
