import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cloudFromXyz,
  computeBounds,
  convertPointCloud,
  encodePcd,
  fieldNamed,
  parsePcd,
  readPcd,
  voxelDownsample,
  voxelGrid,
  writePcd,
  type PcdField,
  type PcdFormat,
  type PointCloud,
} from '../../src/demo/pcd.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/data.pcd', import.meta.url));
const FORMATS: PcdFormat[] = ['ascii', 'binary', 'binary_compressed'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cachex-pcd-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

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

function cloudOf(points: number[][]): PointCloud {
  return cloudFromXyz(points.flat());
}

function xyzOf(cloud: PointCloud): number[][] {
  const [x, y, z] = ['x', 'y', 'z'].map((n) => fieldNamed(cloud, n)!.values);
  return Array.from({ length: cloud.count }, (_, i) => [Number(x![i]), Number(y![i]), Number(z![i])]);
}

function header(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** The raw bytes of a field's values: equal bytes mean equal values, NaN payloads included. */
function bytesOf(f: PcdField): Buffer {
  return Buffer.from(f.values.buffer, f.values.byteOffset, f.values.byteLength);
}

/** A cloud with a field of every TYPE/SIZE PCL writes, one with COUNT 3, organised 3×2. */
function everyType(): PointCloud {
  const n = 6;
  const f = (name: string, type: 'F' | 'I' | 'U', size: number, values: PcdField['values'], count = 1): PcdField => ({
    name,
    type,
    size,
    count,
    values,
  });
  return {
    count: n,
    width: 3,
    height: 2,
    viewpoint: [1.5, -2, 3, 0.7071067690849304, 0, 0.7071067690849304, 0],
    fields: [
      f('x', 'F', 8, Float64Array.from([636000.123456789, 636000.987654321, -1e-300, 0, -0, 1e300])),
      f('y', 'F', 4, Float32Array.from([0.1, 2.5, -3, 1e-38, 3.4e38, NaN])),
      f('z', 'F', 4, Float32Array.from([1, 2, 3, 4, 5, 6])),
      f('i1', 'I', 1, Int8Array.from([-128, 127, 0, -1, 1, 5])),
      f('u1', 'U', 1, Uint8Array.from([0, 255, 1, 2, 3, 4])),
      f('i2', 'I', 2, Int16Array.from([-32768, 32767, 0, -2, 2, 7])),
      f('u2', 'U', 2, Uint16Array.from([0, 65535, 1, 2, 3, 4])),
      f('i4', 'I', 4, Int32Array.from([-2147483648, 2147483647, 0, -3, 3, 9])),
      f('u4', 'U', 4, Uint32Array.from([0, 4294967295, 1, 2, 3, 4])),
      f('i8', 'I', 8, BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, 0n, -4n, 4n, 2n ** 53n + 1n])),
      f('u8', 'U', 8, BigUint64Array.from([0n, 2n ** 64n - 1n, 1n, 2n, 3n, 2n ** 60n + 3n])),
      f(
        'normal',
        'F',
        4,
        Float32Array.from({ length: n * 3 }, (_, i) => i / 7),
        3,
      ),
      // 0xff81827d is a signalling-NaN pattern when read as a float
      f('rgb', 'F', 4, Uint32Array.from([0xff81827d, 0xff000000, 0x00ffffff, 0x7f800001, 0, 0xffffffff])),
    ],
  };
}

