import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  computeBounds,
  convertPointCloud,
  encodePcd,
  parsePcd,
  readPcd,
  voxelDownsample,
  writePcd,
  type PointCloud,
} from '../../src/demo/pcd.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/data.pcd', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cachex-pcd-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cloudOf(points: number[][]): PointCloud {
  return { count: points.length, xyz: Float64Array.from(points.flat()), attributes: {} };
}

/** Deterministic float32-exact test points. */
function samplePoints(n: number): number[][] {
  let s = 12345;
  const r = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const pts: number[][] = [];
  for (let i = 0; i < n; i++) pts.push([r() * 200 - 100, r() * 0.001, r() * 1e6].map(Math.fround));
  return pts;
}

function header(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

const XYZ_HEADER = ['VERSION 0.7', 'FIELDS x y z', 'SIZE 4 4 4', 'TYPE F F F', 'COUNT 1 1 1'];

describe('readPcd / writePcd', () => {
  it('round-trips ASCII files', async () => {
    const cloud = cloudOf([...samplePoints(500), [0, -0.1, 3.4028234663852886e38].map(Math.fround)]);
    const file = join(dir, 'rt-ascii.pcd');
    await writePcd(file, cloud, { binary: false });
    const text = await readFile(file, 'latin1');
    expect(text).toContain('\nDATA ascii\n');
    expect(text).toContain('\nPOINTS 501\n');
    const back = await readPcd(file);
    expect(back.count).toBe(501);
    expect(Array.from(back.xyz)).toEqual(Array.from(cloud.xyz));
  });

  it('round-trips binary files (the default)', async () => {
    const cloud = cloudOf([...samplePoints(500), [0, -0.1, 3.4028234663852886e38].map(Math.fround)]);
    const file = join(dir, 'rt-binary.pcd');
    await writePcd(file, cloud);
    const bytes = await readFile(file);
    expect(bytes.toString('latin1')).toContain('\nDATA binary\n');
    const back = await readPcd(file);
    expect(back.count).toBe(501);
    expect(Array.from(back.xyz)).toEqual(Array.from(cloud.xyz));
    // binary stores float32: values that are not float32-exact come back rounded
    const rounded = parsePcd(encodePcd(cloudOf([[0.1, 0.2, 0.3]])));
    expect(Array.from(rounded.xyz)).toEqual([0.1, 0.2, 0.3].map(Math.fround));
  });

  it('reads the same cloud from ASCII and binary encodings', () => {
    const cloud = cloudOf(samplePoints(50));
    const a = parsePcd(encodePcd(cloud, { binary: false }));
    const b = parsePcd(encodePcd(cloud, { binary: true }));
    expect(Array.from(a.xyz)).toEqual(Array.from(b.xyz));
  });

  it('writes an empty cloud that reads back', () => {
    const back = parsePcd(encodePcd(cloudOf([])));
    expect(back.count).toBe(0);
    expect(back.xyz.length).toBe(0);
  });

  it('reads binary files with mixed field types, COUNT > 1 and padding', () => {
    // x y z: F4; intensity: U2; ring: U1; _ : 1 byte padding; t: F8; label: I4; normal: F4 × 3
    const head = header([
      '# mixed',
      'VERSION 0.7',
      'FIELDS x y z intensity ring _ t label normal',
      'SIZE 4 4 4 2 1 1 8 4 4',
      'TYPE F F F U U U F I F',
      'COUNT 1 1 1 1 1 1 1 1 3',
      'WIDTH 2',
      'HEIGHT 1',
      'VIEWPOINT 0 0 0 1 0 0 0',
      'POINTS 2',
      'DATA binary',
    ]);
    const stride = 4 * 3 + 2 + 1 + 1 + 8 + 4 + 12;
    const body = Buffer.alloc(stride * 2);
    const rows = [
      { p: [1.5, -2.25, 3], i: 65535, ring: 7, t: 1e-9, label: -5, n: [0, 0, 1] },
      { p: [-0.5, 0, 1e3], i: 12, ring: 255, t: 123456.789, label: 2147483647, n: [1, 0, 0] },
    ];
    rows.forEach((row, k) => {
      const o = k * stride;
      row.p.forEach((v, j) => {
        body.writeFloatLE(v, o + j * 4);
      });
      body.writeUInt16LE(row.i, o + 12);
      body.writeUInt8(row.ring, o + 14);
      body.writeUInt8(0xee, o + 15);
      body.writeDoubleLE(row.t, o + 16);
      body.writeInt32LE(row.label, o + 24);
      row.n.forEach((v, j) => {
        body.writeFloatLE(v, o + 28 + j * 4);
      });
    });
    const cloud = parsePcd(Buffer.concat([Buffer.from(head, 'latin1'), body]), 'mixed.pcd');
    expect(cloud.count).toBe(2);
    expect(Array.from(cloud.xyz)).toEqual([1.5, -2.25, 3, -0.5, 0, 1000]);
    expect(Object.keys(cloud.attributes).sort()).toEqual(['intensity', 'label', 'normal', 'ring', 't']);
    expect(Array.from(cloud.attributes.intensity!.values)).toEqual([65535, 12]);
    expect(Array.from(cloud.attributes.ring!.values)).toEqual([7, 255]);
    expect(Array.from(cloud.attributes.t!.values)).toEqual([1e-9, 123456.789]);
    expect(Array.from(cloud.attributes.label!.values)).toEqual([-5, 2147483647]);
    expect(cloud.attributes.normal!.count).toBe(3);
    expect(Array.from(cloud.attributes.normal!.values)).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it('reads ASCII files with extra fields, NaN points, CRLF line ends and field order other than xyz', () => {
    const text = [
      '# organised cloud with a hole',
      'VERSION .7',
      'FIELDS intensity z y x',
      'SIZE 4 4 4 4',
      'TYPE F F F F',
      'COUNT 1 1 1 1',
      'WIDTH 3',
      'HEIGHT 1',
      'VIEWPOINT 0 0 0 1 0 0 0',
      'POINTS 3',
      'DATA ascii',
      '0.5 3 2 1',
      '0.25 nan nan nan',
      '',
      '1 6 5 4',
      '',
    ].join('\r\n');
    const cloud = parsePcd(Buffer.from(text, 'latin1'));
    expect(cloud.count).toBe(3);
    expect(Array.from(cloud.xyz.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(Number.isNaN(cloud.xyz[3])).toBe(true);
    expect(Array.from(cloud.xyz.subarray(6))).toEqual([4, 5, 6]);
    expect(Array.from(cloud.attributes.intensity!.values)).toEqual([0.5, 0.25, 1]);
    expect(computeBounds(cloud)).toEqual({ min: [1, 2, 3], max: [4, 5, 6] });
  });

  it('parses fixtures/data.pcd', async () => {
    const cloud = await readPcd(FIXTURE);
    expect(cloud.count).toBe(5000);
    expect(cloud.xyz.length).toBe(15000);
    expect(cloud.attributes.intensity?.values.length).toBe(5000);
    expect(Array.from(cloud.xyz).every(Number.isFinite)).toBe(true);
    const text = await readFile(FIXTURE, 'latin1');
    expect(text.startsWith('# cachex sample point cloud\n')).toBe(true);
  });
});

describe('malformed input', () => {
  const file = 'bad.pcd';
  const cases: [string, string, RegExp][] = [
    [
      'no FIELDS',
      header(['VERSION 0.7', 'SIZE 4 4 4', 'TYPE F F F', 'WIDTH 1', 'POINTS 1', 'DATA ascii']) + '1 2 3\n',
      /no FIELDS line/,
    ],
    [
      'SIZE length mismatch',
      header(['FIELDS x y z', 'SIZE 4 4', 'TYPE F F F', 'WIDTH 1', 'DATA ascii']) + '1 2 3\n',
      /FIELDS has 3 entries but SIZE has 2/,
    ],
    [
      'bad TYPE',
      header(['FIELDS x y z', 'SIZE 4 4 4', 'TYPE F F Q', 'WIDTH 1', 'DATA ascii']) + '1 2 3\n',
      /TYPE must be F, I or U/,
    ],
    [
      'bad TYPE/SIZE pair',
      header(['FIELDS x y z', 'SIZE 4 4 2', 'TYPE F F F', 'WIDTH 1', 'DATA ascii']) + '1 2 3\n',
      /TYPE F with SIZE 2/,
    ],
    ['missing z', header(['FIELDS x y', 'SIZE 4 4', 'TYPE F F', 'WIDTH 1', 'DATA ascii']) + '1 2\n', /no "z" field/],
    ['bad WIDTH', header([...XYZ_HEADER, 'WIDTH lots', 'DATA ascii']), /WIDTH must be a non-negative integer/],
    ['no DATA line', header([...XYZ_HEADER, 'WIDTH 1', 'POINTS 1']), /no DATA line/],
    ['unknown DATA format', header([...XYZ_HEADER, 'WIDTH 1', 'DATA hex']), /DATA must be ascii or binary/],
    ['not a PCD file', '\x89PNG\r\n\x1a\n binary junk', /unexpected header line 1/],
    [
      'too few ASCII values',
      header([...XYZ_HEADER, 'WIDTH 2', 'POINTS 2', 'DATA ascii']) + '10 20 30\n40 50\n',
      /line 10 has 2 values, expected 3/,
    ],
    [
      'non-numeric ASCII value',
      header([...XYZ_HEADER, 'WIDTH 1', 'POINTS 1', 'DATA ascii']) + '1 two 3\n',
      /"two" is not a number/,
    ],
    [
      'truncated ASCII data',
      header([...XYZ_HEADER, 'WIDTH 3', 'POINTS 3', 'DATA ascii']) + '1 2 3\n' + '\n'.repeat(20),
      /POINTS says 3 but the ASCII data has only 1 points/,
    ],
    [
      'ASCII data far shorter than POINTS',
      header([...XYZ_HEADER, 'WIDTH 1', 'POINTS 999999999999', 'DATA ascii']) + '1 2 3\n',
      /POINTS says 999999999999 but the ASCII data is only 6 bytes long/,
    ],
    [
      'binary data far shorter than POINTS',
      header([...XYZ_HEADER, 'WIDTH 1', 'POINTS 999999999999', 'DATA binary']) + 'x'.repeat(12),
      /binary data is truncated/,
    ],
    [
      'truncated binary data',
      header([...XYZ_HEADER, 'WIDTH 2', 'POINTS 2', 'DATA binary']) + 'x'.repeat(20),
      /truncated: 2 points × 12 bytes = 24 bytes expected, 20 present/,
    ],
  ];
  for (const [name, text, message] of cases) {
    it(`rejects ${name} with a clear message naming the file`, () => {
      let error: unknown;
      try {
        parsePcd(Buffer.from(text, 'latin1'), file);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain('"bad.pcd"');
      expect((error as Error).message).toMatch(message);
    });
  }

  it('rejects DATA binary_compressed, naming the file', async () => {
    const path = join(dir, 'compressed.pcd');
    await writeFile(path, header([...XYZ_HEADER, 'WIDTH 1', 'POINTS 1', 'DATA binary_compressed']) + '\0\0\0\0');
    await expect(readPcd(path)).rejects.toThrow(/compressed\.pcd.*binary_compressed is not supported/);
  });

  it('reports a missing file clearly', async () => {
    await expect(readPcd(join(dir, 'nope.pcd'))).rejects.toThrow(/Cannot read PCD file ".*nope\.pcd": ENOENT/);
  });
});

describe('voxelDownsample', () => {
  it('replaces the points of one voxel by their centroid and keeps separate voxels apart', () => {
    const cloud = cloudOf([
      [0, 0, 0],
      [0.4, 0.2, 0.1],
      [0.2, 0.4, 0.2], // same voxel as the first two at resolution 0.5
      [1.0, 0.0, 0.0], // its own voxel
      [0.1, 0.1, 0.9], // its own voxel (z)
      [NaN, 1, 1], // dropped
    ]);
    const down = voxelDownsample(cloud, 0.5);
    expect(down.count).toBe(3);
    const pts = Array.from({ length: down.count }, (_, i) => Array.from(down.xyz.subarray(i * 3, i * 3 + 3)));
    expect(pts[0]![0]).toBeCloseTo(0.2, 12);
    expect(pts[0]![1]).toBeCloseTo(0.2, 12);
    expect(pts[0]![2]).toBeCloseTo(0.1, 12);
    expect(pts[1]).toEqual([1, 0, 0]);
    expect(pts[2]).toEqual([0.1, 0.1, 0.9]);
  });

  it('keeps every point when each is in its own voxel, and merges all with a huge voxel', () => {
    const cloud = cloudOf(samplePoints(200));
    expect(voxelDownsample(cloud, 1e-9).count).toBe(cloud.count);
    const one = voxelDownsample(
      cloudOf([
        [1, 2, 3],
        [3, 4, 5],
      ]),
      1e9,
    );
    expect(Array.from(one.xyz)).toEqual([2, 3, 4]);
  });

  it('gives the same output for 0.1 and 0.10', () => {
    const cloud = cloudOf(samplePoints(2000));
    const a = voxelDownsample(cloud, 0.1);
    const b = voxelDownsample(cloud, Number('0.10'));
    expect(encodePcd(a).equals(encodePcd(b))).toBe(true);
  });

  it('rejects resolutions that are not finite and positive', () => {
    const cloud = cloudOf([[0, 0, 0]]);
    for (const bad of [0, -1, NaN, Infinity, '0.1' as unknown as number]) {
      expect(() => voxelDownsample(cloud, bad)).toThrow(/resolution must be a finite number greater than 0/);
    }
    const wide = cloudOf([
      [0, 0, 0],
      [3e38, 0, 0],
    ]);
    expect(() => voxelDownsample(wide, 1e-9)).toThrow(/too small for a cloud of this extent/);
  });

  it('returns an empty cloud when no point is finite', () => {
    expect(voxelDownsample(cloudOf([[NaN, 0, 0]]), 1).count).toBe(0);
  });

  it('downsamples the fixture', async () => {
    const cloud = await readPcd(FIXTURE);
    const down = voxelDownsample(cloud, 0.1);
    expect(down.count).toBeGreaterThan(100);
    expect(down.count).toBeLessThan(cloud.count);
    const b = computeBounds(cloud)!;
    const d = computeBounds(down)!;
    for (let k = 0; k < 3; k++) {
      expect(d.min[k]).toBeGreaterThanOrEqual(b.min[k]!);
      expect(d.max[k]).toBeLessThanOrEqual(b.max[k]!);
    }
  });
});

describe('convertPointCloud', () => {
  it('writes cloud.pcd and metadata.json, byte-identical across runs', async () => {
    const outA = join(dir, 'conv-a');
    const outB = join(dir, 'conv-b');
    const a = await convertPointCloud({ file: FIXTURE, resolution: 0.1, outDir: outA });
    const b = await convertPointCloud({ file: FIXTURE, resolution: Number('0.10'), outDir: outB });
    expect(b).toEqual(a);
    for (const name of ['cloud.pcd', 'metadata.json']) {
      const [x, y] = await Promise.all([readFile(join(outA, name)), readFile(join(outB, name))]);
      expect(x.equals(y)).toBe(true);
    }

    const metaText = await readFile(join(outA, 'metadata.json'), 'utf8');
    expect(metaText.endsWith('}\n')).toBe(true);
    expect(metaText).toBe(`${JSON.stringify(a, null, 2)}\n`);
    expect(a.input).toBe('data.pcd');
    expect(a.inputPoints).toBe(5000);
    expect(a.resolution).toBe(0.1);
    expect(a.outputPoints).toBeGreaterThan(0);
    expect(a.outputPoints).toBeLessThan(5000);
    expect(a.bounds?.min).toHaveLength(3);
    expect(a.bounds?.max).toHaveLength(3);

    const out = await readPcd(join(outA, 'cloud.pcd'));
    expect(out.count).toBe(a.outputPoints);
  });

  it('changes its output with the resolution', async () => {
    const a = await convertPointCloud({ file: FIXTURE, resolution: 0.1, outDir: join(dir, 'conv-c') });
    const b = await convertPointCloud({ file: FIXTURE, resolution: 0.2, outDir: join(dir, 'conv-d') });
    expect(b.outputPoints).toBeLessThan(a.outputPoints);
  });

  it('rejects a bad resolution before reading anything', async () => {
    await expect(
      convertPointCloud({ file: join(dir, 'missing.pcd'), resolution: 0, outDir: join(dir, 'x') }),
    ).rejects.toThrow(/resolution must be a finite number greater than 0/);
  });
});
