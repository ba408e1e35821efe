/** The `convert` demo task: read a PCD, voxel-downsample it, write cloud.pcd and metadata.json. */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PcdInputError } from './input-error.js';
import { readPcd } from './read.js';
import { type Bounds, PCD_FORMATS, type PcdFormat } from './types.js';
import { computeBounds, GRID_ANCHORS, type GridAnchor, voxelGrid } from './voxel.js';
import { writePcd } from './write.js';

export interface ConvertOptions {
  /** input PCD file */
  file: string;
  /** voxel edge length, in the cloud's units; finite and > 0 */
  resolution: number;
  /** folder that receives `cloud.pcd` and `metadata.json` (created if missing) */
  outDir: string;
  /** `origin` (PCL's grid, the default) or `min` */
  grid?: GridAnchor;
  /** encoding of cloud.pcd: `binary` (default), `ascii` or `binary_compressed` */
  format?: PcdFormat;
  /** fields to keep besides x, y, z, as a list or "a,b,c"; all when omitted or empty */
  fields?: readonly string[] | string;
}

export interface ConvertSummary {
  /** basename of the input file */
  input: string;
  inputPoints: number;
  /** input points dropped because a coordinate was NaN or infinite (as PCL's VoxelGrid drops them) */
  droppedPoints: number;
  outputPoints: number;
  resolution: number;
  grid: GridAnchor;
  format: PcdFormat;
  /** the fields of cloud.pcd */
  fields: string[];
  /** axis-aligned bounds of the input's finite points; null when it has none */
  bounds: Bounds | null;
}

function fieldList(fields: ConvertOptions['fields']): string[] | undefined {
  if (fields === undefined) return undefined;
  const list = (typeof fields === 'string' ? fields.split(',') : [...fields]).map((f) => f.trim()).filter(Boolean);
  return list.length ? list : undefined;
}

/**
 * Read `file`, voxel-downsample it at `resolution` keeping the average of every field, and
 * write `<outDir>/cloud.pcd` and `<outDir>/metadata.json`. Same input → byte-identical outputs.
 */
export async function convertPointCloud(options: ConvertOptions): Promise<ConvertSummary> {
  const { file, resolution, outDir } = options;
  const grid = options.grid ?? 'origin';
  const format = options.format ?? 'binary';
  if (typeof resolution !== 'number' || !Number.isFinite(resolution) || resolution <= 0) {
    throw new PcdInputError(`resolution must be a finite number greater than 0, got ${String(resolution)}`);
  }
  if (!GRID_ANCHORS.includes(grid)) throw new PcdInputError(`grid must be origin or min, got ${JSON.stringify(grid)}`);
  if (!PCD_FORMATS.includes(format)) {
    throw new PcdInputError(`format must be ${PCD_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  }
  const cloud = await readPcd(file);
  const keep = fieldList(options.fields);
  const unknown = keep?.find((name) => !cloud.fields.some((f) => f.name === name));
  if (unknown !== undefined) {
    throw new PcdInputError(
      `${basename(file)} has no field "${unknown}" (it has ${cloud.fields.map((f) => f.name).join(' ')}); name only those in --fields`,
    );
  }
  const bounds = computeBounds(cloud);
  const { cloud: down, dropped } = voxelGrid(cloud, resolution, { grid, fields: keep });
  const summary: ConvertSummary = {
    input: basename(file),
    inputPoints: cloud.count,
    droppedPoints: dropped,
    outputPoints: down.count,
    resolution,
    grid,
    format,
    fields: down.fields.map((f) => f.name),
    bounds,
  };
  await mkdir(outDir, { recursive: true });
  await writePcd(join(outDir, 'cloud.pcd'), down, { format });
  await writeFile(join(outDir, 'metadata.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}
