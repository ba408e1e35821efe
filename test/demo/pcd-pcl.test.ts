import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePcd, fieldNamed, readPcd, voxelDownsample, type PcdFormat } from '../../src/demo/pcd.js';
import { HAVE_SHARED_DATA, NO_SHARED_DATA_REASON, sharedFile } from '../helpers/shared-data.js';

// PCL's own tools (Debian `pcl-tools`), when the machine has them: the reference implementation
// itself, not numbers copied from it.
const HAVE_PCL = spawnSync('pcl_voxel_grid', ['-h'], { stdio: 'ignore' }).error === undefined;
const reason = !HAVE_PCL
  ? " — skipped: PCL's tools are not installed (apt-get install pcl-tools)"
  : !HAVE_SHARED_DATA
    ? ` — ${NO_SHARED_DATA_REASON}`
    : '';

// Made only when the tools are there: vitest runs no afterAll in a file whose tests all skip.
const dir = reason === '' ? mkdtempSync(path.join(tmpdir(), 'cachex-pcl-')) : '';
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function pcl(tool: string, args: string[]): void {
  const r = spawnSync(tool, args, { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, `${tool} ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
}

describe.skipIf(reason !== '')(`against PCL 1.13's own tools${reason}`, () => {
  for (const [file, leaf] of [
    ['colored_cloud.pcd', 0.01],
    ['office1.pcd', 0.05],
    ['table_scene_mug_stereo_textured.pcd', 0.01],
  ] as const) {
    it(`${file} at ${leaf}: the same points as pcl_voxel_grid, in its order, within float32 rounding, colours exact`, async () => {
      const out = path.join(dir, `pcl-${file}`);
      pcl('pcl_voxel_grid', [sharedFile(file), out, '-leaf', `${leaf},${leaf},${leaf}`]);
      const theirs = await readPcd(out);
      const ours = voxelDownsample(await readPcd(sharedFile(file)), leaf);
      expect(ours.count).toBe(theirs.count);
      for (const f of theirs.fields) {
        const mine = fieldNamed(ours, f.name)!;
        const a = mine.values;
        const b = f.values;
        if (f.name === 'rgb' || f.name === 'rgba') {
          expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), f.name).toBe(true);
          continue;
        }
        // PCL sums in float32, cachex in doubles: a few float32 steps apart at most
        let worst = 0;
        for (let i = 0; i < theirs.count; i++) {
          const d = Math.abs(Number(a[i]) - Number(b[i])) / (Math.max(Math.abs(Number(b[i])), 1) * 2 ** -23);
          worst = Math.max(worst, d);
        }
        expect(worst, f.name).toBeLessThan(16);
      }
    });
  }

  for (const format of ['ascii', 'binary', 'binary_compressed'] as PcdFormat[]) {
    it(`PCL reads what cachex writes as ${format}`, async () => {
      const cloud = await readPcd(sharedFile('table_scene_mug_stereo_textured.pcd'));
      const ours = path.join(dir, `ours-${format}.pcd`);
      writeFileSync(ours, encodePcd(cloud, { format }));
      const back = path.join(dir, `back-${format}.pcd`);
      pcl('pcl_convert_pcd_ascii_binary', [ours, back, '1']); // PCL reads ours, writes binary
      const again = await readPcd(back);
      expect([again.width, again.height]).toEqual([640, 480]);
      for (const f of cloud.fields) {
        const g = fieldNamed(again, f.name)!;
        expect(Buffer.from(g.values.buffer).equals(Buffer.from(f.values.buffer)), f.name).toBe(true);
      }
    });
  }
});
