import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cache } from '../../src/index.js';
import { REPO, Workspace } from '../helpers/cli.js';

/** Whether the CLI has a command (some are written by other people; skip until they exist). */
function commandExists(name: string): boolean {
  return (
    existsSync(path.join(REPO, 'src', 'cli', `${name}.ts`)) && existsSync(path.join(REPO, 'dist', 'cli', `${name}.js`))
  );
}

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-libcli-');
});
afterEach(() => ws.cleanup());

function makeSquare(calls: { n: number }) {
  return cache(
    async function square({ x }: { x: number; verbose?: boolean }) {
      calls.n++;
      return x * x;
    },
    { dataFolder: ws.data, ignore: ['verbose'], version: 2 },
  );
}

describe('library entries in the CLI', () => {
  it.skipIf(!commandExists('ls'))('are listed by cachex ls with module = the source file name', async () => {
    const square = makeSquare({ n: 0 });
    await square({ x: 3, verbose: true });
    await square({ x: 4 });
    await square({ x: 4 }); // a memory hit is recorded in the entry's usage log
    const json = ws.run(['ls', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const entries = JSON.parse(json.stdout) as {
      task: string;
      module: string;
      key: string;
      params: Record<string, unknown>;
      ignoredParams: string[];
      hits: number;
    }[];
    expect(entries.map((e) => e.key).sort()).toEqual([square.key({ x: 3 }), square.key({ x: 4 })].sort());
    for (const e of entries) expect(e).toMatchObject({ task: 'square', module: 'cli.test' });
    expect(entries.find((e) => e.key === square.key({ x: 3 }))).toMatchObject({
      params: { x: 3, verbose: true },
      ignoredParams: ['verbose'],
    });
    expect(entries.find((e) => e.key === square.key({ x: 4 }))?.hits).toBe(1);
    const table = ws.run(['ls', 'square']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(square.key({ x: 3 }).slice(0, 12));
  });

  it.skipIf(!commandExists('inspect') || !commandExists('verify'))(
    'are shown by cachex inspect and checked by cachex verify',
    async () => {
      const square = makeSquare({ n: 0 });
      await square({ x: 5 });
      const key = square.key({ x: 5 });
      const shown = ws.run(['inspect', key.slice(0, 12)]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toContain('square');
      expect(shown.stdout).toContain('kind: function');
      const verified = ws.run(['verify']);
      expect(verified.code, verified.stderr + verified.stdout).toBe(0);
      expect(verified.stdout).toMatch(/checked 1 entr/);
    },
  );

  it.skipIf(!commandExists('prune'))(
    'are removed by cachex prune --task, and then not served from memory',
    async () => {
      const calls = { n: 0 };
      const square = makeSquare(calls);
      const other = cache(
        async function cube({ x }: { x: number }) {
          return x ** 3;
        },
        { dataFolder: ws.data },
      );
      await square({ x: 6 });
      await other({ x: 2 });
      const entryDir = path.dirname(square.outDir({ x: 6 })!);
      const pruned = ws.run(['prune', '--task', 'square']);
      expect(pruned.code, pruned.stderr).toBe(0);
      expect(existsSync(entryDir)).toBe(false);
      expect(square.outDir({ x: 6 })).toBeNull();
      expect(other.outDir({ x: 2 })).not.toBeNull();
      expect(await square({ x: 6 })).toBe(36);
      expect(calls.n).toBe(2);
      expect(square.stats()).toMatchObject({ memoryHits: 0, misses: 2 });
    },
  );
});
