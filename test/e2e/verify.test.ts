import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, Workspace } from '../helpers/cli.js';

const CONFIG = ['--config', path.join(REPO, 'cachex.config.ts')];

interface VerifyJson {
  checked: number;
  corrupt: Array<{ key: string; task: string; module: string; file: string; reason: string }>;
  inUse: Array<{ key: string }>;
  staging: Array<{ path: string; kind: string }>;
  staleLocks: Array<{ path: string }>;
  fixed: boolean;
}

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
  ws.samplePcd('in/a.pcd');
});
afterEach(() => ws.cleanup());

function run(...args: string[]): { key: string; status: string } {
  const result = ws.run([...CONFIG, 'run', ...args, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

function verify(...args: string[]): { code: number | null; report: VerifyJson; stderr: string } {
  const result = ws.run([...CONFIG, 'verify', '--json', ...args]);
  return { code: result.code, report: JSON.parse(result.stdout), stderr: result.stderr };
}

const entryDir = (task: string, key: string) => path.join(ws.data, 'cache', 'tasks', task, key);

describe('cachex verify', () => {
  it('exits 0 on a missing data folder and on a clean store', () => {
    expect(verify()).toMatchObject({ code: 0, report: { checked: 0, corrupt: [], staging: [], staleLocks: [] } });
    run('convert', '--file', 'in/a.pcd');
    const clean = ws.run([...CONFIG, 'verify']);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^checked 1 entry: 0 corrupt, 0 leftovers of crashed runs$/m);
  });

  it('finds a truncated result, a flipped byte in an output and a deleted log; --fix removes exactly those', () => {
    const [truncated, flipped, noLog, healthy] = ['0.1', '0.2', '0.3', '0.5'].map(
      (r) => run('convert', '--file', 'in/a.pcd', '--resolution', r).key,
    );

    const result = path.join(entryDir('convert', truncated), 'result.v8');
    chmodSync(result, 0o644);
    truncateSync(result, readFileSync(result).length - 5);

    const cloud = path.join(entryDir('convert', flipped), 'out', 'cloud.pcd');
    chmodSync(cloud, 0o644); // stored outputs are read-only
    const bytes = readFileSync(cloud);
    const at = Math.floor(bytes.length / 2);
    bytes[at] ^= 0x01;
    writeFileSync(cloud, bytes);

    rmSync(path.join(entryDir('convert', noLog), 'stdout.log'));

    const text = ws.run([...CONFIG, 'verify']);
    expect(text.code).toBe(4);
    for (const key of [truncated, flipped, noLog])
      expect(text.stdout).toMatch(new RegExp(`^corrupt\\s+convert ${key.slice(0, 12)}\\s+\\S+: .+$`, 'm'));
    expect(text.stdout).not.toContain(healthy.slice(0, 12));
    expect(text.stdout).toMatch(/^checked 4 entries: 3 corrupt, /m);

    const found = verify();
    expect(found.code).toBe(4);
    expect(found.report.checked).toBe(4);
    expect(found.report.fixed).toBe(false);
    const byKey = Object.fromEntries(found.report.corrupt.map((c) => [c.key, c]));
    expect(Object.keys(byKey).sort()).toEqual([truncated, flipped, noLog].sort());
    expect(byKey[truncated]).toMatchObject({ task: 'convert', module: 'tasks', file: 'result.v8' });
    expect(byKey[truncated].reason).toMatch(/truncated/);
    expect(byKey[flipped]).toMatchObject({ file: 'out/cloud.pcd', reason: 'output digest mismatch' });
    expect(byKey[noLog]).toMatchObject({ file: 'stdout.log', reason: 'stdout.log is missing' });
    // Reporting removes nothing.
    for (const key of [truncated, flipped, noLog, healthy]) expect(existsSync(entryDir('convert', key))).toBe(true);

    const fixed = verify('--fix');
    expect(fixed.code).toBe(0); // it found corruption and removed all of it: nothing is left to fail CI for
    expect(fixed.report.fixed).toBe(true);
    expect(fixed.report.corrupt.map((c) => c.key).sort()).toEqual([truncated, flipped, noLog].sort());
    for (const key of [truncated, flipped, noLog]) expect(existsSync(entryDir('convert', key))).toBe(false);

    const listed = JSON.parse(ws.run([...CONFIG, 'ls', '--json']).stdout) as Array<{ key: string }>;
    expect(listed.map((e) => e.key)).toEqual([healthy]);
    expect(verify()).toMatchObject({ code: 0, report: { checked: 1, corrupt: [] } });
    expect(run('convert', '--file', 'in/a.pcd', '--resolution', '0.5')).toMatchObject({ status: 'hit', key: healthy });
  });

  it('reports staging leftovers of crashed runs and stale locks without failing, and --fix sweeps them', () => {
    const { key } = run('convert', '--file', 'in/a.pcd');
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    const staging = path.join(ws.data, 'tmp', `${key.slice(0, 12)}-99999999-deadbeef`);
    mkdirSync(path.join(staging, 'out'), { recursive: true });
    writeFileSync(path.join(staging, 'out', 'half.bin'), 'partial');
    utimesSync(staging, old, old);
    // A lock whose holder died on this machine (its PID is gone). A lock naming no holder at all is judged by
    // its heartbeat in the file system's clock, which a test cannot set back.
    const target = path.join(ws.data, 'locks', 'tasks', 'convert', 'e'.repeat(64));
    const lock = `${target}.lock`;
    mkdirSync(lock, { recursive: true });
    const dead = spawnSync('true').pid;
    const owner = {
      host: hostname(),
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      pid: dead,
      start: '1',
      pidns: readlinkSync('/proc/self/ns/pid'),
    };
    writeFileSync(`${target}.owner.json`, JSON.stringify(owner));

    const found = verify();
    expect(found.code).toBe(0);
    expect(found.report.staging.map((s) => s.path)).toEqual([staging]);
    expect(found.report.staleLocks.map((l) => l.path)).toEqual([lock]);
    expect(existsSync(staging) && existsSync(lock)).toBe(true);

    const fixed = verify('--fix');
    expect(fixed.code).toBe(0);
    expect(existsSync(staging) || existsSync(lock)).toBe(false);
    expect(verify()).toMatchObject({ code: 0, report: { checked: 1, corrupt: [], staging: [], staleLocks: [] } });
    expect(run('convert', '--file', 'in/a.pcd').status).toBe('hit');
  });

  it('leaves alone an entry whose key a running --force holds, even when it is corrupt', async () => {
    const { key } = run('potree', '--file', 'in/a.pcd');
    rmSync(path.join(entryDir('potree', key), 'stderr.log'));
    const forced = ws.start([...CONFIG, 'run', 'potree', '--file', 'in/a.pcd', '--force'], {
      env: { FAKE_SLEEP: '6' },
    });
    const lock = path.join(ws.data, 'locks', 'tasks', 'potree', `${key}.lock`);
    for (let i = 0; i < 200 && !existsSync(lock); i++) await sleep(50);
    expect(existsSync(lock)).toBe(true);

    const during = verify('--fix');
    expect(during.report.inUse.map((e) => e.key)).toEqual([key]);
    expect(during.report.corrupt).toEqual([]);
    expect(during.code).toBe(0);

    const done = await forced.done;
    expect(done.code, done.stderr).toBe(0);
    expect(ws.converterRuns()).toBe(2);
    expect(verify()).toMatchObject({ code: 0, report: { checked: 1, corrupt: [], inUse: [] } });
    expect(run('potree', '--file', 'in/a.pcd').status).toBe('hit');
  });
});
