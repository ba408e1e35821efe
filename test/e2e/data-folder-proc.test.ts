import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/cli.js';
import { demoConfig } from '../helpers/configs.js';

let ws: Workspace;
beforeAll(() => {
  ws = new Workspace();
  ws.config(demoConfig());
  ws.samplePcd();
});
afterAll(() => ws.cleanup());

describe('a data folder that cannot be created', () => {
  it('under /proc exits 4 at once with one sentence, instead of spinning in mkdir', () => {
    const started = Date.now();
    const result = ws.run(['run', 'potree', '--file', 'in/a.pcd', '--data-folder', '/proc/nope']);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: A folder cannot be created .*\/proc\/nope.*writable disk\.$/m);
    // A loop would run into the spawn timeout (120 s); the bound is loose for a busy machine.
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
