/**
 * A hit that restores --out while `prune --all` removes its entry (issue 15.3):
 * a restore whose source vanishes falls back to a miss and recomputes; no
 * reader ever fails.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliResult, Workspace } from '../../helpers/cli.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

/** 80 output files, so a restore copies for long enough that prune lands in the middle of many. */
const CONFIG = `import { defineConfig } from 'cachex';
export default defineConfig({ tasks: {
  many: {
    params: { file: { type: 'file', required: true } },
    command: ['sh', '-c', 'i=0; while [ $i -lt 80 ]; do cat "$2" > "$1/f$i.txt"; i=$((i+1)); done', 'sh', '{out}', '{file}'],
  },
}});
`;

const RACE_MS = 10_000;
const READERS = 3;

describe('a prune loop racing restoring readers', () => {
  it(`never fails a reader: ${READERS} readers restoring --out for ${RACE_MS / 1000} s against prune --all in a loop`, async () => {
    ws = new Workspace();
    ws.config(CONFIG);
    ws.write('in/a.txt', 'x'.repeat(64 * 1024));
    expect(ws.run(['run', 'many', '--file', 'in/a.txt']).code).toBe(0);
    const until = Date.now() + RACE_MS;
    const failures: string[] = [];
    const counts = { hits: 0, misses: 0, prunes: 0 };
    const check = (what: string, result: CliResult) => {
      if (result.code !== 0) failures.push(`${what}: exit ${result.code}: ${result.stderr.trim().split('\n').pop()}`);
    };
    const reader = async (n: number) => {
      while (Date.now() < until) {
        const result = await ws.start(['run', 'many', '--file', 'in/a.txt', '--out', `out${n}`]).done;
        check(`reader ${n}`, result);
        if (/^hit /m.test(result.stderr)) counts.hits++;
        if (/^miss /m.test(result.stderr)) counts.misses++;
        if (result.code === 0 && readFileSync(ws.path(`out${n}`, 'f79.txt'), 'utf8').length !== 64 * 1024)
          failures.push(`reader ${n}: a restored file is incomplete`);
      }
    };
    const pruner = async () => {
      while (Date.now() < until) {
        check('prune', await ws.start(['prune', '--all']).done);
        counts.prunes++;
      }
    };
    await Promise.all([pruner(), ...Array.from({ length: READERS }, (_, n) => reader(n))]);
    expect(failures, failures.join('\n')).toEqual([]);
    // The race really happened: entries were pruned under readers and recomputed.
    expect(counts.prunes).toBeGreaterThan(3);
    expect(counts.misses).toBeGreaterThan(0);
    expect(counts.hits).toBeGreaterThan(0);
    expect(ws.run(['verify']).code).toBe(0);
  }, 120_000);
});
