import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPcd } from '../../src/demo/pcd.js';
import { REPO, Workspace, isOneSentence } from '../helpers/cli.js';
import { HAVE_SHARED_DATA, NO_SHARED_DATA_REASON, sharedFile } from '../helpers/shared-data.js';

// The project's own demo tasks (cachex.config.ts at the root) on real data, through the built CLI.
const CONFIG = ['--config', path.join(REPO, 'cachex.config.ts')];

describe.skipIf(!HAVE_SHARED_DATA)(
  `demo tasks on real clouds${HAVE_SHARED_DATA ? '' : ` — ${NO_SHARED_DATA_REASON}`}`,
  () => {
    let ws: Workspace;
    beforeAll(() => {
      ws = new Workspace();
    });
    afterAll(() => ws.cleanup());

    function run(...args: string[]) {
      const r = ws.run([...CONFIG, 'run', ...args, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { status: string; key: string; outDir: string; result: Record<string, unknown> };
    }

    it('convert uses PCL’s grid by default (bunny at 0.01: 294 points, as pcl_voxel_grid) and the old one with --grid min', () => {
      const bunny = sharedFile('bunny.pcd');
      const byDefault = run('convert', '--file', bunny, '--resolution', '0.01');
      expect(byDefault.result).toMatchObject({ outputPoints: 294, grid: 'origin' });
      expect(run('convert', '--file', bunny, '--resolution', '0.01', '--grid', 'origin')).toMatchObject({
        status: 'hit',
        key: byDefault.key,
      });
      expect(run('convert', '--file', bunny, '--resolution', '0.01', '--grid', 'min').result).toMatchObject({
        outputPoints: 250,
        grid: 'min',
      });
    });

    it('convert keeps the attributes, counts the NaN points it drops, and writes the asked format', async () => {
      const mug = run(
        'convert',
        '--file',
        sharedFile('table_scene_mug_stereo_textured.pcd'),
        '--resolution',
        '0.01',
        '--format',
        'binary_compressed',
      );
      const meta = JSON.parse(readFileSync(path.join(mug.outDir, 'metadata.json'), 'utf8'));
      expect(meta).toMatchObject({
        inputPoints: 307200,
        droppedPoints: 97920,
        outputPoints: 9389,
        format: 'binary_compressed',
        fields: ['x', 'y', 'z', 'rgba'],
      });
      const cloud = path.join(mug.outDir, 'cloud.pcd');
      expect(readFileSync(cloud, 'latin1')).toContain('\nFIELDS x y z rgba\n');
      expect(readFileSync(cloud, 'latin1')).toContain('\nDATA binary_compressed\n');
      expect((await readPcd(cloud)).count).toBe(9389);

      const coloured = run(
        'convert',
        '--file',
        sharedFile('colored_cloud.pcd'),
        '--fields',
        'x,y,z',
        '--format',
        'ascii',
      );
      expect(coloured.result).toMatchObject({ fields: ['x', 'y', 'z'], format: 'ascii' });
    });

    it('convert names an unknown --fields entry in one sentence, without a stack trace', () => {
      const r = ws.run([...CONFIG, 'run', 'convert', '--file', sharedFile('bunny.pcd'), '--fields', 'colour']);
      expect(r.code).toBe(1);
      const message = r.stderr.split('\n').filter((l) => l.includes('colour'));
      expect(message).toEqual(['bunny.pcd has no field "colour" (it has x y z); name only those in --fields']);
      expect(isOneSentence(r.stderr, 3)).toBe(true);
    });

    it('potree is keyed by content and name: autzen_trim.las and a renamed copy are two entries', () => {
      const original = sharedFile('autzen_trim.las');
      const renamed = ws.path('other.las');
      copyFileSync(original, renamed);
      const a = run('potree', '--file', original);
      const b = run('potree', '--file', renamed);
      expect(a.status).toBe('miss');
      expect(b.status).toBe('miss');
      expect(b.key).not.toBe(a.key);
      const name = (r: { outDir: string }) =>
        JSON.parse(readFileSync(path.join(r.outDir, 'metadata.json'), 'utf8')).name as string;
      expect([name(a), name(b)]).toEqual(['autzen_trim', 'other']);
      expect(run('potree', '--file', renamed)).toMatchObject({ status: 'hit', key: b.key });
      expect(ws.converterRuns()).toBe(2);
    });
  },
);
