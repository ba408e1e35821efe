import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_CONVERTER, Workspace } from '../helpers/cli.js';
import { demoConfig } from '../helpers/configs.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
  ws.config(demoConfig());
});
afterEach(() => ws.cleanup());

const rowOf = (stdout: string, key: string) => stdout.split('\n').find((l) => l.includes(key.slice(0, 12))) ?? '';

describe('ls rows and the status line', () => {
  it('show one measure of size: the disk usage du counts', () => {
    const file = ws.samplePcd();
    const miss = ws.run(['run', 'potree', '--file', file]);
    const stored = /, stored ([0-9.]+ k?B)\)/.exec(miss.stderr)?.[1];
    const [record] = JSON.parse(ws.run(['ls', '--json']).stdout);
    const du = spawnSync('du', ['-s', '--block-size=1', record.dir], { encoding: 'utf8' });
    expect(record.diskBytes).toBe(Number(du.stdout.split('\t')[0]));
    expect(rowOf(ws.run(['ls']).stdout, record.key)).toContain(` ${stored} `);
  });

  it('leave out params that are empty (exec entries without --input or --env)', () => {
    expect(ws.run(['exec', '--', 'sh', '-c', 'echo hi']).code).toBe(0);
    const table = ws.run(['ls']).stdout;
    expect(table).toMatch(/^exec\/sh\s+[0-9a-f]{12}\s+argv=sh,-c,"echo hi"\s/m);
    expect(table).not.toMatch(/input=|inputDir=|env=|output=/);
  });

  it('show the key input that tells apart entries differing only in the converter binary', () => {
    const file = ws.samplePcd();
    const other = ws.path('converter-v2');
    copyFileSync(FAKE_CONVERTER, other);
    writeFileSync(other, `${readFileSync(other, 'utf8')}\n// v2\n`, { mode: 0o755 });
    const first = JSON.parse(ws.run(['run', 'potree', '--file', file, '--json']).stdout).key;
    const second = JSON.parse(
      ws.run(['run', 'potree', '--file', file, '--json'], { env: { POTREE_CONVERTER: other } }).stdout,
    ).key;
    expect(second).not.toBe(first);
    const table = ws.run(['ls']).stdout;
    const [a, b] = [rowOf(table, first), rowOf(table, second)];
    expect(a).toMatch(/file=a\.pcd quality=low tool@[0-9a-f]{8}/);
    expect(b).toMatch(/file=a\.pcd quality=low tool@[0-9a-f]{8}/);
    expect(/tool@(\w+)/.exec(a)?.[1]).not.toBe(/tool@(\w+)/.exec(b)?.[1]);
  });
});
