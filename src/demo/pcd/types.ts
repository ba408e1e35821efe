/** The in-memory shape of a point cloud, as read from and written to PCD files. */

/** PCD field type letter: F = float, I = signed integer, U = unsigned integer. */
export type PcdType = 'F' | 'I' | 'U';

/** The three encodings of a PCD file's data section. */
export type PcdFormat = 'ascii' | 'binary' | 'binary_compressed';

export const PCD_FORMATS: readonly PcdFormat[] = ['binary', 'ascii', 'binary_compressed'];

export type FieldValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** One field of every point (x, rgb, normal_x, a COUNT 33 histogram …). */
export interface PcdField {
  name: string;
  type: PcdType;
  /** bytes of one value in the file: 1, 2, 4 or 8 */
  size: number;
  /** values per point (the PCD COUNT) */
  count: number;
  /**
   * `count` values per point, interleaved, in the array type of TYPE/SIZE (F 4 → Float32Array,
   * U 8 → BigUint64Array …). A packed colour (`rgb`/`rgba`, SIZE 4) is a Uint32Array of its raw
   * bits whatever its TYPE: reading a float-typed colour as a number would change the bits of
   * colours that look like signalling NaNs.
   */
  values: FieldValues;
}

export interface PointCloud {
  /** number of points (= width × height) */
  count: number;
  width: number;
  height: number;
  /** VIEWPOINT: translation tx ty tz, then the orientation quaternion qw qx qy qz */
  viewpoint: number[];
  /** every field in file order, x, y and z among them; padding (`_`) is not kept */
  fields: PcdField[];
}

export type Vec3 = [number, number, number];

export interface Bounds {
  min: Vec3;
  max: Vec3;
}

export const DEFAULT_VIEWPOINT: readonly number[] = [0, 0, 0, 1, 0, 0, 0];

/** A packed colour: PCL stores r, g, b (and a) as the bytes of one 4-byte field. */
export function isPackedColour(name: string, size: number): boolean {
  return (name === 'rgb' || name === 'rgba') && size === 4;
}

/** The typed array that holds `length` values of a field. */
export function valuesFor(name: string, type: PcdType, size: number, length: number): FieldValues {
  return arrayFor(name, type, size, new ArrayBuffer(length * size));
}

/** A typed array of the field's kind over `buffer` (whose length is a multiple of `size`). */
export function arrayFor(name: string, type: PcdType, size: number, buffer: ArrayBuffer): FieldValues {
  if (isPackedColour(name, size)) return new Uint32Array(buffer);
  switch (`${type}${size}`) {
    case 'F4':
      return new Float32Array(buffer);
    case 'F8':
      return new Float64Array(buffer);
    case 'I1':
      return new Int8Array(buffer);
    case 'I2':
      return new Int16Array(buffer);
    case 'I4':
      return new Int32Array(buffer);
    case 'I8':
      return new BigInt64Array(buffer);
    case 'U1':
      return new Uint8Array(buffer);
    case 'U2':
      return new Uint16Array(buffer);
    case 'U4':
      return new Uint32Array(buffer);
    case 'U8':
      return new BigUint64Array(buffer);
    default:
      throw new RangeError(`field "${name}": TYPE ${type} with SIZE ${size} is not a PCD field type`);
  }
}

export function fieldNamed(cloud: PointCloud, name: string): PcdField | undefined {
  return cloud.fields.find((f) => f.name === name);
}

/** The x, y and z fields (the reader guarantees they exist with COUNT 1). */
export function coordinates(cloud: PointCloud): [PcdField, PcdField, PcdField] {
  const axes = ['x', 'y', 'z'].map((name) => {
    const f = fieldNamed(cloud, name);
    if (f?.count !== 1) throw new RangeError(`point cloud has no "${name}" field with COUNT 1`);
    return f;
  });
  return axes as [PcdField, PcdField, PcdField];
}

/** A cloud of `xyz` points (interleaved x0 y0 z0 x1 …) with x, y, z fields of TYPE F SIZE `size`. */
export function cloudFromXyz(xyz: ArrayLike<number>, size: 4 | 8 = 4): PointCloud {
  const count = Math.floor(xyz.length / 3);
  const fields: PcdField[] = ['x', 'y', 'z'].map((name, axis) => {
    const values = size === 4 ? new Float32Array(count) : new Float64Array(count);
    for (let i = 0; i < count; i++) values[i] = xyz[i * 3 + axis]!;
    return { name, type: 'F', size, count: 1, values };
  });
  return { count, width: count, height: 1, viewpoint: [...DEFAULT_VIEWPOINT], fields };
}

/** The same bytes seen as 32- or 16-bit words (or bytes), so a strided copy moves one word per step. */
export function wordView(a: Uint8Array, word: number): Uint8Array | Uint16Array | Uint32Array {
  if (word === 4) return new Uint32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
  if (word === 2) return new Uint16Array(a.buffer, a.byteOffset, a.byteLength >> 1);
  return a;
}
