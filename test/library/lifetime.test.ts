import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../src/index.js';
import { EventLog } from '../../src/store/events.js';

let dir: string;
let data: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-life-'));
  data = path.join(dir, 'data');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('cache(): lifetimes and events', () => {
  for (const memory of [false, undefined] as const) {
    it(`maxAge: one second past it the call recomputes (memory ${memory === false ? 'off' : 'on'}); within it, a hit`, async () => {
      let calls = 0;
      const made = Date.now();
      const opts = { name: 'stamp', dataFolder: data, ...(memory === false && { memory }) };
      const short = cache(async ({ x }: { x: number }) => ({ x, run: ++calls }), { ...opts, maxAge: '1s' });
      const long = cache(async ({ x }: { x: number }) => ({ x, run: ++calls }), { ...opts, maxAge: 3_600_000 });
      expect(await short({ x: 1 })).toEqual({ x: 1, run: 1 });
      expect(await short({ x: 1 })).toEqual({ x: 1, run: 1 });
      await until(() => Date.now() - made > 2100, 'two seconds');
      expect(await long({ x: 1 })).toEqual({ x: 1, run: 1 });
      expect(await short({ x: 1 })).toEqual({ x: 1, run: 2 });
      expect(await long({ x: 1 })).toEqual({ x: 1, run: 2 });
    });
  }

  it('staleWhileRevalidate returns the old result at once, refreshes in the background, and a later call sees the new one', async () => {
    let calls = 0;
    const made = Date.now();
    const f = cache(async ({ x }: { x: number }) => ({ x, run: ++calls }), {
      name: 'swr',
      dataFolder: data,
      maxAge: '1s',
      staleWhileRevalidate: '1d',
    });
    expect(await f({ x: 1 })).toEqual({ x: 1, run: 1 });
    await until(() => Date.now() - made > 2100, 'two seconds');
    expect(await f({ x: 1 })).toEqual({ x: 1, run: 1 });
    await until(() => calls === 2, 'the background refresh');
    const log = new EventLog(data);
    await until(() => log.read().some((e) => e.event === 'stored' && e.t > made + 2000), 'the refreshed entry');
    expect(await f({ x: 1 })).toEqual({ x: 1, run: 2 });
  });

  it('records library calls in the statistics log like CLI runs (memory hits aside)', async () => {
    const f = cache(async ({ x }: { x: number }) => x * 2, { name: 'double', dataFolder: data, memory: false });
    await f({ x: 1 });
    await f({ x: 1 });
    await f({ x: 2 });
    const kinds = new EventLog(data).read().map((e) => e.event);
    expect(kinds).toEqual(['miss', 'stored', 'hit', 'miss', 'stored']);
    expect(new EventLog(data).read()[3].reason).toMatch(/changed/);
  });

  it('refuses a maxAge that is not a duration', () => {
    expect(() => cache(async () => 1, { name: 'bad', dataFolder: data, maxAge: 'often' })).toThrow(
      /`maxAge` must be a duration such as '2h'/,
    );
  });
});
