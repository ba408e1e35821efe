import { defineConfig } from 'cachex';

export default defineConfig({
  tasks: {
    convert: {
      description: 'Voxel-downsample a point cloud (PCD, ASCII or binary) and write cloud.pcd + metadata.json',
      version: 1,
      params: {
        file: { type: 'file', required: true, description: 'input point cloud (.pcd)' },
        resolution: { type: 'number', default: 0.1, description: 'voxel edge length, in the cloud’s units' },
        debug: { type: 'boolean', default: false, description: 'print timings to stderr' },
      },
      ignore: ['debug'],
      run: async ({ file, resolution, debug }, ctx) => {
        // Imported here, not at the top, so a cache hit never loads the converter.
        const { convertPointCloud } = await import('./src/demo/pcd.ts');
        const started = Date.now();
        const summary = await convertPointCloud({ file, resolution, outDir: ctx.outDir });
        if (debug) console.error(`converted in ${Date.now() - started} ms`);
        console.log(
          `${summary.input}: ${summary.inputPoints} points -> ${summary.outputPoints} at resolution ${resolution}`,
        );
        return summary;
      },
    },
    potree: {
      description: 'Convert a point cloud with PotreeConverter ($POTREE_CONVERTER <file> -o <out>)',
      params: { file: { type: 'file', required: true, description: 'input point cloud' } },
      command: ['${POTREE_CONVERTER}', '{file}', '-o', '{out}'],
    },
  },
});
