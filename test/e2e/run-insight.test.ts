import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/cli.js';

/** A task that counts its runs and prints which run answered (a hit replays that line). */
const CONFIG = `import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { defineConfig } from 'cachex';

export default defineConfig({
  tasks: {
    stamp: {
      params: { n: { type: 'integer', default: 1 }, fail: { type: 'boolean', default: false } },
      cacheFailures: true,
      maxAge: '1h',
      failureMaxAge: '1s',
      run: async (params, ctx) => {
        appendFileSync(process.env.COUNT_FILE, 'x\\n');
        const runs = readFileSync(process.env.COUNT_FILE, 'utf8').split('\\n').length - 1;
        console.log('run ' + runs);
        writeFileSync(ctx.outDir + '/out.txt', 'n=' + params.n);
        if (params.fail) process.exitCode = 3;
      },
    },
  },
});
`;

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-insight-');
  ws.config(CONFIG);
  ws.env.COUNT_FILE = ws.path('count.txt');
});
afterEach(() => ws.cleanup());

const runs = () => {
  try {
    return readFileSync(ws.path('count.txt'), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};
const stats = () => JSON.parse(ws.run(['stats', '--json']).stdout);
/** Waits (without a fixed sleep) until `ms` have passed since `from`. */
async function until(from: number, ms: number): Promise<void> {
  while (Date.now() - from < ms) await new Promise((r) => setTimeout(r, 50));
}

describe('events from real runs', () => {
  it('counts exactly the hits and misses of concurrent cachex run processes', async () => {
    // 3 keys, each run twice at once: the key lock makes one a miss and the other a hit.
    const first = await Promise.all([1, 2, 3, 1, 2, 3].map((n) => ws.start(['run', 'stamp', '--n', String(n)]).done));
    for (const r of first) expect(r.code, r.stderr).toBe(0);
    // Then 4 more at once: all hits.
    const second = await Promise.all([1, 2, 3, 1].map((n) => ws.start(['run', 'stamp', '--n', String(n)]).done));
    for (const r of second) expect(r.stderr).toMatch(/^hit stamp /m);
    expect(runs()).toBe(3);
    const s = stats();
    expect(s.overall.hits).toBe(7);
    expect(s.overall.misses).toBe(3);
    expect(s.overall.stored).toBe(3);
    // --dry-run and why record nothing.
    ws.run(['run', 'stamp', '--n', '9', '--dry-run']);
    ws.run(['why', 'stamp', '--n', '9']);
    expect(stats().overall.misses).toBe(3);
    // --force is counted as forced, not as a miss.
    ws.run(['run', 'stamp', '--force']);
    expect(stats().overall).toMatchObject({ hits: 7, misses: 3, forced: 1 });
  });

  it("gives a miss its reason on the status line, and --explain/--dry-run show why's explanation", () => {
    expect(ws.run(['run', 'stamp', '--n', '1']).stderr).toMatch(/^miss stamp [0-9a-f]{12} \(ran /m);
    const second = ws.run(['run', 'stamp', '--n', '2']);
    expect(second.stderr).toMatch(/^miss stamp [0-9a-f]{12} \(--n changed; ran \S+, stored /m);
    const events = readFileSync(ws.path('data', 'events.log'), 'utf8');
    expect(events).toContain('"reason":"--n changed"');
    const explained = ws.run(['run', 'stamp', '--n', '3', '--explain']);
    expect(explained.stderr).toMatch(/would miss\nnearest entry [0-9a-f]{12}.*\n {2}--n [12] → 3/);
    const dry = ws.run(['run', 'stamp', '--n', '4', '--dry-run']);
    expect(dry.stdout).toMatch(/^why: stamp [0-9a-f]{12}: would miss/m);
  });
});

describe('lifetimes', () => {
  it('an entry one second past its max age is a miss and is replaced; within it, a hit', async () => {
    expect(ws.run(['run', 'stamp']).stdout).toBe('run 1\n');
    // Timed from when the entry exists, not from before its run (a busy machine runs it slowly).
    const made = Date.now();
    expect(ws.run(['run', 'stamp', '--max-age', '1h']).stdout).toBe('run 1\n');
    await until(made, 2100);
    const late = ws.run(['run', 'stamp', '--max-age', '1s']);
    expect(late.stdout).toBe('run 2\n');
    expect(late.stderr).toMatch(/^miss stamp [0-9a-f]{12} \(older than its max age; ran .*stored/m);
    // Replaced: the next plain run hits the new entry.
    expect(ws.run(['run', 'stamp']).stdout).toBe('run 2\n');
    expect(ws.run(['run', 'stamp', '--max-age', 'soon']).stderr).toMatch(/--max-age "soon" is not a duration/);
  });

  it('failureMaxAge applies to entries of failed runs stored with cacheFailures (maxAge to the others)', async () => {
    expect(ws.run(['run', 'stamp', '--fail']).code).toBe(3);
    const made = Date.now();
    expect(ws.run(['run', 'stamp']).stdout).toBe('run 2\n');
    await until(made, 2100);
    // The failed entry is past its 1 s; the good one is well within its hour.
    expect(ws.run(['run', 'stamp', '--fail']).stdout).toBe('run 3\n');
    expect(ws.run(['run', 'stamp']).stdout).toBe('run 2\n');
  });

  it('stale-while-revalidate answers the old entry at once, refreshes it before exiting, and the next call sees the new one', async () => {
    ws.run(['run', 'stamp']);
    const made = Date.now();
    await until(made, 2100);
    const stale = ws.run(['run', 'stamp', '--max-age', '1s', '--stale', '1d']);
    expect(stale.stdout).toBe('run 1\n');
    expect(stale.stderr).toMatch(/^hit stamp /m);
    expect(stale.stderr).toMatch(/refreshing the stale entry of stamp after the reply/);
    expect(runs()).toBe(2);
    // The stale answer is one hit; its refresh adds a store step, not a second lookup.
    expect(stats().overall).toMatchObject({ hits: 1, misses: 1, stored: 2 });
    expect(ws.run(['run', 'stamp', '--max-age', '1s', '--stale', '1d']).stdout).toBe('run 2\n');
  });

  // A task maxAge that is not a duration ('often') is refused when the config loads: a unit test
  // of validateConfig with the same sentence in test/unit/config-validate.test.ts.
});
