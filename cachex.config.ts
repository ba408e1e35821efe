import { defineConfig } from 'cachex';

export default defineConfig({
  tasks: {
    convert: {
      description:
        'Voxel-downsample a point cloud (PCD: ascii, binary or binary_compressed), keeping every field; writes cloud.pcd + metadata.json',
      // 2: the grid is anchored at the origin as in PCL (was: at the cloud's minimum, now --grid min),
      // every field is kept, F 8 stays F 8
      version: 2,
      params: {
        file: { type: 'file', required: true, description: 'input point cloud (.pcd)' },
        resolution: { type: 'number', default: 0.1, description: 'voxel edge length, in the cloud’s units' },
        grid: {
          type: 'enum',
          choices: ['origin', 'min'],
          default: 'origin',
          description: 'origin: PCL’s VoxelGrid, voxel = floor(p / leaf); min: anchored at the cloud’s minimum',
        },
        format: {
          type: 'enum',
          choices: ['binary', 'ascii', 'binary_compressed'],
          default: 'binary',
          description: 'encoding of cloud.pcd',
        },
        fields: { type: 'string', description: 'fields to keep besides x,y,z, comma-separated (default: all)' },
        debug: { type: 'boolean', default: false, description: 'print timings to stderr' },
      },
      ignore: ['debug'],
      run: async ({ file, resolution, grid, format, fields, debug }, ctx) => {
        // Imported here, not at the top, so a cache hit never loads the converter.
        const { convertPointCloud } = await import('./src/demo/pcd.ts');
        const started = Date.now();
        const summary = await convertPointCloud({ file, resolution, grid, format, fields, outDir: ctx.outDir });
        if (debug) console.error(`converted in ${Date.now() - started} ms`);
        const dropped = summary.droppedPoints ? ` (${summary.droppedPoints} non-finite dropped)` : '';
        console.log(
          `${summary.input}: ${summary.inputPoints} points${dropped} -> ${summary.outputPoints} at resolution ${resolution}`,
        );
        return summary;
      },
    },
    potree: {
      description: 'Convert a point cloud with PotreeConverter ($POTREE_CONVERTER <file> -o <out>)',
      params: {
        // PotreeConverter writes the input's file name into metadata.json ("name"), so the
        // name is part of the result: key by content and path, or a renamed copy would get
        // the other file's name back.
        file: { type: 'file', required: true, keyBy: 'both', description: 'input point cloud (LAS/LAZ)' },
      },
      command: ['${POTREE_CONVERTER}', '{file}', '-o', '{out}'],
      // a run that did not write these is not stored
      outputs: ['metadata.json', 'octree.bin', 'hierarchy.bin'],
    },
  },
});
