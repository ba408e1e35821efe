import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/cli.js';

/** Each entry holds 100 kB of random bytes (incompressible), so sizes are easy to reason about. */
function config(top: string): string {
  return `import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { defineConfig } from 'cachex';

export default defineConfig({
  ${top}
  tasks: {
    blob: {
      params: { n: { type: 'integer', required: true } },
      run: async (params, ctx) => {
        writeFileSync(ctx.outDir + '/blob.bin', randomBytes(100_000));
      },
    },
  },
});
`;
}

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-autoprune-');
});
afterEach(() => ws.cleanup());

interface Listed {
  params: { n: number };
  diskBytes: number;
}
const listed = (): Listed[] => JSON.parse(ws.run(['ls', '--json']).stdout);
const ns = () =>
  listed()
    .map((e) => e.params.n)
    .sort();
const total = () => listed().reduce((sum, e) => sum + e.diskBytes, 0);
const blob = (n: number) => ws.run(['run', 'blob', '--n', String(n)]);

describe('automatic caps (maxSize, CACHEX_MAX_SIZE)', () => {
  it('keeps the store under maxSize after the run that crossed it, removing the least recently used entry', () => {
    ws.config(config("maxSize: '250k',"));
    for (const n of [1, 2]) expect(blob(n).code).toBe(0);
    expect(ns()).toEqual([1, 2]);
    const crossed = blob(3);
    expect(crossed.code).toBe(0);
    expect(ns()).toEqual([2, 3]);
    expect(total()).toBeLessThanOrEqual(250 * 1024);
    // At most once a minute: the next crossing within the minute is left for a later run.
    blob(4);
    expect(ns()).toEqual([2, 3, 4]);
  });

  it('never removes an entry in use, and says so once when what is left is all in use', () => {
    ws.config(config(''));
    blob(1);
    expect(blob(1).stderr).toMatch(/^hit blob /m); // used in the last minute: in use
    ws.config(config("maxSize: '50k',"));
    const crossed = blob(2);
    expect(crossed.code).toBe(0);
    // The new entry was only created, never hit, so it is not in use and goes; entry 1 stays.
    expect(ns()).toEqual([1]);
    expect(crossed.stderr.match(/over maxSize 50 kB, but what is left is in use/g)?.length).toBe(1);
  });

  it('CACHEX_MAX_SIZE sets the cap without a config key; a hit never prunes', () => {
    ws.config(config(''));
    for (const n of [1, 2, 3]) blob(n);
    ws.env.CACHEX_MAX_SIZE = '150k';
    expect(blob(1).stderr).toMatch(/^hit blob /m);
    expect(ns()).toEqual([1, 2, 3]);
    expect(existsSync(ws.path('data', 'auto-prune.json'))).toBe(false);
    blob(4);
    expect(total()).toBeLessThanOrEqual(150 * 1024);
    expect(ns()).toContain(1); // hit in the last minute
  });

  it('exec keeps the cap too: the store step that crossed it prunes the least recently used entry', () => {
    ws.env.CACHEX_MAX_SIZE = '250k';
    // No config file: exec's caps come from the environment alone.
    const blobExec = (n: number) =>
      ws.run([
        'exec',
        '--name',
        'blob',
        '--output',
        `b${n}.bin`,
        '--',
        process.execPath,
        '-e',
        `require('fs').writeFileSync('b${n}.bin', require('crypto').randomBytes(100000))`,
      ]);
    const execEntries = () => JSON.parse(ws.run(['ls', '--json']).stdout) as { params: { argv: string[] } }[];
    for (const n of [1, 2]) expect(blobExec(n).code).toBe(0);
    expect(execEntries()).toHaveLength(2);
    expect(existsSync(ws.path('data', 'auto-prune.json'))).toBe(true);
    expect(blobExec(3).code).toBe(0);
    const left = execEntries().map((e) => JSON.stringify(e.params));
    expect(left).toHaveLength(2);
    expect(left.some((p) => p.includes('b1.bin'))).toBe(false);
    expect(total()).toBeLessThanOrEqual(250 * 1024);
    // A hit never prunes, nor even updates the estimate.
    const stamp = readFileSync(ws.path('data', 'auto-prune.json'), 'utf8');
    expect(blobExec(3).stderr).toMatch(/^hit blob /m);
    expect(readFileSync(ws.path('data', 'auto-prune.json'), 'utf8')).toBe(stamp);
  });

  it('rebuild keeps the cap: its store step prunes the least recently used other entry', () => {
    ws.config(config(''));
    for (const n of [1, 2, 3]) blob(n);
    const first = listed().find((e) => e.params.n === 1) as Listed & { key: string };
    ws.env.CACHEX_MAX_SIZE = '250k';
    const rebuilt = ws.run(['rebuild', first.key.slice(0, 12)]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(ns()).toEqual([1, 3]);
    expect(total()).toBeLessThanOrEqual(250 * 1024);
  });

  it('rebuild --all keeps the cap once, after every entry is rebuilt (none is pruned before its turn)', () => {
    ws.config(config(''));
    for (const n of [1, 2, 3]) blob(n);
    ws.env.CACHEX_MAX_SIZE = '250k';
    const rebuilt = ws.run(['rebuild', '--all', '--json']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const summary = JSON.parse(rebuilt.stdout);
    expect(summary.rebuilt).toHaveLength(3);
    expect(summary.failed).toHaveLength(0);
    // The one rebuilt first is the least recently used afterwards: it alone goes.
    const firstKey: string = summary.rebuilt[0].key;
    const left = listed() as (Listed & { key: string })[];
    expect(left).toHaveLength(2);
    expect(left.map((e) => e.key)).not.toContain(firstKey);
    expect(total()).toBeLessThanOrEqual(250 * 1024);
  });

  // A maxSize that is not a size ('lots') is refused when the config loads: a unit test of
  // validateConfig with the same sentence in test/unit/config-validate.test.ts.
});
