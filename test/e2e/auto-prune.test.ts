import { existsSync } from 'node:fs';
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

  it('refuses a maxSize that is not a size, in one sentence', () => {
    ws.config(config("maxSize: 'lots',"));
    const r = blob(1);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/`maxSize` must be a size such as '5GB'/);
  });
});
