import { describe, expect, it } from 'vitest';
import {
  encodePcd,
  fieldNamed,
  parsePcd,
  readPcd,
  voxelDownsample,
  voxelGrid,
  type PcdField,
  type PcdFormat,
  type PointCloud,
} from '../../src/demo/pcd.js';
import {
  HAVE_SHARED_DATA,
  NO_SHARED_DATA_REASON,
  pclReferences,
  sharedFile,
  sharedPcdFiles,
} from '../helpers/shared-data.js';

const FORMATS: PcdFormat[] = ['ascii', 'binary', 'binary_compressed'];

function bytesOf(f: PcdField): Buffer {
  return Buffer.from(f.values.buffer, f.values.byteOffset, f.values.byteLength);
}

/** Points and fields equal: bit for bit in binary formats; in ASCII, floats by value (NaN = NaN). */
function expectSame(back: PointCloud, cloud: PointCloud, format: PcdFormat, what: string): void {
  expect([back.count, back.width, back.height], what).toEqual([cloud.count, cloud.width, cloud.height]);
  expect(back.viewpoint, what).toEqual(cloud.viewpoint);
  expect(
    back.fields.map((f) => [f.name, f.size, f.count]),
    what,
  ).toEqual(cloud.fields.map((f) => [f.name, f.size, f.count]));
  for (const f of cloud.fields) {
    const b = fieldNamed(back, f.name)!;
    const colour = f.name === 'rgb' || f.name === 'rgba';
    expect(b.type, `${what} ${f.name}`).toBe(format === 'ascii' && colour ? 'U' : f.type);
    if (format === 'ascii' && f.type === 'F' && !colour) {
      const a = Array.from(b.values as Float32Array);
      const e = Array.from(f.values as Float32Array);
      expect(a, `${what} ${f.name}`).toEqual(e);
    } else {
      expect(bytesOf(b).equals(bytesOf(f)), `${what} ${f.name}`).toBe(true);
    }
  }
}

describe.skipIf(!HAVE_SHARED_DATA)(
  `real PCD files from PCL (../shared/data)${HAVE_SHARED_DATA ? '' : ` — ${NO_SHARED_DATA_REASON}`}`,
  () => {
    it('has the 10 reference rows of the data README', () => {
      expect(pclReferences()).toHaveLength(10);
    });

    for (const ref of HAVE_SHARED_DATA ? pclReferences() : []) {
      it(`${ref.file} at leaf ${ref.leaf}: ${ref.pcl} points with --grid origin, as pcl_voxel_grid; ${ref.minGrid} with --grid min`, async () => {
        const cloud = await readPcd(sharedFile(ref.file));
        expect(voxelDownsample(cloud, ref.leaf, { grid: 'origin' }).count).toBe(ref.pcl);
        expect(voxelDownsample(cloud, ref.leaf, { grid: 'min' }).count).toBe(ref.minGrid);
      });
    }

    for (const name of HAVE_SHARED_DATA ? sharedPcdFiles() : []) {
      it(`reads ${name} and writes it back identically in ascii, binary and binary_compressed (as read and voxelised)`, async () => {
        const cloud = await readPcd(sharedFile(name));
        expect(cloud.count).toBeGreaterThan(0);
        const down = voxelDownsample(cloud, 0.05);
        for (const format of FORMATS) {
          expectSame(parsePcd(encodePcd(cloud, { format })), cloud, format, `${name} as ${format}`);
          expectSame(parsePcd(encodePcd(down, { format })), down, format, `${name} voxelised, as ${format}`);
        }
      });
    }

    it('reads the organised, NaN-holed, compressed clouds with the README numbers', async () => {
      const mug = await readPcd(sharedFile('table_scene_mug_stereo_textured.pcd'));
      expect([mug.width, mug.height, mug.count]).toEqual([640, 480, 307200]);
      expect(mug.fields.map((f) => `${f.name}:${f.type}${f.size}`)).toEqual(['x:F4', 'y:F4', 'z:F4', 'rgba:U4']);
      expect(voxelGrid(mug, 0.01).dropped).toBe(97920);
      const office = await readPcd(sharedFile('office1.pcd'));
      expect(fieldNamed(office, 'rgb')!.type).toBe('F');
      expect(voxelGrid(office, 0.05).dropped).toBe(52744);
    });

    it('keeps the bits of colored_cloud.pcd colours when its rgb is typed F (552 look like signalling NaNs)', async () => {
      const cloud = await readPcd(sharedFile('colored_cloud.pcd'));
      const rgb = fieldNamed(cloud, 'rgb')!;
      expect(rgb.type).toBe('U');
      const bits = Array.from(rgb.values as Uint32Array);
      const signalling = bits.filter((c) => (c & 0x7f800000) === 0x7f800000 && (c & 0x7fffff) !== 0 && !(c & 0x400000));
      expect(signalling.length).toBe(552);
      rgb.type = 'F'; // as if the file said TYPE F
      for (const format of ['binary', 'binary_compressed'] as const) {
        const back = parsePcd(encodePcd(cloud, { format }));
        expect(fieldNamed(back, 'rgb')!.type).toBe('F');
        expect(Array.from(fieldNamed(back, 'rgb')!.values as Uint32Array)).toEqual(bits);
      }
      // one voxel per point: averaging a colour with itself keeps it
      const same = voxelDownsample(cloud, 1e-6);
      expect(same.count).toBe(cloud.count);
      expect(Array.from(fieldNamed(same, 'rgb')!.values as Uint32Array).sort()).toEqual([...bits].sort());
    });
  },
);
