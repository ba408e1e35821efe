/**
 * Integrity (SPEC §7): every stored file kind, truncated, bit-flipped or
 * deleted, is detected on the next load, reported in one line, and the work is
 * recomputed; a corrupt entry is never replayed.
 */
import { chmodSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../helpers/cli.js';
import { checkStore, cx, entryDirs, verifyJson } from '../../helpers/faults.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

type Damage = 'truncated' | 'bit-flipped' | 'deleted';

const KINDS: { kind: string; task: 'potree' | 'convert'; file: (entry: string) => string }[] = [
  { kind: 'meta.yaml', task: 'potree', file: () => 'meta.yaml' },
  { kind: 'stdout.log', task: 'potree', file: () => 'stdout.log' },
  { kind: 'stderr.log', task: 'potree', file: () => 'stderr.log' },
  { kind: 'an output file', task: 'potree', file: () => 'out/cloud.bin' },
  {
    kind: 'the result file',
    task: 'convert',
    file: (entry) => readdirSync(entry).find((n) => n.startsWith('result.'))!,
  },
  { kind: 'an output file of a TS task', task: 'convert', file: () => 'out/cloud.pcd' },
];

function damage(file: string, how: Damage): void {
  chmodSync(file, 0o644); // outputs are stored read-only
  if (how === 'deleted') {
    rmSync(file);
    return;
  }
  const size = statSync(file).size;
  if (how === 'truncated') {
    truncateSync(file, Math.floor(size / 2));
    return;
  }
  const bytes = readFileSync(file);
  bytes[Math.floor(size / 2)] ^= 0x01; // one bit, in the middle
  writeFileSync(file, bytes);
}

describe('integrity: a damaged entry is detected, reported in one line and recomputed', () => {
  const cases = KINDS.flatMap((k) =>
    (['truncated', 'bit-flipped', 'deleted'] as Damage[]).map((how) => [k.kind, how, k] as const),
  );

  it.each(cases)('%s %s', (_kind, how, spec) => {
    ws = new Workspace();
    const input = ws.samplePcd('in/a.pcd');
    const args = spec.task === 'potree' ? ['run', 'potree', '--file', input] : ['run', 'convert', '--file', input];
    const clean = ws.run(cx(args));
    expect(clean.code, clean.stderr).toBe(0);
    const [entry] = entryDirs(ws.data);
    const rel = spec.file(entry);
    const created = readFileSync(path.join(entry, 'meta.yaml'), 'utf8');
    damage(path.join(entry, rel), how);

    const verify = verifyJson(ws);
    if (verify) {
      expect(verify.code).toBe(4);
      expect(verify.report.corrupt).toHaveLength(1);
    }
    const calls = ws.converterRuns();
    const next = ws.run(cx(args));
    expect(next.code, next.stderr).toBe(0);
    const reports = next.stderr.split('\n').filter((l) => /corrupt/.test(l));
    expect(reports, next.stderr).toHaveLength(1);
    expect(reports[0]).toMatch(
      new RegExp(`^cachex: the stored entry ${spec.task} [0-9a-f]{12} is corrupt \\(.+\\); recomputing\\.$`),
    );
    expect(next.stderr).toMatch(new RegExp(`^miss ${spec.task} `, 'm'));
    if (spec.task === 'potree') expect(ws.converterRuns()).toBe(calls + 1);
    expect(next.stdout).toBe(clean.stdout);

    // Healthy again: a fresh entry, a hit with the same output, nothing corrupt left.
    expect(readFileSync(path.join(entry, 'meta.yaml'), 'utf8')).not.toBe(created);
    const hit = ws.run(cx(args));
    expect(hit.stderr).toMatch(new RegExp(`^hit ${spec.task} `, 'm'));
    expect(hit.stderr).not.toMatch(/corrupt/);
    expect(hit.stdout).toBe(clean.stdout);
  });

  it('an output file edited in place with its old mtime restored is still detected (ctime and digest)', async () => {
    ws = new Workspace();
    const input = ws.samplePcd('in/a.pcd');
    const args = ['run', 'potree', '--file', input];
    const clean = ws.run(cx(args));
    const [entry] = entryDirs(ws.data);
    const file = path.join(entry, 'out', 'cloud.bin');
    const { atime, mtime } = statSync(file);
    damage(file, 'bit-flipped');
    const { utimesSync } = await import('node:fs');
    utimesSync(file, atime, mtime);
    const next = ws.run(cx(args));
    expect(next.stderr).toMatch(/is corrupt \(out\/cloud\.bin: output digest mismatch\)/);
    expect(next.stdout).toBe(clean.stdout);
    expect((await checkStore(ws.data)).corrupt).toEqual([]);
  });

  it('an extra file planted in the outputs makes the entry corrupt', () => {
    ws = new Workspace();
    const input = ws.samplePcd('in/a.pcd');
    const args = ['run', 'potree', '--file', input];
    const clean = ws.run(cx(args));
    const [entry] = entryDirs(ws.data);
    writeFileSync(path.join(entry, 'out', 'planted.sh'), 'echo hi\n');
    const next = ws.run(cx(args));
    expect(next.stderr).toMatch(/is corrupt \(out\/planted\.sh: unexpected file not in the manifest\)/);
    expect(next.stdout).toBe(clean.stdout);
    expect(ws.converterRuns()).toBe(2);
  });
});
