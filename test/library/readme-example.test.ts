/**
 * The README's library example, run as written (only the imports differ: the
 * README imports from 'cachex' and from the user's own point-cloud code).
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cache } from '../../src/index.js';
import { computeBounds, readPcd, voxelDownsample, writePcd } from '../../src/demo/pcd.js';
import { SAMPLE_PCD } from '../helpers/cli.js';

let dir: string;
let previousCwd: string;
let previousData: string | undefined;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-readme-'));
  cpSync(SAMPLE_PCD, path.join(dir, 'data.pcd'));
  previousCwd = process.cwd();
  previousData = process.env.DATA_FOLDER;
  process.chdir(dir); // the example uses relative paths, as a user's script would
  delete process.env.DATA_FOLDER; // so the default store, ./.cachex, is used
});
afterAll(() => {
  process.chdir(previousCwd);
  if (previousData !== undefined) process.env.DATA_FOLDER = previousData;
  rmSync(dir, { recursive: true, force: true });
});

let runs = 0;

// ---- README example starts ----
const processPointCloud = cache(
  async ({ filePath, resolution, debug }: { filePath: string; resolution: number; debug: boolean }, ctx) => {
    runs++; // (not in the README: counts computations for the test)
    const cloud = await readPcd(filePath);
    const downsampled = voxelDownsample(cloud, resolution);
    if (debug) console.error(`${filePath}: ${cloud.count} → ${downsampled.count} points`);
    // Big data goes into ctx.outDir, which becomes the entry's out/ folder; return paths relative to it.
    await writePcd(path.join(ctx.outDir, 'cloud.pcd'), downsampled);
    return {
      inputPoints: cloud.count,
      outputPoints: downsampled.count,
      bounds: computeBounds(downsampled),
      cloud: 'cloud.pcd',
    };
  },
  {
    name: 'process_point_cloud',
    params: { filePath: { type: 'file', required: true } }, // keyed by the file's content, not its path
    defaults: { resolution: 0.1, debug: false },
    ignore: ['debug'],
    version: 1,
  },
);
// ---- README example ends ----

describe('README example: processPointCloud', () => {
  it('computes once, then answers from memory and disk; the outputs are in the entry', async () => {
    const summary = await processPointCloud({ filePath: 'data.pcd', resolution: 0.1 });
    expect(summary.inputPoints).toBe(5000);
    expect(summary.outputPoints).toBeGreaterThan(0);
    expect(summary.outputPoints).toBeLessThan(5000);
    // Same key: omitted default, changed ignored argument.
    expect(await processPointCloud({ filePath: 'data.pcd' })).toEqual(summary);
    expect(await processPointCloud({ filePath: 'data.pcd', resolution: 0.1, debug: true })).toEqual(summary);
    expect(runs).toBe(1);
    // The downsampled cloud is stored in the entry's out/ folder.
    const stored = await readPcd(path.join(processPointCloud.outDir({ filePath: 'data.pcd' })!, summary.cloud));
    expect(stored.count).toBe(summary.outputPoints);
    expect(existsSync(path.join(dir, '.cachex', 'cache', 'readme-example.test', 'process_point_cloud'))).toBe(true);
    // The same content under another name is the same work.
    cpSync('data.pcd', 'copy.pcd');
    await processPointCloud({ filePath: 'copy.pcd' });
    expect(runs).toBe(1);
    // Another resolution is other work.
    const coarse = await processPointCloud({ filePath: 'data.pcd', resolution: 0.5 });
    expect(coarse.outputPoints).toBeLessThan(summary.outputPoints);
    expect(runs).toBe(2);
    // make({ force: true }) recomputes and replaces the entry.
    expect(await processPointCloud.make({ force: true, filePath: 'data.pcd', resolution: 0.1 })).toEqual(summary);
    expect(runs).toBe(3);
    expect(processPointCloud.stats()).toMatchObject({ misses: 3, memoryHits: 3, diskHits: 0 });
    expect((await processPointCloud.inspect({ filePath: 'data.pcd' }))?.params).toMatchObject({
      resolution: { value: 0.1 },
      debug: { value: false, ignored: true },
    });
  });
});
