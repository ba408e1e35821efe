/**
 * Point-cloud support for the `convert` demo task: a PCD v0.7 reader and writer for the three
 * encodings PCL writes (ascii, binary, binary_compressed), voxel-grid downsampling that keeps
 * every field, and `convertPointCloud`, which ties them together. Only `node:` modules are used.
 * The parts live in ./pcd/; this module is their public face.
 */
export { convertPointCloud, type ConvertOptions, type ConvertSummary } from './pcd/convert.js';
export { parsePcd, readPcd } from './pcd/read.js';
export { encodePcd, float32Text, float64Text, writePcd, type WritePcdOptions } from './pcd/write.js';
export { PcdInputError } from './pcd/input-error.js';
export { lzfCompress, lzfDecompress, LzfError } from './pcd/lzf.js';
export {
  computeBounds,
  GRID_ANCHORS,
  voxelDownsample,
  voxelGrid,
  type GridAnchor,
  type VoxelOptions,
  type VoxelResult,
} from './pcd/voxel.js';
export {
  cloudFromXyz,
  coordinates,
  fieldNamed,
  PCD_FORMATS,
  type Bounds,
  type FieldValues,
  type PcdField,
  type PcdFormat,
  type PcdType,
  type PointCloud,
  type Vec3,
} from './pcd/types.js';