function expectSameCloud(back: PointCloud, cloud: PointCloud, format: PcdFormat): void {
  expect(back.count).toBe(cloud.count);
  expect([back.width, back.height]).toEqual([cloud.width, cloud.height]);
  expect(back.viewpoint).toEqual(cloud.viewpoint);
  expect(back.fields.map((f) => f.name)).toEqual(cloud.fields.map((f) => f.name));
  for (const f of cloud.fields) {
    const b = fieldNamed(back, f.name)!;
    // PCL's ASCII writer (and this one) says TYPE U for a packed colour
    const type = format === 'ascii' && f.name === 'rgb' ? 'U' : f.type;
    expect([b.type, b.size, b.count], f.name).toEqual([type, f.size, f.count]);
    expect(b.values.constructor, f.name).toBe(f.values.constructor);
    if (format === 'ascii' && f.type === 'F' && f.name !== 'rgb') {
      // text keeps every value (and -0) but not NaN payloads
      expect(Array.from(b.values as Float64Array), f.name).toEqual(Array.from(f.values as Float64Array));
    } else {
      expect(bytesOf(b).equals(bytesOf(f)), f.name).toBe(true);
    }
  }
}

describe('readPcd / writePcd', () => {
  for (const format of FORMATS) {
    it(`round-trips every TYPE/SIZE/COUNT, an organised cloud and VIEWPOINT in ${format}`, async () => {
      const cloud = everyType();
      const file = join(dir, `every-${format}.pcd`);
      await writePcd(file, cloud, { format });
      const text = (await readFile(file)).toString('latin1');
      expect(text).toContain(`\nDATA ${format}\n`);
      expect(text).toContain('\nWIDTH 3\nHEIGHT 2\nVIEWPOINT 1.5 -2 3 0.7071067690849304 0 0.7071067690849304 0\n');
      expect(text).toContain('\nSIZE 8 4 4 1 1 2 2 4 4 8 8 4 4\n');
      expect(text).toContain(`\nTYPE F F F I U I U I U I U F ${format === 'ascii' ? 'U' : 'F'}\n`);
      expect(text).toContain('\nCOUNT 1 1 1 1 1 1 1 1 1 1 1 3 1\n');
      expectSameCloud(await readPcd(file), cloud, format);
    });
  }

  it('writes packed colours in ASCII as the unsigned integer, and F 8 with all its digits', () => {
    const text = encodePcd(everyType(), { format: 'ascii' }).toString('latin1');
    const first = text.split('\n')[11]!.split(' ');
    expect(first[0]).toBe('636000.123456789');
    expect(first.at(-1)).toBe(String(0xff81827d));
    expect(text).toContain(' nan ');
  });

  it('reads a float-typed rgb without changing its bits (no float → double conversion)', () => {
    const cloud = everyType();
    const back = parsePcd(encodePcd(cloud, { format: 'binary' }));
    expect(fieldNamed(back, 'rgb')!.type).toBe('F');
    expect(Array.from(fieldNamed(back, 'rgb')!.values as Uint32Array)).toEqual([
      0xff81827d, 0xff000000, 0x00ffffff, 0x7f800001, 0, 0xffffffff,
    ]);
    // the same from ASCII text that spells a float (as some writers do)
    const ascii = header([
      'FIELDS x y z rgb',
      'SIZE 4 4 4 4',
      'TYPE F F F F',
      'WIDTH 1',
      'DATA ascii',
      '0 0 0 4.2108e+06',
    ]);
    const f32 = new Float32Array([4.2108e6]);
    expect((fieldNamed(parsePcd(Buffer.from(ascii)), 'rgb')!.values as Uint32Array)[0]).toBe(
      new Uint32Array(f32.buffer)[0],
    );
  });

  it('reads binary files with padding fields (_), dropping them', () => {
    const head = header([
      'FIELDS x y z _ intensity',
      'SIZE 4 4 4 1 2',
      'TYPE F F F U U',
      'COUNT 1 1 1 3 1',
      'WIDTH 2',
      'DATA binary',
    ]);
    const stride = 12 + 3 + 2;
    const body = Buffer.alloc(stride * 2, 0xee);
    [
      [1.5, -2.25, 3, 65535],
      [-0.5, 0, 1e3, 12],
    ].forEach((row, k) => {
      row.slice(0, 3).forEach((v, j) => {
        body.writeFloatLE(v, k * stride + j * 4);
      });
      body.writeUInt16LE(row[3]!, k * stride + 15);
    });
    const cloud = parsePcd(Buffer.concat([Buffer.from(head), body]), 'padded.pcd');
    expect(cloud.fields.map((f) => f.name)).toEqual(['x', 'y', 'z', 'intensity']);
    expect(xyzOf(cloud)).toEqual([
      [1.5, -2.25, 3],
      [-0.5, 0, 1000],
    ]);
    expect(Array.from(fieldNamed(cloud, 'intensity')!.values)).toEqual([65535, 12]);
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
    const pts = xyzOf(cloud);
    expect(pts[0]).toEqual([1, 2, 3]);
    expect(Number.isNaN(pts[1]![0])).toBe(true);
    expect(pts[2]).toEqual([4, 5, 6]);
    expect(Array.from(fieldNamed(cloud, 'intensity')!.values)).toEqual([0.5, 0.25, 1]);
    expect(computeBounds(cloud)).toEqual({ min: [1, 2, 3], max: [4, 5, 6] });
  });

  it('writes an empty cloud that reads back, in every format', () => {
    for (const format of FORMATS) {
      const back = parsePcd(encodePcd(cloudOf([]), { format }));
      expect(back.count).toBe(0);
      expect(back.fields.map((f) => f.name)).toEqual(['x', 'y', 'z']);
    }
  });

  it('parses fixtures/data.pcd', async () => {
    const cloud = await readPcd(FIXTURE);
    expect(cloud.count).toBe(5000);
    expect(cloud.fields.map((f) => f.name)).toEqual(['x', 'y', 'z', 'intensity']);
    expect(xyzOf(cloud).flat().every(Number.isFinite)).toBe(true);
  });
});

describe('malformed input', () => {
  const file = 'bad.pcd';
  const XYZ = ['VERSION 0.7', 'FIELDS x y z', 'SIZE 4 4 4', 'TYPE F F F', 'COUNT 1 1 1'];
  const compressed = (sizes: [number, number], data: Buffer) => {
    const head = Buffer.from(header([...XYZ, 'WIDTH 2', 'DATA binary_compressed']));
    const s = Buffer.alloc(8);
    s.writeUInt32LE(sizes[0], 0);
    s.writeUInt32LE(sizes[1], 4);
    return Buffer.concat([head, s, data]);
  };
  const cases: [string, string | Buffer, RegExp][] = [
    [
      'no FIELDS',
      `${header(['VERSION 0.7', 'SIZE 4 4 4', 'TYPE F F F', 'WIDTH 1', 'POINTS 1', 'DATA ascii'])}1 2 3\n`,
      /no FIELDS line/,
    ],
    [
      'SIZE length mismatch',
      `${header(['FIELDS x y z', 'SIZE 4 4', 'TYPE F F F', 'WIDTH 1', 'DATA ascii'])}1 2 3\n`,
      /FIELDS has 3 entries but SIZE has 2/,
    ],
    [
      'bad TYPE',
      `${header(['FIELDS x y z', 'SIZE 4 4 4', 'TYPE F F Q', 'WIDTH 1', 'DATA ascii'])}1 2 3\n`,
      /TYPE must be F, I or U/,
    ],
    [
      'bad TYPE/SIZE pair',
      `${header(['FIELDS x y z', 'SIZE 4 4 2', 'TYPE F F F', 'WIDTH 1', 'DATA ascii'])}1 2 3\n`,
      /TYPE F with SIZE 2/,
    ],
    ['missing z', `${header(['FIELDS x y', 'SIZE 4 4', 'TYPE F F', 'WIDTH 1', 'DATA ascii'])}1 2\n`, /no "z" field/],
    ['bad WIDTH', header([...XYZ, 'WIDTH lots', 'DATA ascii']), /WIDTH must be a non-negative integer/],
    [
      'WIDTH × HEIGHT ≠ POINTS',
      header([...XYZ, 'WIDTH 2', 'HEIGHT 2', 'POINTS 3', 'DATA ascii']),
      /is 4 points but POINTS says 3/,
    ],
    ['bad VIEWPOINT', header([...XYZ, 'WIDTH 1', 'VIEWPOINT 0 0 0 1', 'DATA ascii']), /VIEWPOINT needs 7 numbers/],
    ['no DATA line', header([...XYZ, 'WIDTH 1', 'POINTS 1']), /no DATA line/],
    ['unknown DATA format', header([...XYZ, 'WIDTH 1', 'DATA hex']), /DATA must be ascii, binary or binary_compressed/],
    ['not a PCD file', '\x89PNG\r\n\x1a\n binary junk', /unexpected header line 1/],
    [
      'too few ASCII values',
      `${header([...XYZ, 'WIDTH 2', 'POINTS 2', 'DATA ascii'])}10 20 30\n40 50\n`,
      /line 10 has 2 values, expected 3/,
    ],
    ['non-numeric ASCII value', `${header([...XYZ, 'WIDTH 1', 'DATA ascii'])}1 two 3\n`, /"two" is not a number/],
    [
      'ASCII integer out of range',
      `${header(['FIELDS x y z i', 'SIZE 4 4 4 1', 'TYPE F F F U', 'WIDTH 1', 'DATA ascii'])}1 2 3 256\n`,
      /256 is out of range for field "i" \(U1: 0 to 255\)/,
    ],
    [
      'ASCII fraction in an integer field',
      `${header(['FIELDS x y z i', 'SIZE 4 4 4 8', 'TYPE F F F I', 'WIDTH 1', 'DATA ascii'])}1 2 3 1.5\n`,
      /"1.5" is not an integer/,
    ],
    [
      'truncated ASCII data',
      `${header([...XYZ, 'WIDTH 3', 'POINTS 3', 'DATA ascii'])}1 2 3\n${'\n'.repeat(20)}`,
      /POINTS says 3 but the ASCII data has only 1 points/,
    ],
    [
      'ASCII data far shorter than POINTS',
      `${header([...XYZ, 'WIDTH 999999999999', 'DATA ascii'])}1 2 3\n`,
      /POINTS says 999999999999 but the ASCII data is only 6 bytes long/,
    ],
    [
      'binary data far shorter than POINTS',
      `${header([...XYZ, 'WIDTH 999999999999', 'DATA binary'])}${'x'.repeat(12)}`,
      /binary data is truncated/,
    ],
    [
      'truncated binary data',
      `${header([...XYZ, 'WIDTH 2', 'DATA binary'])}${'x'.repeat(20)}`,
      /truncated: 2 points × 12 bytes = 24 bytes expected, 20 present/,
    ],
    [
      'compressed data without its sizes',
      `${header([...XYZ, 'WIDTH 2', 'DATA binary_compressed'])}\0\0`,
      /its 8-byte size header is missing/,
    ],
    [
      'compressed data of the wrong unpacked size',
      compressed([2, 23], Buffer.from([0, 0])),
      /unpacks to 23 bytes but 2 points of these fields need 24/,
    ],
    ['truncated compressed data', compressed([30, 24], Buffer.alloc(10)), /30 compressed bytes expected, 10 present/],
    ['damaged compressed data', compressed([2, 24], Buffer.from([0x20, 0x05])), /damaged: back reference/],
  ];
  for (const [name, text, message] of cases) {
    it(`rejects ${name} with a clear message naming the file`, () => {
      let error: unknown;
      try {
        parsePcd(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, file);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain('"bad.pcd"');
      expect((error as Error).message).toMatch(message);
    });
  }

  it('reports a missing file clearly', async () => {
    await expect(readPcd(join(dir, 'nope.pcd'))).rejects.toThrow(/Cannot read PCD file ".*nope\.pcd": ENOENT/);
  });
});

describe('voxelDownsample', () => {
  it('replaces the points of one voxel by their centroid and drops non-finite points, counting them', () => {
    const cloud = cloudOf([
      [0, 0, 0],
      [0.375, 0.25, 0.125],
      [0.25, 0.375, 0.25], // same voxel as the first two at leaf 0.5
      [1.0, 0.0, 0.0], // its own voxel
      [0.125, 0.125, 0.875], // its own voxel (z)
      [NaN, 1, 1],
      [1, Infinity, 1],
    ]);
    const { cloud: down, dropped } = voxelGrid(cloud, 0.5);
    expect(dropped).toBe(2);
    // PCL's order: z slowest, x fastest
    expect(xyzOf(down)).toEqual([[0.625 / 3, 0.625 / 3, 0.375 / 3].map(Math.fround), [1, 0, 0], [0.125, 0.125, 0.875]]);
  });

  it('anchors the grid at the origin (PCL) or at the minimum (--grid min)', () => {
    // at leaf 1: origin cells are [0,1) and [1,2) → 2 voxels; from min 0.5: [0.5,1.5) holds both
    const cloud = cloudOf([
      [0.5, 0, 0],
      [1.25, 0, 0],
    ]);
    expect(voxelDownsample(cloud, 1, { grid: 'origin' }).count).toBe(2);
    expect(voxelDownsample(cloud, 1, { grid: 'min' }).count).toBe(1);
    expect(voxelDownsample(cloud, 1).count).toBe(2);
  });

  it('computes F 4 voxel indices in float32, as PCL does', () => {
    // float32 0.7 is 0.699999988…: in doubles 0.7/0.1 puts it in voxel 6, PCL's float32
    // product rounds to 7, the voxel of 0.75
    const pair = cloudOf([
      [Math.fround(0.7), 0, 0],
      [Math.fround(0.75), 0, 0],
    ]);
    expect(voxelDownsample(pair, 0.1).count).toBe(1);
    // the same coordinates as F 8 are voxelised in doubles
    const doubles = cloudFromXyz([Math.fround(0.7), 0, 0, Math.fround(0.75), 0, 0], 8);
    expect(voxelDownsample(doubles, 0.1).count).toBe(2);
  });

  it('averages every field: F 8 in doubles, integers rounded, COUNT > 1 per component, colours per channel', () => {
    const pack = (r: number, g: number, b: number, a: number) => ((a << 24) | (r << 16) | (g << 8) | b) >>> 0;
    const cloud: PointCloud = {
      count: 3,
      width: 3,
      height: 1,
      viewpoint: [0, 0, 0, 1, 0, 0, 0],
      fields: [
        { name: 'x', type: 'F', size: 8, count: 1, values: Float64Array.from([636000.001, 636000.004, 636000.5]) },
        { name: 'y', type: 'F', size: 8, count: 1, values: Float64Array.from([0, 0, 0]) },
        { name: 'z', type: 'F', size: 8, count: 1, values: Float64Array.from([0, 0, 0]) },
        { name: 'intensity', type: 'U', size: 2, count: 1, values: Uint16Array.from([10, 13, 7]) },
        { name: 'h', type: 'F', size: 4, count: 2, values: Float32Array.from([1, 2, 3, 4, 5, 6]) },
        {
          name: 'rgba',
          type: 'U',
          size: 4,
          count: 1,
          values: Uint32Array.from([pack(10, 20, 30, 255), pack(20, 41, 31, 255), pack(0, 0, 0, 0)]),
        },
      ],
    };
    const down = voxelDownsample(cloud, 0.01);
    expect(down.count).toBe(2);
    expect(Array.from(fieldNamed(down, 'x')!.values)).toEqual([(636000.001 + 636000.004) / 2, 636000.5]);
    expect(Array.from(fieldNamed(down, 'intensity')!.values)).toEqual([12, 7]); // 11.5 → 12
    expect(Array.from(fieldNamed(down, 'h')!.values)).toEqual([2, 3, 5, 6]);
    // channel averages truncated, as PCL packs them: (15, 30.5, 30.5, 255) → (15, 30, 30, 255)
    expect((fieldNamed(down, 'rgba')!.values as Uint32Array)[0]).toBe(pack(15, 30, 30, 255));
    expect(down.fields.map((f) => `${f.name}:${f.type}${f.size}`)).toEqual([
      'x:F8',
      'y:F8',
      'z:F8',
      'intensity:U2',
      'h:F4',
      'rgba:U4',
    ]);
  });

  it('keeps only the fields asked for (x, y and z always), and names the fields when one is unknown', () => {
    const cloud = everyType();
    fieldNamed(cloud, 'x')!.values = Float64Array.from([1, 2, 3, 4, 5, 6]);
    fieldNamed(cloud, 'y')!.values = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(voxelDownsample(cloud, 1, { fields: [] }).fields.map((f) => f.name)).toEqual(['x', 'y', 'z']);
    expect(voxelDownsample(cloud, 1, { fields: ['rgb', 'u2'] }).fields.map((f) => f.name)).toEqual([
      'x',
      'y',
      'z',
      'u2',
      'rgb',
    ]);
    expect(() => voxelDownsample(cloud, 1, { fields: ['colour'] })).toThrow(
      /no field "colour" to keep; the cloud has x y z i1 u1/,
    );
  });

  it('handles grids finer than PCL’s 32-bit voxel indices can address', () => {
    // (cells in x) × (cells in y) × (cells in z) = 3·10^6 cubed, far above PCL's limit of 2^31 − 1
    const cloud = cloudOf([
      [0, 0, 0],
      [0.0001, 0, 0],
      [3000, 3000, 3000],
    ]);
    expect(voxelDownsample(cloud, 0.001).count).toBe(2);
  });

  it('keeps every point when each is in its own voxel, merges all with a huge voxel', () => {
    const cloud = cloudOf(samplePoints(200));
    expect(voxelDownsample(cloud, 1e-9, { grid: 'min' }).count).toBe(cloud.count);
    const one = voxelDownsample(
      cloudOf([
        [1, 2, 3],
        [3, 4, 5],
      ]),
      1e9,
    );
    expect(xyzOf(one)).toEqual([[2, 3, 4]]);
  });

  it('gives the same output for 0.1 and 0.10', () => {
    const cloud = cloudOf(samplePoints(2000));
    const a = voxelDownsample(cloud, 0.1);
    const b = voxelDownsample(cloud, Number('0.10'));
    expect(encodePcd(a).equals(encodePcd(b))).toBe(true);
  });

  it('rejects resolutions that are not finite and positive, or too small for the extent', () => {
    const cloud = cloudOf([[0, 0, 0]]);
    for (const bad of [0, -1, NaN, Infinity, '0.1' as unknown as number]) {
      expect(() => voxelDownsample(cloud, bad)).toThrow(/resolution must be a finite number greater than 0/);
    }
    const wide = cloudOf([
      [0, 0, 0],
      [3e38, 0, 0],
    ]);
    for (const grid of ['origin', 'min'] as const)
      expect(() => voxelDownsample(wide, 1e-9, { grid })).toThrow(/too small for a cloud of this extent/);
  });

  it('returns an empty cloud when no point is finite', () => {
    const { cloud, dropped } = voxelGrid(cloudOf([[NaN, 0, 0]]), 1);
    expect(cloud.count).toBe(0);
    expect(dropped).toBe(1);
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
    expect(metaText).toBe(`${JSON.stringify(a, null, 2)}\n`);
    expect(a).toMatchObject({
      input: 'data.pcd',
      inputPoints: 5000,
      droppedPoints: 0,
      resolution: 0.1,
      grid: 'origin',
      format: 'binary',
      fields: ['x', 'y', 'z', 'intensity'],
    });
    expect(a.outputPoints).toBeGreaterThan(0);
    expect(a.outputPoints).toBeLessThan(5000);
    const out = await readPcd(join(outA, 'cloud.pcd'));
    expect(out.count).toBe(a.outputPoints);
    expect(out.fields.map((f) => f.name)).toEqual(['x', 'y', 'z', 'intensity']);
  });

  it('honours grid, format and fields ("a,b" as the CLI passes it)', async () => {
    const out = join(dir, 'conv-opts');
    const s = await convertPointCloud({
      file: FIXTURE,
      resolution: 0.2,
      outDir: out,
      grid: 'min',
      format: 'binary_compressed',
      fields: 'x,y,z',
    });
    expect(s).toMatchObject({ grid: 'min', format: 'binary_compressed', fields: ['x', 'y', 'z'] });
    expect((await readFile(join(out, 'cloud.pcd'))).toString('latin1')).toContain('\nDATA binary_compressed\n');
    expect((await readPcd(join(out, 'cloud.pcd'))).count).toBe(s.outputPoints);
  });

  it('changes its output with the resolution', async () => {
    const a = await convertPointCloud({ file: FIXTURE, resolution: 0.1, outDir: join(dir, 'conv-c') });
    const b = await convertPointCloud({ file: FIXTURE, resolution: 0.2, outDir: join(dir, 'conv-d') });
    expect(b.outputPoints).toBeLessThan(a.outputPoints);
  });

  it('rejects a bad resolution, grid or format before reading anything', async () => {
    const missing = join(dir, 'missing.pcd');
    const outDir = join(dir, 'x');
    await expect(convertPointCloud({ file: missing, resolution: 0, outDir })).rejects.toThrow(
      /resolution must be a finite number greater than 0/,
    );
    await expect(convertPointCloud({ file: missing, resolution: 1, outDir, grid: 'centre' as 'min' })).rejects.toThrow(
      /grid must be origin or min/,
    );
    await expect(convertPointCloud({ file: missing, resolution: 1, outDir, format: 'zip' as 'ascii' })).rejects.toThrow(
      /format must be binary, ascii, binary_compressed/,
    );
  });

  it('keeps F 8 coordinates of a georeferenced cloud as F 8: centroids exact to the double', async () => {
    // state-plane-like coordinates (x ≈ 636 000), spread over 0.04 so each 0.01 voxel holds several points
    const n = 4000;
    const xyz: number[] = [];
    let s = 7;
    const r = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 2 ** 32;
    };
    for (let i = 0; i < n; i++) xyz.push(636000 + r() * 0.04, 850000 + r() * 0.04, 100 + r() * 0.04);
    const file = join(dir, 'georef.pcd');
    await writeFile(file, encodePcd(cloudFromXyz(xyz, 8)));
    const out = join(dir, 'conv-georef');
    await convertPointCloud({ file, resolution: 0.01, outDir: out });
    const text = (await readFile(join(out, 'cloud.pcd'))).toString('latin1');
    expect(text).toContain('\nSIZE 8 8 8\nTYPE F F F\n');
    const down = await readPcd(join(out, 'cloud.pcd'));
    // reference centroids by brute force, in doubles
    const sums = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const p = xyz.slice(i * 3, i * 3 + 3);
      const key = p.map((v) => Math.floor(v * (1 / 0.01))).join(',');
      const acc = sums.get(key) ?? [0, 0, 0, 0];
      sums.set(key, [acc[0]! + p[0]!, acc[1]! + p[1]!, acc[2]! + p[2]!, acc[3]! + 1]);
    }
    expect(down.count).toBe(sums.size);
    let worst = 0;
    for (const p of xyzOf(down)) {
      const key = p.map((v) => Math.floor(v * (1 / 0.01))).join(',');
      const acc = sums.get(key)!;
      for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(p[k]! - acc[k]! / acc[3]!));
    }
    expect(worst).toBeLessThan(1e-9); // F 4 would be off by up to 0.03 here
  });
});
